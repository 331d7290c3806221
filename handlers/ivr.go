package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/risk"
)

// Challenger issues and verifies DTMF codes and counts IVR outcomes;
// *contactflows.Challenges satisfies it.
type Challenger interface {
	// Issue returns a fresh code for contactID in flow.
	Issue(ctx context.Context, flow, contactID string) (contactflows.Challenge, error)
	// Verify checks digits against challenge id.
	Verify(ctx context.Context, id, digits string) (contactflows.Verification, error)
	// Count adds one event to flow's stats for today.
	Count(ctx context.Context, flow, event string) error
	// Stats returns day's counts, flow by flow.
	Stats(ctx context.Context, day time.Time) (map[string]map[string]int64, error)
}

var _ Challenger = (*contactflows.Challenges)(nil)

// IVR events counted beside the challenge's own.
const (
	statScreened = "screened"
	statPassed   = "screen_passed"
	statBlocked  = "disconnected"
)

// ivrStart is what screening an inbound caller came to: the screening and,
// when the verdict is challenge, the code issued.
type ivrStart struct {
	Screening risk.Screening
	Challenge contactflows.Challenge
}

// startIVR screens a caller and, when it must be challenged, issues its
// code; every transport runs it. A contact that has asked for too many
// codes is blocked.
func (s *server) startIVR(ctx context.Context, req risk.CallerRequest, contactID string) (ivrStart, error) {
	if s.Challenges == nil {
		return ivrStart{}, &appError{Code: codeNotFound, Err: errors.New("IVR endpoint called without a challenge service")}
	}
	if contactID == "" || len(contactID) > maxContactIDLen {
		return ivrStart{}, fieldError(codeBadRequest, "contact_id", "The call's id (contact id, CallSid) is missing or longer than 128 characters.")
	}
	sc, err := s.Engine.ScreenCaller(ctx, req)
	if err != nil {
		return ivrStart{}, &appError{Code: codeUnavailable, Err: fmt.Errorf("screening caller: %w", err)}
	}
	st := ivrStart{Screening: sc}
	s.count(ctx, req.Flow, statScreened)
	if sc.Verdict == risk.Challenge {
		st.Challenge, err = s.Challenges.Issue(ctx, req.Flow, contactID)
		switch {
		case errors.Is(err, contactflows.ErrTooManyChallenges):
			st.Screening.Verdict = risk.Reject
		case err != nil:
			return ivrStart{}, &appError{Code: codeUnavailable, Err: fmt.Errorf("issuing challenge: %w", err)}
		}
	}
	switch st.Screening.Verdict {
	case risk.Pass:
		s.count(ctx, req.Flow, statPassed)
	case risk.Reject:
		s.count(ctx, req.Flow, statBlocked)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "caller screened",
		slog.String("flow", req.Flow), slog.String("contact", contactID),
		slog.String("verdict", string(st.Screening.Verdict)), slog.Int("score", st.Screening.Score),
		slog.Any("reasons", risk.Decision{Reasons: st.Screening.Reasons}.Codes()),
		slog.String("caller", risk.MaskNumber(st.Screening.Number)))
	return st, nil
}

// verifyIVR checks the digits keyed for challenge id; a challenge failed
// for good counts against the caller's number in later screenings.
func (s *server) verifyIVR(ctx context.Context, id, digits, caller string) (contactflows.Verification, error) {
	if s.Challenges == nil {
		return contactflows.Verification{}, &appError{Code: codeNotFound, Err: errors.New("IVR endpoint called without a challenge service")}
	}
	v, err := s.Challenges.Verify(ctx, id, digits)
	if err != nil {
		return v, &appError{Code: codeUnavailable, Err: fmt.Errorf("verifying challenge: %w", err)}
	}
	if v.Result == contactflows.VerifyFail && caller != "" {
		if err := s.Engine.RecordChallengeFailed(ctx, caller); err != nil {
			s.log.Warn("failed challenge not counted against the caller", slog.Any("err", err))
		}
	}
	return v, nil
}

// count adds an IVR event to the day's stats, logging a failure.
func (s *server) count(ctx context.Context, flow, event string) {
	if err := s.Challenges.Count(ctx, flow, event); err != nil {
		s.log.Warn("IVR event not counted", slog.String("event", event), slog.Any("err", err))
	}
}
