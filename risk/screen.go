package risk

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Verdict is what to do with an inbound caller.
type Verdict string

// The verdicts of a Screening.
const (
	// Pass lets the caller through without a challenge.
	Pass Verdict = "pass"
	// Challenge asks the caller to key in a code first.
	Challenge Verdict = "challenge"
	// Reject disconnects the caller politely.
	Reject Verdict = "block"
)

// CallerRequest is an inbound call to screen before it reaches anyone.
type CallerRequest struct {
	// Caller is the calling number (ANI) as the telephony platform gave it:
	// E.164, national, or a withheld marker such as "anonymous".
	Caller string
	// Region is the ISO region for a caller number given without
	// +country; empty means the engine's default region.
	Region string
	// Flow names the IVR flow; it is carried into the screening.
	Flow string
	// Attestation is the STIR/SHAKEN verification status when the platform
	// gives one, as Twilio's StirVerstat: "TN-Validation-Passed-A", ...
	Attestation string
}

// Screening is the engine's answer for one inbound caller.
type Screening struct {
	// Verdict is pass, challenge or block.
	Verdict Verdict `json:"verdict"`
	// Score is the sum of the reasons' weights, never below zero.
	Score int `json:"score"`
	// Number is the caller's E.164 number, empty when withheld or invalid.
	Number string `json:"number,omitempty"`
	// NumberCountry and NumberType describe Number.
	NumberCountry string `json:"number_country,omitempty"`
	NumberType    string `json:"number_type,omitempty"`
	// Flow is the request's flow.
	Flow string `json:"flow,omitempty"`
	// Reasons lists every reason that contributed.
	Reasons []Reason `json:"reasons"`
}

// Has reports whether the screening carries the reason code.
func (s Screening) Has(code string) bool { return Decision{Reasons: s.Reasons}.Has(code) }

// withheldCallers are the caller ids platforms send for a withheld number,
// in lower case; Twilio's is a fixed fake number.
var withheldCallers = map[string]bool{
	"": true, "anonymous": true, "restricted": true, "private": true, "unknown": true,
	"unavailable": true, "withheld": true, "+266696687": true, "266696687": true,
}

// ScreenCaller screens an inbound caller in one Redis round trip: the
// number's validity and type, the deny and allow lists of numbers and
// prefixes, a withheld caller id, the caller's call velocity, the
// challenges it failed today and its STIR/SHAKEN attestation. An
// allow-listed caller, or one whose score is at or below the screening's
// pass_at, passes; a hard reason or a score from block_at blocks; anyone
// else is challenged.
func (e *Engine) ScreenCaller(ctx context.Context, req CallerRequest) (Screening, error) {
	s := e.settings.active.Load()
	now := e.now()
	d := Decision{Flow: req.Flow}
	sc := scorer{s: s, d: &d, now: now}
	attestation(sc, req.Attestation)

	region := req.Region
	if region == "" {
		region = e.region
	}
	caller := strings.TrimSpace(req.Caller)
	if withheldCallers[strings.ToLower(caller)] {
		sc.add(CodeCallerWithheld, "caller id withheld")
		return screened(sc, false), nil
	}
	num, err := e.numbers.parse(caller, region)
	if err != nil {
		sc.add(CodeCallerInvalid, "caller id is not a valid number")
		return screened(sc, false), nil
	}
	d.Number, d.NumberCountry, d.NumberType = num.e164, num.country, typeNames[num.kind]

	var calls *counter
	q := listQuery{e164: num.e164}
	lk, mirrored := e.lists.mirrored(q, now)
	rd := newReads(e.cluster)
	fails := rd.add(failsKey(num.e164, now))
	err = e.exec(ctx, rd, func(pl redis.Pipeliner) {
		calls = queueCounter(ctx, pl, rd, e.expiring, callerTag(num.e164), s.Screening.Velocity, now)
		if !mirrored {
			lk = queueLookups(ctx, pl, q)
		}
	})
	if err != nil {
		return Screening{}, fmt.Errorf("risk: screen caller: %w", err)
	}
	e.settle(ctx, now, calls)
	allowed := sc.entry(lk.allowNumber, CodeAllowNumber, "caller on the allow list")
	sc.entry(lk.denyNumber, CodeDenyNumber, "caller on the deny list")
	sc.entry(lk.denyPrefix, CodeDenyPrefix, "caller's prefix on the deny list")
	if code, ok := riskyTypes[num.kind]; ok {
		sc.add(code, "number type "+d.NumberType)
	}
	if !allowed {
		sc.velocity(calls, CodeVelocityCallerWarning, CodeVelocityCallerCritical, "calls from this caller")
		n := int(rd.int(fails))
		switch l := s.Screening.FailedChallenges; {
		case n >= l.Critical:
			sc.add(CodeCallerFailedCritical, fmt.Sprintf("%d challenges failed today (critical at %d)", n, l.Critical))
		case n >= l.Warning:
			sc.add(CodeCallerFailedWarning, fmt.Sprintf("%d challenges failed today (warning at %d)", n, l.Warning))
		}
	}
	return screened(sc, allowed), nil
}

// callerTag is the hash tag of an inbound caller's counters: the number's
// own, so a number's outbound and inbound keys share a slot.
func callerTag(e164 string) string { return numberTag(e164) }

// attestation adds the STIR/SHAKEN reason of a verification status.
func attestation(sc scorer, status string) {
	switch {
	case status == "":
	case strings.HasPrefix(status, "TN-Validation-Passed-A"):
		sc.add(CodeAttestationFull, "STIR/SHAKEN full attestation")
	case strings.HasPrefix(status, "TN-Validation-Failed"):
		sc.add(CodeAttestationFailed, "STIR/SHAKEN verification failed ("+status+")")
	}
}

// screened turns the scorer's reasons into a Screening.
func screened(sc scorer, allowListed bool) Screening {
	action := sc.action()
	sum := 0
	for _, r := range sc.d.Reasons {
		sum += r.Weight
	}
	v := Challenge
	switch {
	case action == Block:
		v = Reject
	case allowListed || sum <= sc.s.Screening.PassAt:
		v = Pass
	}
	return Screening{
		Verdict: v, Score: sc.d.Score, Number: sc.d.Number, NumberCountry: sc.d.NumberCountry,
		NumberType: sc.d.NumberType, Flow: sc.d.Flow, Reasons: sc.d.Reasons,
	}
}

// RecordChallengeFailed counts a challenge the caller failed today;
// ScreenCaller weighs the count. A caller id that is not a valid number
// (withheld, say) is not counted.
func (e *Engine) RecordChallengeFailed(ctx context.Context, caller string) error {
	num, err := e.numbers.parse(strings.TrimSpace(caller), e.region)
	if err != nil {
		return nil
	}
	k := failsKey(num.e164, e.now())
	err = e.exec(ctx, nil, func(p redis.Pipeliner) {
		p.Incr(ctx, k)
		p.Expire(ctx, k, 48*time.Hour)
	})
	if err != nil {
		return fmt.Errorf("risk: recording a failed challenge: %w", err)
	}
	return nil
}
