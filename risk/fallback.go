package risk

import (
	"fmt"
	"strings"
)

// CodeStoreUnavailable marks a decision or screening made without the
// store: Redis failed or did not answer within the decision budget, and
// the surface's fail mode decided instead of the score. It carries no
// weight and is not in DefaultWeights: it is not a signal about the
// visitor.
const CodeStoreUnavailable = "store_unavailable"

// Fallback is the decision for req when Evaluate could not be made: action
// is the surface's fail mode and the reasons start with
// CodeStoreUnavailable, with cause as its detail. It needs no Redis. The
// number is still parsed and an invalid one still returns a *NumberError,
// so the visitor can correct it. The reasons the handler found (req.Extra)
// are kept.
//
// With action Allow, everything known without Redis is scored as Evaluate
// scores it, with the same weights and thresholds: the country policy, a
// high-risk destination, the number's type, a geo mismatch, the address's
// anonymizer and hosting flags, authentication and req.Extra (a form
// honeypot blocks). The request is allowed only below the deflect
// threshold; else it is deflected or blocked as the score says. Lists
// (an allow-listed address is scored like any other), velocity, spend and
// caps live in Redis and are not checked, and no Redis lock is taken;
// instead this process allows one fallback callback per number per
// duplicate TTL (a second is blocked with CodeDuplicate), and at most
// MaxFallbackHolds numbers in that time (past it, requests are
// deflected).
func (e *Engine) Fallback(req Request, action Action, cause string) (Decision, error) {
	s := e.settings.active.Load()
	ip := req.IP.Unmap()
	now := e.now()
	d := Decision{ID: newID(), IP: ip, Flow: req.Flow, FlowBound: req.FlowBound, At: now, Action: action, Visible: action}
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
	d.Reasons = []Reason{{Code: CodeStoreUnavailable, Detail: cause}}
	if action != Allow {
		d.Reasons = append(d.Reasons, req.Extra...)
		return d, nil
	}
	sc := scorer{s: s, d: &d, now: now}
	sc.reasons(e.geoGaps)
	// A single-use token cannot be checked without the store: it vouches
	// for nothing here, and binds no flow.
	if req.Visitor != nil && req.Visitor.Once != "" {
		req.Visitor = nil
	}
	fits := e.tokenFits(req.Visitor, num)
	acct := accountReads{refusedSource: beforeCounting(s, req, info)}
	d.FlowBound = flowBound(req, acct.vouched(req, fits))
	sc.destination(req.Flow, d.FlowBound, num, info)
	sc.anonymity(info)
	sc.visitor(req, fits, acct)
	sc.reasons(req.Extra)
	d.Action, d.Visible = sc.action(), sc.seen()
	if d.Action != Allow {
		return d, nil
	}
	switch e.fallbackHolds.take(num.e164, now, e.dupTTL) {
	case holdTaken:
	case holdDuplicate:
		sc.add(CodeDuplicate, "this instance allowed a fail-mode callback to this number within "+e.dupTTL.String())
		d.Action, d.Visible = sc.action(), sc.seen()
	case holdFull:
		d.Action, d.Visible = Deflect, Deflect
		d.Reasons[0].Detail += fmt.Sprintf("; fail mode allow, but this instance already allowed %d fail-mode callbacks within %s", MaxFallbackHolds, e.dupTTL)
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
