package risk_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// TestRefusedSourcesHoldNothing floods as an attacker whose own source
// refuses them, and checks that they hold nothing a real customer needs:
// the victim's number lock and the day's budget.
func TestRefusedSourcesHoldNothing(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		lockOf := func(n string) string { return "tg:{n:" + n + "}:lock" }
		t.Run("an anonymizer", func(t *testing.T) {
			redistest.Flush(t, rdb)
			e := newEngine(t, rdb, func(s *risk.Settings) { s.Spend.DailyBudget, s.Spend.DefaultCost = 10, 10 })
			d := eval(t, e, usNum, torIP)
			wantAction(t, d, risk.Block, risk.CodeTorExit)
			if n, err := rdb.Exists(t.Context(), lockOf(usNum)).Result(); err != nil || n != 0 {
				t.Errorf("the victim's lock after a request from a Tor exit: EXISTS %d, %v; want 0", n, err)
			}
			if b, err := e.BudgetToday(t.Context()); err != nil || b.Reserved != 0 {
				t.Errorf("budget after a request from a Tor exit: %+v, %v; want nothing reserved", b, err)
			}
		})
		t.Run("an address past its own limits", func(t *testing.T) {
			redistest.Flush(t, rdb)
			e := newEngine(t, rdb, func(s *risk.Settings) { s.Spend.DailyBudget, s.Spend.DefaultCost = 1000, 10 })
			var d risk.Decision
			for i := range 9 {
				d = eval(t, e, fmt.Sprintf("+447400%06d", 200000+i), usIP)
			}
			wantAction(t, d, risk.Block, risk.CodeVelocityIPCritical)
			e.Close() // the refused requests' releases are done
			before, err := e.BudgetToday(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			d = eval(t, e, usNum, usIP)
			wantAction(t, d, risk.Deflect, risk.CodeVelocityIPCritical)
			if n, err := rdb.Exists(t.Context(), lockOf(usNum)).Result(); err != nil || n != 0 {
				t.Errorf("the victim's lock after a request from a hot address: EXISTS %d, %v; want 0", n, err)
			}
			if b, err := e.BudgetToday(t.Context()); err != nil || b != before {
				t.Errorf("budget after a request from a hot address: %+v, %v; want %+v as before it", b, err, before)
			}
		})
		t.Run("an allow list does not bypass the budget", func(t *testing.T) {
			redistest.Flush(t, rdb)
			e := newEngine(t, rdb, func(s *risk.Settings) { s.Spend.DailyBudget, s.Spend.DefaultCost = 10, 10 })
			add(t, e, risk.AllowNumber, gbVoIP)
			wantAction(t, eval(t, e, usNum, usIP), risk.Allow)
			d := eval(t, e, gbVoIP, gbIP)
			wantAction(t, d, risk.Deflect, risk.CodeBudgetExhausted)
		})
	})
}

// TestVisitorTokenNumberReadInDefaultRegion binds a token to a number
// typed nationally: the request's region, which the visitor picks, cannot
// make it fit the same digits in another country.
func TestVisitorTokenNumberReadInDefaultRegion(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		e := newEngine(t, rdb, nil)
		v := &risk.Visitor{Account: "user-9", Number: "(201) 555-0123"}
		for region, want := range map[string]string{"US": risk.CodeAuthenticated, "DE": risk.CodeVisitorTokenWrongNumber} {
			d, err := e.Evaluate(t.Context(), risk.Request{Phone: "201 555 0123", Region: region, IP: netip.MustParseAddr("10.9.0.1"), Visitor: v})
			if err != nil {
				t.Fatal(err)
			}
			if !d.Has(want) {
				t.Errorf("region %s (%s): got %v, want %s", region, d.Number, d.Codes(), want)
			}
		}
	})
}

// TestFallbackSingleUseTokenVouchesForNothing: without the store, a
// single-use token cannot be checked, so it neither vouches nor binds.
func TestFallbackSingleUseTokenVouchesForNothing(t *testing.T) {
	e := newEngine(t, miniStore(t), func(s *risk.Settings) {
		s.Account.Countries = map[string]risk.Mode{"GB": risk.ModeBlock}
		s.Flows = map[string]risk.Policy{"vip": {Default: risk.ModeAllow}}
	})
	d, err := e.Fallback(risk.Request{Phone: gbMob, IP: gbIP, Flow: "vip", Visitor: &risk.Visitor{Account: "u", Flow: "vip", Once: "t-1"}}, risk.Allow, "test")
	if err != nil {
		t.Fatal(err)
	}
	if d.Has(risk.CodeAuthenticated) || d.FlowBound || d.Action != risk.Block {
		t.Errorf("fallback with a single-use token: got %s %v (bound %v), want blocked by the account policy, not vouched", d.Action, d.Codes(), d.FlowBound)
	}
}
