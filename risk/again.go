package risk

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk/geo"
)

// Again decides a recorded decision again, as far as the record keeps what
// it answered, for a replay's engine (Options.Replay) on a store of its
// own. The request is rebuilt from the record: the number, the address and
// its GeoIP facts as they were, the flow, the form's and the visitor
// token's signals; a visitor the host site vouched for counts as an
// account of its own, since the account is not recorded. What rested on
// calls and spend the replay's store does not hold is set in it as the
// record says it was, before deciding: a callback to the number
// outstanding or not, the number's placed calls at the caps or not, the
// day's budget spent or not (at the engine's own caps and budget, so a
// draft that changes them is weighed against that state).
func (e *Engine) Again(ctx context.Context, d Decision) (Decision, error) {
	if !e.replay {
		return Decision{}, errors.New("risk: Again is for a replay's engine (Options.Replay)")
	}
	s := e.settings.active.Load()
	now := e.now()
	sp := s.Spend
	_, err := e.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		lock := lockKey(d.Number)
		if d.Has(CodeDuplicate) {
			p.Set(ctx, lock, "recorded", e.dupTTL)
		} else {
			p.Del(ctx, lock)
		}
		p.Set(ctx, placedHourKey(d.Number, now), capIf(d.Has(CodeNumberCapHour), sp.NumberPerHour), 0)
		p.Set(ctx, placedDayKey(d.Number, now), capIf(d.Has(CodeNumberCapDay), sp.NumberPerDay), 0)
		if sp.DailyBudget > 0 {
			k := budgetKeys(now)
			p.Set(ctx, k[0], capIf(d.Has(CodeBudgetExhausted), int(sp.DailyBudget)), 0)
			p.Del(ctx, k[1], k[2])
		}
		return nil
	})
	if err != nil {
		return Decision{}, fmt.Errorf("risk: setting a recorded decision's state: %w", err)
	}
	return e.Evaluate(ctx, requestOf(d))
}

func capIf(reached bool, limit int) int {
	if reached {
		return limit
	}
	return 0
}

// recordedSignals are the reason codes Again takes from the record: what
// the handler found (the form, a visitor token that did not vouch) and
// what the GeoIP databases lacked.
var recordedSignals = map[string]bool{
	CodeFormHoneypot: true, CodeFormTooFast: true, CodeFormExpired: true, CodeFormTokenInvalid: true,
	CodeVisitorTokenInvalid: true, CodeVisitorTokenWrongNumber: true, CodeVisitorTokenReused: true,
	CodeVisitorTokenRefusedSource: true,
	CodeCountryDBUnavailable:      true, CodeASNDBUnavailable: true, CodeAnonymousDBUnavailable: true,
}

// requestOf is the request a recorded decision answered, as far as the
// record keeps it.
func requestOf(d Decision) Request {
	info := geo.Info{Country: d.IPCountry, ASN: d.ASN}
	req := Request{Phone: d.Number, IP: d.IP, Flow: d.Flow, FlowBound: d.FlowBound, Geo: &info}
	for _, r := range d.Reasons {
		switch r.Code {
		case CodeAnonymousVPN:
			info.Anonymous.VPN = true
		case CodeTorExit:
			info.Anonymous.Tor = true
		case CodePublicProxy:
			info.Anonymous.PublicProxy = true
		case CodeResidentialProxy:
			info.Anonymous.ResidentialProxy = true
		case CodeHostingProvider:
			info.Anonymous.Hosting = true
		case CodeAuthenticated:
			req.Visitor = &Visitor{Account: "replay " + d.ID}
		}
		if recordedSignals[r.Code] {
			req.Extra = append(req.Extra, Reason{Code: r.Code, Detail: r.Detail})
		}
	}
	return req
}
