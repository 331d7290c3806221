// Package ivr is Tollgate's telephony surface: inbound callers screened
// and challenged through the JSON challenges API, Twilio's voice webhooks
// and Amazon Connect's bridge; the ends of placed calls reported by flows
// and Twilio; and the importable Amazon Connect flows. The routes are
// listed in handlers/routes.go.
package ivr

import (
	"context"
	"log/slog"
	"time"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
)

// FailMode is what the IVR surfaces do when the store fails or is
// slower than the decision budget.
type FailMode string

// The IVR's fail modes.
const (
	// FailChallenge challenges every caller with a stateless code
	// (contactflows.FallbackChallenges). The default.
	FailChallenge FailMode = "challenge"
	// FailPass lets every caller through.
	FailPass FailMode = "pass"
)

// surface names the IVR in fallback metrics and log lines.
const surface = "ivr"

// Screener screens inbound callers; *risk.Engine satisfies it.
type Screener interface {
	// ScreenCaller screens an inbound caller for the IVR flows.
	ScreenCaller(ctx context.Context, req risk.CallerRequest) (risk.Screening, error)
	// RecordChallengeFailed counts a challenge the caller failed.
	RecordChallengeFailed(ctx context.Context, caller string) error
	// ScreenFallback screens req without the store, with the fail mode's
	// verdict.
	ScreenFallback(req risk.CallerRequest, verdict risk.Verdict, cause string) risk.Screening
}

var _ Screener = (*risk.Engine)(nil)

// CallEnder records how placed calls ended; *dispatch.Queue satisfies it.
type CallEnder interface {
	// End records how call id ended and releases its number's hold.
	End(ctx context.Context, id, outcome string) (dispatch.Call, error)
}

var _ CallEnder = (*dispatch.Queue)(nil)

// Deps is what the IVR surface uses.
type Deps struct {
	// Engine screens callers. Required.
	Engine Screener
	// Calls records the ends of placed calls. Required.
	Calls CallEnder
	// Challenges issues and verifies the codes; nil turns the IVR
	// endpoints off.
	Challenges Challenger
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
	// they sign it, without a trailing slash.
	PublicURL string
	// TwilioContinue is where an answered Twilio callback goes.
	TwilioContinue contactflows.TwilioContinue
	// BridgeSecrets verify the requests cmd/connect-bridge signs: the
	// current secret first, then one being retired. Empty turns the
	// Amazon Connect endpoint off.
	BridgeSecrets [][]byte
	// FailMode is what answers when the store fails; empty means
	// FailChallenge.
	FailMode FailMode
	// Fallback issues and verifies the stateless codes of FailChallenge.
	// Required.
	Fallback *contactflows.FallbackChallenges
	// Budget bounds the store work and records fallbacks. Required.
	Budget *respond.Budget
	// Logger receives the surface's lines; nil discards.
	Logger *slog.Logger
	// Now is the clock the stats' day is read by; nil is time.Now.
	Now func() time.Time
}

// Handlers answers the IVR surface's routes.
type Handlers struct {
	Deps
	log *slog.Logger
	now func() time.Time
}

// New returns the IVR surface's handlers for d. It panics when a required
// dependency is missing: a wiring mistake.
func New(d Deps) *Handlers {
	if d.Engine == nil || d.Calls == nil || d.Fallback == nil || d.Budget == nil {
		panic("ivr: Deps.Engine, Calls, Fallback and Budget are required")
	}
	if d.FailMode == "" {
		d.FailMode = FailChallenge
	}
	h := &Handlers{Deps: d, log: d.Logger, now: d.Now}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h
}
