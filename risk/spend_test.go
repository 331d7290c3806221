package risk_test

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"

	"github.com/tollgate/tollgate/risk"
)

// runSpendSuite checks the per-number caps and the daily budget on st's
// stores; runSuite runs it.
func runSpendSuite(t *testing.T, st store) {
	ctx := context.Background()

	t.Run("calls placed per number are capped", func(t *testing.T) {
		e := newEngine(t, st(t), func(s *risk.Settings) { s.Spend.NumberPerHour, s.Spend.NumberPerDay = 1, 2 })
		placeAndEnd := func() {
			d := eval(t, e, gbMob, gbIP)
			wantAction(t, d, risk.Allow)
			if err := e.RecordPlaced(ctx, risk.PlacedCall{Number: d.Number, Country: d.NumberCountry}); err != nil {
				t.Fatal(err)
			}
			if err := e.Release(ctx, d.Number, d.ID); err != nil {
				t.Fatal(err)
			}
		}
		placeAndEnd()
		wantAction(t, eval(t, e, gbMob, gbIP), risk.Deflect, risk.CodeNumberCapHour)
		wantAction(t, eval(t, e, usNum, usIP), risk.Allow)
	})

	t.Run("the daily budget deflects once spent", func(t *testing.T) {
		e := newEngine(t, st(t), func(s *risk.Settings) {
			s.Spend.DailyBudget, s.Spend.DefaultCost, s.Spend.Costs = 30, 10, map[string]int64{"GB": 20}
		})
		// Nothing spent yet: the budget's key does not exist.
		first := eval(t, e, "+12015556177", usIP)
		wantAction(t, first, risk.Allow)
		if first.Reserved != 10 {
			t.Errorf("Reserved: got %d, want the call's cost, 10", first.Reserved)
		}
		if b, err := e.BudgetToday(ctx); err != nil || b != (risk.BudgetState{Reserved: 10}) {
			t.Errorf("BudgetToday = %+v, %v; want 10 reserved", b, err)
		}
		// Its call is given up: lock and reservation are released.
		if err := e.Release(ctx, first.Number, first.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.Unreserve(ctx, first.ID, first.At); err != nil {
			t.Fatal(err)
		}
		if err := e.RecordPlaced(ctx, risk.PlacedCall{Number: "+447700900999", Country: "GB"}); err != nil {
			t.Fatal(err)
		}
		if got, err := e.SpentToday(ctx); err != nil || got != 20 {
			t.Errorf("SpentToday = %d, %v; want 20", got, err)
		}
		wantAction(t, eval(t, e, gbMob, gbIP), risk.Deflect, risk.CodeBudgetExhausted)
		last := eval(t, e, usNum, usIP)
		wantAction(t, last, risk.Allow)
		// Placed, its reservation becomes spend.
		if err := e.RecordPlaced(ctx, risk.PlacedCall{ID: last.ID, Number: last.Number, Country: "US", RequestedAt: last.At}); err != nil {
			t.Fatal(err)
		}
		if b, err := e.BudgetToday(ctx); err != nil || b != (risk.BudgetState{Spent: 30}) {
			t.Errorf("BudgetToday = %+v, %v; want 30 spent, nothing reserved", b, err)
		}
	})

	t.Run("the daily budget holds under a burst", func(t *testing.T) {
		e := newEngine(t, st(t), func(s *risk.Settings) { s.Spend.DailyBudget, s.Spend.DefaultCost = 50, 10 })
		var wg sync.WaitGroup
		actions := make(chan risk.Decision, 20)
		for i := range 20 {
			wg.Go(func() {
				d, err := e.Evaluate(ctx, risk.Request{Phone: fmt.Sprintf("+447400%06d", 100000+i*1000), IP: netip.AddrFrom4([4]byte{10, byte(i), 0, 1})})
				if err != nil {
					t.Error(err)
				}
				actions <- d
			})
		}
		wg.Wait()
		close(actions)
		allowed := 0
		for d := range actions {
			if d.Action == risk.Allow {
				allowed++
			} else if !d.Has(risk.CodeBudgetExhausted) {
				t.Errorf("refused without budget_exhausted: %v", d.Codes())
			}
		}
		if allowed != 5 {
			t.Errorf("20 simultaneous requests with room for 5 calls: %d allowed, want 5", allowed)
		}
		if b, err := e.BudgetToday(ctx); err != nil || b.Reserved != 50 {
			t.Errorf("BudgetToday = %+v, %v; want 50 reserved", b, err)
		}
	})
}
