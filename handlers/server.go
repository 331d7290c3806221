// Package handlers is Tollgate's HTTP layer: the echo server, its routes
// (routes.go lists every route of every surface), the callback API and
// public form, and the one error handler. The other surfaces are packages
// beneath it: ivr (telephony) and admin (the console); respond is what
// every surface answers with.
package handlers

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/ivr"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// Evaluator decides callback requests and frees a number's
// outstanding-callback lock, and screens the IVR's callers (ivr.Screener);
// *risk.Engine satisfies it.
type Evaluator interface {
	// Evaluate decides one request; a *risk.NumberError means the number
	// cannot be valid.
	Evaluate(ctx context.Context, req risk.Request) (risk.Decision, error)
	// CheckNumber parses a number as Evaluate does; a number that cannot
	// be valid is a *risk.NumberError, counted against ip.
	CheckNumber(ctx context.Context, ip netip.Addr, phone, region string) error
	// Release frees the lock decision id holds on number.
	Release(ctx context.Context, number, id string) error
	// ReleaseLater frees, off the request path, the lock decision id took
	// on number a moment ago.
	ReleaseLater(number, id string)
	// IPCountry returns the ISO code of the country ip is in, or "" when
	// unknown; the form preselects it.
	IPCountry(ip netip.Addr) string
	// Fallback decides req without the store, as the fail mode action
	// says; a *risk.NumberError means the number cannot be valid.
	Fallback(req risk.Request, action risk.Action, cause string) (risk.Decision, error)
	// Screener screens the IVR's callers.
	ivr.Screener
}

var _ Evaluator = (*risk.Engine)(nil)

// CallQueue records decisions and queues the calls of allowed ones, and
// the ends of placed calls (ivr.CallEnder);
// *dispatch.Queue satisfies it.
type CallQueue interface {
	// Record writes d to the decision log and queues call when it is not
	// nil, in one round trip.
	Record(ctx context.Context, d risk.Decision, call *dispatch.Call) error
	// CallEnder records, for the IVR surface, how placed calls ended.
	ivr.CallEnder
}

var _ CallQueue = (*dispatch.Queue)(nil)

// Deflection lists the other channels offered when a callback is
// deflected; the form and the JSON API show the same ones.
type Deflection = web.Channels

// Deps is everything the server needs.
type Deps struct {
	// Engine decides each callback request. Required.
	Engine Evaluator
	// Calls records decisions and queues allowed callbacks. Required.
	Calls CallQueue
	// Ready reports whether the backing services answer; nil means always
	// ready.
	Ready func(ctx context.Context) error
	// Logger receives request, decision and error lines; nil discards.
	Logger *slog.Logger
	// TrustedProxies are the proxies whose X-Forwarded-For is believed.
	// Empty means clients connect directly and forwarding headers are
	// ignored.
	TrustedProxies []netip.Prefix
	// Channels returns what a deflected visitor is offered now, on the
	// form and in the API: EngineChannels gives the settings in force of a
	// *risk.Engine, so a saved change shows on the next answer. Nil offers
	// no channel.
	Channels func() Deflection
	// VisitorSecret verifies the visitor tokens host sites sign; empty
	// means no token is believed.
	VisitorSecret []byte
	// CORSOrigins may call the callback API from a browser; empty allows
	// none but the same origin.
	CORSOrigins []string
	// API is who may call the JSON callback API; the zero value lets
	// anyone (APIOpen).
	API APIAccess
	// FlowAPIKey authenticates telephony flows and the call-end API; empty
	// turns those endpoints off.
	FlowAPIKey string
	// TwilioAuthToken validates Twilio's request signatures; empty turns
	// the Twilio webhooks off.
	TwilioAuthToken string
	// TwilioPreviousAuthToken, when set, validates signatures too, tried
	// after TwilioAuthToken, while Twilio's auth token is rotated.
	TwilioPreviousAuthToken string
	// PublicURL is the absolute base URL providers reach the server at, as
	// they sign it.
	PublicURL string
	// TwilioContinue is where an answered Twilio callback goes.
	TwilioContinue contactflows.TwilioContinue
	// Challenges issues and verifies the IVR flows' codes; nil turns the
	// IVR endpoints off.
	Challenges ivr.Challenger
	// BridgeSecrets verify the requests cmd/connect-bridge signs: the
	// current secret first, then one being retired. Empty turns the
	// Amazon Connect endpoint off.
	BridgeSecrets [][]byte
	// Form configures the public form: its country default, bot friction,
	// embedding and branding.
	Form FormConfig
	// Now is the clock form and visitor tokens are checked by; nil is
	// time.Now.
	Now func() time.Time
	// Console is the admin console and its JSON API; nil turns both off.
	Console *admin.Deps
	// Metrics serves the Prometheus metrics at GET /metrics to requests
	// bearing MetricsToken; nil or an empty token: no /metrics route.
	Metrics http.Handler
	// MetricsToken is the bearer token /metrics asks for.
	MetricsToken string
	// Faults is how the public surfaces answer when the store fails or is
	// slower than the decision budget.
	Faults Faults
	// ObserveRequest, when set, is told of every request served: its
	// method, its route pattern (empty when no route matched), its status
	// and how long it took.
	ObserveRequest func(method, route string, status int, took time.Duration)
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

// server holds the dependencies the handlers use, as Deps gave them, with
// defaults filled in.
type server struct {
	Deps
	log  *slog.Logger
	now  func() time.Time
	form *formSettings
	// api is who may call the JSON callback API.
	api apiAccessSettings
	// budget bounds the store work of every surface and remembers the
	// fail modes' answers for /readyz.
	budget *respond.Budget
	// routes are the registered route patterns, which ObserveRequest is
	// given; anything else is reported as no route.
	routes map[string]bool
}

// NewServer returns the HTTP server for d with every route registered.
// It panics when a required dependency is missing, or a trusted proxy
// prefix, the default region, a frame ancestor or the API access is
// invalid: wiring mistakes, as configuration is validated before.
func NewServer(d Deps) *echo.Echo {
	if d.Engine == nil || d.Calls == nil {
		panic("handlers: Deps.Engine and Deps.Calls are required")
	}
	s := &server{Deps: d, log: d.Logger, now: d.Now, form: newFormSettings(d.Form, d.TrustedProxies, d.Now),
		api: newAPIAccess(d.API, d.VisitorSecret)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.Ready == nil {
		s.Ready = func(context.Context) error { return nil }
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.PublicURL = strings.TrimRight(s.PublicURL, "/")
	s.Faults = d.Faults.withDefaults()
	s.budget = &respond.Budget{Decision: s.Faults.Budget, Observe: s.Faults.ObserveFallback, Log: s.log}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.IPExtractor = ipExtractor(d.TrustedProxies)
	e.HTTPErrorHandler = s.handleError
	s.registerMiddleware(e)
	iv := ivr.New(ivr.Deps{
		Engine: d.Engine, Calls: d.Calls, Challenges: d.Challenges, FlowAPIKey: d.FlowAPIKey,
		TwilioAuthToken: d.TwilioAuthToken, TwilioPreviousAuthToken: d.TwilioPreviousAuthToken, PublicURL: s.PublicURL,
		TwilioContinue: d.TwilioContinue, BridgeSecrets: d.BridgeSecrets,
		FailMode: s.Faults.IVR, Fallback: s.Faults.Fallback, Budget: s.budget, Logger: s.log, Now: s.now,
	})
	var ad *admin.Handlers
	if d.Console != nil {
		ad = s.adminConsole(*d.Console)
	}
	s.registerRoutes(e, iv, ad)
	s.routes = make(map[string]bool)
	for _, r := range e.Routes() {
		s.routes[r.Path] = true
	}
	return e
}

// adminConsole is the console for c, with what it takes from the server:
// the API keys' flows, the form tokens' key and lifetime, the log, the
// clock and the public URL.
func (s *server) adminConsole(c admin.Deps) *admin.Handlers {
	c.FlowKeys = make(map[string][]string)
	for _, k := range s.API.Keys {
		for _, f := range k.Flows {
			c.FlowKeys[f] = append(c.FlowKeys[f], k.Name)
		}
	}
	c.Tokens, c.TokenLifetime, c.Logger, c.Now, c.HTTPS = s.form.tokens, s.form.lifetime, s.log, s.now, s.isHTTPS
	c.PublicURL = s.PublicURL
	return admin.New(c)
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
