package handlers

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// TestAttackBudgetRace sends, as a scripted attacker would, 20 clean
// requests at once with room in the daily budget for 5 calls: the budget
// is reserved as calls are allowed, so no more than 5 are dialled and the
// spend never passes the budget.
func TestAttackBudgetRace(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := newStackOn(t, rdb, func(s *risk.Settings) {
			s.Spend.DailyBudget, s.Spend.DefaultCost, s.Spend.Costs = 50, 10, nil
		}, &dispatch.Simulator{})
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 20 {
			wg.Go(func() {
				<-start
				st.postFrom(t, fmt.Sprintf("192.0.2.%d", 100+i), fmt.Sprintf(`{"phone":"+1 %03d 555 0123"}`, []int{201, 202, 203, 205, 206, 207, 208, 212, 213, 214, 215, 216, 217, 218, 219, 224, 225, 228, 229, 231}[i]))
			})
		}
		close(start)
		wg.Wait()
		deadline := time.Now().Add(10 * time.Second)
		for {
			b, err := st.engine.BudgetToday(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if b.Reserved == 0 || time.Now().After(deadline) {
				if b.Spent > 50 || b.Reserved != 0 {
					t.Errorf("budget after the burst: %+v, want at most 50 spent and nothing left reserved", b)
				}
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if n := st.sim.Count(); n != 5 {
			t.Errorf("calls dialled: %d, want 5 (room for 5 in the budget)", n)
		}
		ds, err := st.queue.DecisionLog().Decisions(t.Context(), 20)
		if err != nil || len(ds) != 20 {
			t.Fatalf("decision log: %d decisions, %v; want 20", len(ds), err)
		}
		for _, d := range ds {
			if d.Action != risk.Allow && !d.Has(risk.CodeBudgetExhausted) {
				t.Errorf("a clean request of the burst refused for %v, want only budget_exhausted to refuse", d.Codes())
			}
		}
	})
}
