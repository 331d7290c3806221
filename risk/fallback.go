package risk

import (
	"context"
	"strings"
	"time"
)

// CodeStoreUnavailable marks a decision or screening made without the
// store: Redis failed or did not answer within the decision budget, and
// the surface's fail mode decided instead of the score. It carries no
// weight and is not in DefaultWeights: it is not a signal about the
// visitor.
const CodeStoreUnavailable = "store_unavailable"

// Fallback is the decision for req when Evaluate could not be made: action
// is the surface's fail mode and the reasons are CodeStoreUnavailable,
// with cause as its detail. It needs no Redis. The number is still parsed
// and an invalid one still returns a *NumberError, so the visitor can
// correct it. The reasons the handler found (req.Extra) are kept. With
// action Allow, the checks that need no Redis still apply: a hard reason
// among req.Extra (a form honeypot) or a number in a country the policy
// blocks is blocked. Lists, velocity,
// duplicate callbacks and caps, which live in Redis, are not checked, and
// no outstanding-callback lock is taken.
func (e *Engine) Fallback(req Request, action Action, cause string) (Decision, error) {
	s := e.active.Load()
	ip := req.IP.Unmap()
	d := Decision{ID: newID(), IP: ip, Flow: req.Flow, At: e.now(), Action: action}
	region := req.Region
	if region == "" {
		region = e.region
	}
	num, err := e.numbers.parse(req.Phone, region)
	if err != nil {
		return Decision{}, err
	}
	d.Number, d.NumberCountry, d.NumberType = num.e164, num.country, typeNames[num.kind]
	info := e.geo.Lookup(ip)
	d.IPCountry, d.ASN = info.Country, info.ASN
	d.Reasons = append([]Reason{{Code: CodeStoreUnavailable, Detail: cause}}, req.Extra...)
	for _, r := range req.Extra {
		if action == Allow && IsHard(r.Code) {
			d.Action = Block
		}
	}
	if d.Action == Allow {
		if mode, rule := s.CountryMode(req.Flow, num.country); mode == ModeBlock {
			d.Action = Block
			d.Reasons = append(d.Reasons, Reason{Code: CodeCountryBlocked, Hard: true, Detail: "calls to " + num.country + " blocked by " + rule})
		}
	}
	return d, nil
}

// ScreenFallback is the screening of req when ScreenCaller could not be
// made: verdict is the IVR fail mode and the reason is
// CodeStoreUnavailable with cause as its detail. It needs no Redis.
func (e *Engine) ScreenFallback(req CallerRequest, verdict Verdict, cause string) Screening {
	sc := Screening{Verdict: verdict, Flow: req.Flow, Reasons: []Reason{{Code: CodeStoreUnavailable, Detail: cause}}}
	region := req.Region
	if region == "" {
		region = e.region
	}
	if num, err := e.numbers.parse(strings.TrimSpace(req.Caller), region); err == nil {
		sc.Number, sc.NumberCountry, sc.NumberType = num.e164, num.country, typeNames[num.kind]
	}
	return sc
}

// releaseIfHeld frees, off the request path, the lock on number if
// decision id holds it: an evaluation that failed may or may not have
// taken it. Another holder's lock is left alone. A failure is only logged
// at debug level: the store is likely what failed, and the lock expires on
// its own.
func (e *Engine) releaseIfHeld(number, id string) {
	e.releases.Add(1)
	go func() {
		defer e.releases.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := e.Release(ctx, number, id); err != nil {
			e.log.Debug("lock of a failed evaluation not checked; if taken, it expires on its own", "err", err)
		}
	}()
}
