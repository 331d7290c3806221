package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/risk"
)

// Label values beside the ones risk and contactflows define.
const (
	errInvalidNumber = "invalid_number"
	errStore         = "store"
	resultError      = "error"
	resultIssued     = "issued"
	resultTooMany    = "too_many"
	dialPlaced       = "placed"
	dialFailed       = "failed"
	dialPermanent    = "permanent"
	dialMaybePlaced  = "maybe_placed"
)

// ObserveDecision records one Evaluate: its action and reasons, or why
// there is no decision, and how long it took.
func (m *Metrics) ObserveDecision(d risk.Decision, err error, took time.Duration) {
	m.engineDuration.WithLabelValues(opEvaluate).Observe(took.Seconds())
	if err != nil {
		var ne *risk.NumberError
		if errors.As(err, &ne) {
			m.decisionErrors.WithLabelValues(errInvalidNumber).Inc()
		} else {
			m.decisionErrors.WithLabelValues(errStore).Inc()
		}
		return
	}
	action := string(d.Action)
	m.decisions.WithLabelValues(action).Inc()
	for _, r := range d.Reasons {
		m.reasons.WithLabelValues(action, r.Code).Inc()
	}
}

// ObserveScreening records one ScreenCaller: its verdict, or error, and
// how long it took.
func (m *Metrics) ObserveScreening(s risk.Screening, err error, took time.Duration) {
	m.engineDuration.WithLabelValues(opScreen).Observe(took.Seconds())
	if err != nil {
		m.screenings.WithLabelValues(resultError).Inc()
		return
	}
	m.screenings.WithLabelValues(string(s.Verdict)).Inc()
}

// Engine is a *risk.Engine whose decisions and screenings are counted and
// timed. It serves wherever the engine does.
type Engine struct {
	*risk.Engine
	m *Metrics
}

// Engine wraps e so that its Evaluate and ScreenCaller are observed.
func (m *Metrics) Engine(e *risk.Engine) *Engine { return &Engine{Engine: e, m: m} }

// Evaluate decides req with the engine and records the decision.
func (e *Engine) Evaluate(ctx context.Context, req risk.Request) (risk.Decision, error) {
	start := time.Now()
	d, err := e.Engine.Evaluate(ctx, req)
	e.m.ObserveDecision(d, err, time.Since(start))
	return d, err
}

// ScreenCaller screens req with the engine and records the verdict.
func (e *Engine) ScreenCaller(ctx context.Context, req risk.CallerRequest) (risk.Screening, error) {
	start := time.Now()
	s, err := e.Engine.ScreenCaller(ctx, req)
	e.m.ObserveScreening(s, err, time.Since(start))
	return s, err
}

// Challenges is a *contactflows.Challenges whose issues and verifications
// are counted.
type Challenges struct {
	*contactflows.Challenges
	m *Metrics
}

// Challenges wraps c so that its Issue and Verify are observed.
func (m *Metrics) Challenges(c *contactflows.Challenges) *Challenges {
	return &Challenges{Challenges: c, m: m}
}

// Issue asks for a code and records whether one was issued.
func (c *Challenges) Issue(ctx context.Context, flow, contactID string) (contactflows.Challenge, error) {
	ch, err := c.Challenges.Issue(ctx, flow, contactID)
	switch {
	case err == nil:
		c.m.issued.WithLabelValues(resultIssued).Inc()
	case errors.Is(err, contactflows.ErrTooManyChallenges):
		c.m.issued.WithLabelValues(resultTooMany).Inc()
	default:
		c.m.issued.WithLabelValues(resultError).Inc()
	}
	return ch, err
}

// Verify checks digits and records the result.
func (c *Challenges) Verify(ctx context.Context, id, contactID, digits string) (contactflows.Verification, error) {
	v, err := c.Challenges.Verify(ctx, id, contactID, digits)
	if err != nil {
		c.m.verified.WithLabelValues(resultError).Inc()
	} else {
		c.m.verified.WithLabelValues(string(v.Result)).Inc()
	}
	return v, err
}

// Dialer is a dispatch.Dialer whose dials are counted and timed under
// its name. It is idempotent exactly when the dialer it wraps is.
type Dialer struct {
	dispatch.Dialer
	name string
	m    *Metrics
}

var _ dispatch.IdempotentDialer = (*Dialer)(nil)

// Dialer wraps d, named name (simulator, connect, twilio), so that its
// dials are observed. The results of name start at zero.
func (m *Metrics) Dialer(name string, d dispatch.Dialer) *Dialer {
	for _, r := range []string{dialPlaced, dialFailed, dialPermanent, dialMaybePlaced} {
		m.dials.WithLabelValues(name, r)
	}
	m.dialDuration.WithLabelValues(name)
	return &Dialer{Dialer: d, name: name, m: m}
}

// Dial places c and records the result: placed, permanent, maybe_placed
// or failed (to be retried).
func (d *Dialer) Dial(ctx context.Context, c dispatch.Call) (dispatch.Result, error) {
	start := time.Now()
	r, err := d.Dialer.Dial(ctx, c)
	d.m.dialDuration.WithLabelValues(d.name).Observe(time.Since(start).Seconds())
	result := dialFailed
	switch {
	case err == nil:
		result = dialPlaced
	case dispatch.IsPermanent(err):
		result = dialPermanent
	case dispatch.IsMaybePlaced(err):
		result = dialMaybePlaced
	}
	d.m.dials.WithLabelValues(d.name, result).Inc()
	return r, err
}

// Idempotent reports whether the wrapped dialer places one call for
// repeated dials of one Call.ID.
func (d *Dialer) Idempotent() bool {
	id, ok := d.Dialer.(dispatch.IdempotentDialer)
	return ok && id.Idempotent()
}
