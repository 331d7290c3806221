package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/handlers/ivr"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
)

// FormFailMode is what the callback form and API answer when the store
// fails or is slower than the decision budget.
type FormFailMode string

// The form's fail modes.
const (
	// FailDeflect offers the visitor the other channels, as a deflected
	// request sees them. The default.
	FailDeflect FormFailMode = "deflect"
	// FailBlock answers as a blocked request is answered: exactly what an
	// accepted one sees, and no call.
	FailBlock FormFailMode = "block"
	// FailAllow scores the request on what needs no Redis
	// (risk.Engine.Fallback) and queues the call when that allows it and
	// the queue can record it; when it cannot, the visitor is offered the
	// other channels, since a callback that is not stored is never dialled.
	FailAllow FormFailMode = "allow"
)

// DefaultDecisionBudget is the decision budget when Faults.Budget is zero.
const DefaultDecisionBudget = 150 * time.Millisecond

// Surfaces named in fallback metrics and log lines.
const (
	surfaceForm = "form"
	surfaceAPI  = "api"
)

// Faults is how the public surfaces behave when the store fails.
type Faults struct {
	// Budget bounds the store work of one decision, screening or
	// verification; past it, the fail mode answers. Zero means
	// DefaultDecisionBudget.
	Budget time.Duration
	// Form is the callback form's and API's fail mode; empty means
	// FailDeflect.
	Form FormFailMode
	// IVR is the IVR surfaces' fail mode; empty means FailChallenge.
	IVR ivr.FailMode
	// Fallback issues and verifies the stateless codes of FailChallenge;
	// nil means one keyed with a random secret, good for this process only.
	Fallback *contactflows.FallbackChallenges
	// ObserveFallback, when set, is told of every answer a fail mode gave:
	// the surface (form, api, ivr) and the mode.
	ObserveFallback func(surface, mode string)
}

// withDefaults returns f with its zero fields defaulted; a fallback
// challenger is made only when none is given, and it panics when none can
// be made (the system's random source failed).
func (f Faults) withDefaults() Faults {
	if f.Budget <= 0 {
		f.Budget = DefaultDecisionBudget
	}
	if f.Form == "" {
		f.Form = FailDeflect
	}
	if f.IVR == "" {
		f.IVR = ivr.FailChallenge
	}
	if f.Fallback == nil {
		secret, err := contactflows.RandomFallbackSecret()
		if err == nil {
			f.Fallback, err = contactflows.NewFallbackChallenges(contactflows.FallbackOptions{Secret: secret})
		}
		if err != nil {
			panic("handlers: the IVR's fallback challenges: " + err.Error())
		}
	}
	if f.ObserveFallback == nil {
		f.ObserveFallback = func(string, string) {}
	}
	return f
}

// fallbackCase is a callback request the store failed on.
type fallbackCase struct {
	// surface is form or api.
	surface string
	req     risk.Request
	in      callbackInput
	// cause is the store's failure.
	cause error
	// engine is the engine's decision when it decided before the
	// recording failed; nil when the evaluation failed.
	engine *risk.Decision
	// notRecorded is true when the failed recording surely wrote nothing
	// (dispatch.ErrNotRecorded): storing again cannot queue a call
	// twice.
	notRecorded bool
}

// decideFallback answers a callback request with the form's fail mode
// after the store failed. FailAllow never lets through what the engine
// blocked or deflected, and never queues a call that may already have
// been queued. What a refused request is shown mirrors what an allowed one
// with the same visible reasons is shown in the same failure (see
// mirrorShown), so the fail mode does not reveal hidden reasons either.
func (s *server) decideFallback(ctx context.Context, fc fallbackCase) (risk.Decision, error) {
	mode := s.Faults.Form
	action := risk.Deflect
	switch {
	case mode == FailBlock:
		action = risk.Block
	case mode == FailAllow && fc.engine != nil && fc.engine.Action != risk.Allow:
		action = fc.engine.Action
	case mode == FailAllow:
		action = risk.Allow
	}
	d, err := s.Engine.Fallback(fc.req, action, s.budget.Cause(fc.cause))
	var ne *risk.NumberError
	switch {
	case errors.As(err, &ne):
		return risk.Decision{}, &validationError{errs: []*respond.Error{{Code: respond.CodeInvalidPhone, Field: "phone", Message: ne.Problem, Err: err}}}
	case err != nil:
		return risk.Decision{}, &respond.Error{Code: respond.CodeInternal, Err: fmt.Errorf("fallback decision: %w", err)}
	}
	s.budget.FellBack(ctx, fc.surface, string(mode), fc.cause)
	mayRecord := fc.engine == nil || fc.notRecorded
	switch {
	case d.Action == risk.Allow:
		d = s.queueFallback(ctx, d, fc.in, mayRecord)
	case mode == FailAllow && fc.engine != nil:
		d.Visible = s.mirrorShown(ctx, d, fc.engine.Shown(), mayRecord)
	}
	s.logDecision(ctx, d)
	return d, nil
}

// mirrorShown is what a refused request whose recording failed is shown
// in fail mode allow: what an allowed request shown as shown would be
// shown in the same failure. An allowed one is stored again when that
// cannot queue its call twice (mayRecord), and shown accepted if that
// works, the alternatives otherwise; so the refused one is stored again
// under the same condition, without a call, and shown alike.
func (s *server) mirrorShown(ctx context.Context, d risk.Decision, shown risk.Action, mayRecord bool) risk.Action {
	if shown != risk.Allow {
		return shown
	}
	if !mayRecord {
		return risk.Deflect
	}
	rctx, cancel := s.budget.Bound(context.WithoutCancel(ctx))
	defer cancel()
	if err := s.Calls.Record(rctx, d, nil); err != nil {
		return risk.Deflect
	}
	return risk.Allow
}

// queueFallback queues the call of d, allowed by FailAllow, with a budget
// of its own. When it cannot be stored, or must not be (mayRecord false),
// d becomes a deflection: a callback that is not stored is never dialled,
// so the visitor is offered the other channels rather than told a call is
// coming.
func (s *server) queueFallback(ctx context.Context, d risk.Decision, in callbackInput, mayRecord bool) risk.Decision {
	why := "an earlier attempt to store it may or may not have succeeded"
	if mayRecord {
		rctx, cancel := s.budget.Bound(context.WithoutCancel(ctx))
		defer cancel()
		err := s.Calls.Record(rctx, d, allowedCall(d, in))
		if err == nil {
			return d
		}
		why = "it could not be stored: " + err.Error()
	}
	d.Action, d.Visible = risk.Deflect, risk.Deflect
	d.Reasons = slices.Clone(d.Reasons)
	for i, r := range d.Reasons {
		if r.Code == risk.CodeStoreUnavailable {
			d.Reasons[i].Detail += "; fail mode allow, but the callback will not be dialled: " + why + "; the visitor was offered the other channels"
		}
	}
	return d
}
