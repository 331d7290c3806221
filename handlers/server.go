// Package handlers is Tollgate's HTTP layer: the echo server, its routes,
// the callback API and public form, and the one error handler.
package handlers

import (
	"context"
	"log/slog"
	"net"
	"net/netip"

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
}

// server holds the dependencies the handlers use.
type server struct {
	engine     Evaluator
	dispatcher CallSubmitter
	ready      func(ctx context.Context) error
	log        *slog.Logger
	deflect    Deflection
}

// NewServer returns the HTTP server for d with every route registered.
// It panics when a required dependency is missing or a trusted proxy
// prefix is invalid, both wiring mistakes.
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
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	p = p.Masked()
	return &net.IPNet{
		IP:   net.IP(p.Addr().AsSlice()),
		Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen()),
	}
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
