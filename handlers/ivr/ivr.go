package ivr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
)

// Challenger issues and verifies DTMF codes and counts IVR outcomes;
// *contactflows.Challenges satisfies it.
type Challenger interface {
	// Issue returns a fresh code for contactID in flow.
	Issue(ctx context.Context, flow, contactID string) (contactflows.Challenge, error)
	// Verify checks digits keyed in contactID against challenge id; one
	// issued to another contact is unknown.
	Verify(ctx context.Context, id, contactID, digits string) (contactflows.Verification, error)
	// Count adds one event to flow's stats for today.
	Count(ctx context.Context, flow, event string) error
	// Stats returns day's counts, flow by flow.
	Stats(ctx context.Context, day time.Time) (map[string]map[string]int64, error)
	// Claim records that the signed request with digest is being
	// answered, for ttl; a replay gets the answer Keep stored, or nil
	// while the first is being answered.
	Claim(ctx context.Context, digest string, ttl time.Duration) (first bool, answer []byte, err error)
	// Keep stores the answer of the request Claim gave first to.
	Keep(ctx context.Context, digest string, answer []byte) error
	// Release drops a claim, so the request is answered afresh.
	Release(ctx context.Context, digest string) error
}

var _ Challenger = (*contactflows.Challenges)(nil)

// ivrStart is what screening an inbound caller came to: the screening and,
// when the verdict is challenge, the code issued.
type ivrStart struct {
	Screening risk.Screening
	Challenge contactflows.Challenge
}

// startIVR screens a caller and, when it must be challenged, issues its
// code; every transport runs it. A contact that has asked for too many
// codes is blocked. The store work shares one decision budget: when the
// screening fails, the IVR fail mode decides (a stateless code, or pass);
// when only the code cannot be stored, a stateless one is issued, or the
// caller passes.
func (s *Handlers) startIVR(ctx context.Context, req risk.CallerRequest, contactID string) (ivrStart, error) {
	if s.Challenges == nil {
		return ivrStart{}, &respond.Error{Code: respond.CodeNotFound, Err: errors.New("IVR endpoint called without a challenge service")}
	}
	if contactID == "" || len(contactID) > maxContactIDLen {
		return ivrStart{}, respond.FieldError(respond.CodeBadRequest, "contact_id", "The call's id (contact id, CallSid) is missing or longer than 128 characters.")
	}
	ctx, cancel := s.Budget.Bound(ctx)
	defer cancel()
	sc, err := s.Engine.ScreenCaller(ctx, req)
	storeDown := err != nil
	if storeDown {
		sc = s.ivrFallback(ctx, req, fmt.Errorf("screening caller: %w", err))
	} else {
		s.count(ctx, req.Flow, contactflows.StatScreened)
	}
	st := ivrStart{Screening: sc}
	if sc.Verdict == risk.Challenge {
		if !storeDown {
			st.Challenge, err = s.Challenges.Issue(ctx, req.Flow, contactID)
		}
		switch {
		case errors.Is(err, contactflows.ErrTooManyChallenges):
			st.Screening.Verdict = risk.Reject
		case storeDown || err != nil:
			if err != nil {
				st.Screening = s.ivrFallback(ctx, req, fmt.Errorf("issuing challenge: %w", err))
				storeDown = true
			}
			if st.Screening.Verdict == risk.Challenge {
				if st.Challenge, err = s.Fallback.Issue(req.Flow, contactID); err != nil {
					return ivrStart{}, &respond.Error{Code: respond.CodeInternal, Err: fmt.Errorf("issuing a fallback challenge: %w", err)}
				}
			}
		}
	}
	if !storeDown {
		switch st.Screening.Verdict {
		case risk.Pass:
			s.count(ctx, req.Flow, contactflows.StatScreenPassed)
		case risk.Reject:
			s.count(ctx, req.Flow, contactflows.StatDisconnected)
		}
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "caller screened",
		slog.String("flow", req.Flow), slog.String("contact", contactID),
		slog.String("verdict", string(st.Screening.Verdict)), slog.Int("score", st.Screening.Score),
		slog.Any("reasons", risk.Decision{Reasons: st.Screening.Reasons}.Codes()),
		slog.String("caller", risk.MaskNumber(st.Screening.Number)))
	return st, nil
}

// ivrFallback is the screening the IVR fail mode gives req after the store
// failed with err; the fallback is logged and counted.
func (s *Handlers) ivrFallback(ctx context.Context, req risk.CallerRequest, err error) risk.Screening {
	verdict := risk.Challenge
	if s.FailMode == FailPass {
		verdict = risk.Pass
	}
	s.Budget.FellBack(ctx, surface, string(s.FailMode), err)
	return s.Engine.ScreenFallback(req, verdict, s.Budget.Cause(err))
}

// issueChallenge issues a code for contactID in flow without screening, as
// for an answered callback: from the store, or, when it fails, a stateless
// one whatever the IVR fail mode, since there is no screening to pass.
func (s *Handlers) issueChallenge(ctx context.Context, flow, contactID string) (contactflows.Challenge, error) {
	bctx, cancel := s.Budget.Bound(ctx)
	defer cancel()
	ch, err := s.Challenges.Issue(bctx, flow, contactID)
	if err == nil || errors.Is(err, contactflows.ErrTooManyChallenges) {
		return ch, err
	}
	s.Budget.FellBack(ctx, surface, string(FailChallenge), fmt.Errorf("issuing challenge: %w", err))
	if ch, err = s.Fallback.Issue(flow, contactID); err != nil {
		return ch, &respond.Error{Code: respond.CodeInternal, Err: fmt.Errorf("issuing a fallback challenge: %w", err)}
	}
	return ch, nil
}

// ivrVerification is what verifyIVR found: the verification and whether
// the store failed, so the fail mode answered.
type ivrVerification struct {
	contactflows.Verification
	// StoreDown is true when the code could not be checked: the result is
	// pass under FailPass, expired under FailChallenge.
	StoreDown bool
}

// verifyIVR checks the digits keyed for challenge id in the call
// contactID; a challenge failed for good counts against the caller's
// number in later screenings, once: by the Verify that used its last
// attempt. A challenge, stored or fallback, issued to another contact
// than contactID is unknown and costs no attempt. A fallback challenge is
// checked without the store; a stored one the store cannot check within
// the budget passes under FailPass and is expired under FailChallenge, so
// the flow asks for a new code.
func (s *Handlers) verifyIVR(ctx context.Context, id, digits, caller, contactID string) (ivrVerification, error) {
	if s.Challenges == nil {
		return ivrVerification{}, &respond.Error{Code: respond.CodeNotFound, Err: errors.New("IVR endpoint called without a challenge service")}
	}
	ctx, cancel := s.Budget.Bound(ctx)
	defer cancel()
	var v ivrVerification
	if contactflows.IsFallbackID(id) {
		if _, contact, ok := contactflows.ParseFallbackID(id); ok && contact != contactID {
			s.log.LogAttrs(ctx, slog.LevelWarn, "fallback challenge keyed in another contact; refused",
				slog.String("challenge_contact", contact), slog.String("contact", contactID))
			return ivrVerification{Verification: contactflows.Verification{Result: contactflows.VerifyUnknown}}, nil
		}
		v.Verification = s.Fallback.Verify(id, digits)
	} else {
		var err error
		v.Verification, err = s.Challenges.Verify(ctx, id, contactID, digits)
		if err != nil {
			s.Budget.FellBack(ctx, surface, string(s.FailMode), fmt.Errorf("verifying challenge: %w", err))
			v = ivrVerification{Verification: contactflows.Verification{Result: contactflows.VerifyExpired}, StoreDown: true}
			if s.FailMode == FailPass {
				v.Result = contactflows.VerifyPass
			}
			return v, nil
		}
	}
	if v.Result == contactflows.VerifyFail && v.Ended && caller != "" {
		if err := s.Engine.RecordChallengeFailed(ctx, caller); err != nil {
			s.log.Warn("failed challenge not counted against the caller", slog.Any("err", err))
		}
	}
	return v, nil
}

// count adds an IVR event to the day's stats, logging a failure.
func (s *Handlers) count(ctx context.Context, flow, event string) {
	if err := s.Challenges.Count(ctx, flow, event); err != nil {
		s.log.Warn("IVR event not counted", slog.String("event", event), slog.Any("err", err))
	}
}
