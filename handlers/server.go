// Package handlers is Tollgate's HTTP layer: the echo server, its routes,
// the callback API and public form, and the one error handler.
package handlers

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// Evaluator decides callback requests, frees a number's
// outstanding-callback lock and places client IPs; *risk.Engine satisfies
// it.
type Evaluator interface {
	// Evaluate decides one request; a *risk.NumberError means the number
	// cannot be valid.
	Evaluate(ctx context.Context, req risk.Request) (risk.Decision, error)
	// Release frees the lock decision id holds on number.
	Release(ctx context.Context, number, id string) error
	// IPCountry returns the ISO code of the country ip is in, or "" when
	// unknown; the form preselects it.
	IPCountry(ip netip.Addr) string
}

var _ Evaluator = (*risk.Engine)(nil)

// CallSubmitter queues an allowed callback for dialing without blocking;
// *contactflows.Dispatcher satisfies it.
type CallSubmitter interface {
	// Submit queues c, or returns an error when it cannot.
	Submit(c contactflows.Call) error
}

var _ CallSubmitter = (*contactflows.Dispatcher)(nil)

// Deflection lists the other channels offered when a callback is
// deflected; the form and the JSON API show the same ones.
type Deflection = web.Channels

// Deps is everything the server needs.
type Deps struct {
	// Engine decides each callback request. Required.
	Engine Evaluator
	// Dispatcher queues allowed callbacks. Required.
	Dispatcher CallSubmitter
	// Ready reports whether the backing services answer; nil means always
	// ready.
	Ready func(ctx context.Context) error
	// Logger receives request, decision and error lines; nil discards.
	Logger *slog.Logger
	// TrustedProxies are the proxies whose X-Forwarded-For is believed.
	// Empty means clients connect directly and forwarding headers are
	// ignored.
	TrustedProxies []netip.Prefix
	// Deflect is what a deflected visitor is offered.
	Deflect Deflection
	// Form configures the public form: its country default, bot friction,
	// embedding and branding.
	Form FormConfig
	// Now is the clock form tokens are issued and checked by; nil is
	// time.Now.
	Now func() time.Time
}

// Branding is the public pages' look and wording.
type Branding = web.Branding

// FormConfig configures the public callback form.
type FormConfig struct {
	// DefaultRegion is the country preselected when the visitor's IP has
	// no known country, an ISO 3166-1 alpha-2 code; empty means "US".
	DefaultRegion string
	// Secret keys the form tokens' HMAC; every instance serving one site
	// needs the same. Empty: a random key, good for this server's life.
	Secret []byte
	// MinFillTime is the least time a person takes to fill the form in; a
	// faster submission is a signal. Zero: no minimum.
	MinFillTime time.Duration
	// TokenLifetime is how long a served form stays good; an older one
	// is a signal. Zero means DefaultTokenLifetime.
	TokenLifetime time.Duration
	// FrameAncestors are the origins, scheme://host[:port] as ParseOrigin
	// reads them, that may show the form pages in a frame besides
	// Tollgate's own.
	FrameAncestors []string
	// Branding is the pages' look and wording; empty fields take
	// web.DefaultBranding's.
	Branding Branding
}

// DefaultTokenLifetime is how long a served form stays good when
// FormConfig.TokenLifetime is zero.
const DefaultTokenLifetime = 2 * time.Hour

// server holds the dependencies the handlers use.
type server struct {
	engine     Evaluator
	dispatcher CallSubmitter
	ready      func(ctx context.Context) error
	log        *slog.Logger
	deflect    Deflection
	form       *formSettings
}

// NewServer returns the HTTP server for d with every route registered.
// It panics when a required dependency is missing, or a trusted proxy
// prefix, the default region or a frame ancestor is invalid: wiring
// mistakes, as configuration is validated before.
func NewServer(d Deps) *echo.Echo {
	if d.Engine == nil || d.Dispatcher == nil {
		panic("handlers: Deps.Engine and Deps.Dispatcher are required")
	}
	s := &server{
		engine:     d.Engine,
		dispatcher: d.Dispatcher,
		ready:      d.Ready,
		log:        d.Logger,
		deflect:    d.Deflect,
		form:       newFormSettings(d.Form, d.TrustedProxies, d.Now),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.ready == nil {
		s.ready = func(context.Context) error { return nil }
	}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.IPExtractor = ipExtractor(d.TrustedProxies)
	e.HTTPErrorHandler = s.handleError
	s.registerMiddleware(e)
	s.registerRoutes(e)
	return e
}

// ipExtractor reads the client address from the connection, or from
// X-Forwarded-For when the request came through one of trusted. Echo
// trusts loopback, link-local and private addresses by default; those
// defaults are turned off so only the configured prefixes count.
func ipExtractor(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{
		echo.TrustLoopback(false),
		echo.TrustLinkLocal(false),
		echo.TrustPrivateNet(false),
	}
	for _, p := range trusted {
		opts = append(opts, echo.TrustIPRange(ipNet(p)))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// ipNet converts p to the *net.IPNet echo expects.
func ipNet(p netip.Prefix) *net.IPNet {
	if !p.IsValid() {
		panic("handlers: invalid trusted proxy prefix " + p.String())
	}
	p = unmapPrefix(p)
	return &net.IPNet{
		IP:   net.IP(p.Addr().AsSlice()),
		Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen()),
	}
}

// unmapPrefix returns p masked, an IPv4-mapped IPv6 prefix as IPv4.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked()
}

// clientIP is the request's client address as the IPExtractor found it, or
// the zero Addr when it cannot be parsed.
func clientIP(c echo.Context) netip.Addr {
	ip, err := netip.ParseAddr(c.RealIP())
	if err != nil {
		return netip.Addr{}
	}
	return ip.Unmap()
}
