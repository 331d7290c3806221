package handlers

import (
	"fmt"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// TestAttackFloodToDeflect tries to turn Tollgate against real customers
// with cheap junk, as an attacker with one address would: a flood of
// refused requests for numbers of one country, and requests for numbers
// beside a victim's. Neither may change the decision of a clean request
// from another address.
func TestAttackFloodToDeflect(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		t.Run("country", func(t *testing.T) {
			redistest.Flush(t, rdb)
			st := newStackOn(t, rdb, nil, &dispatch.Simulator{})
			// 320 requests in seconds from one Tor exit (203.0.113.7 in
			// the demo GeoIP), numbers all over the US: past the
			// country's critical threshold of 300 a minute.
			var wg sync.WaitGroup
			work := make(chan int)
			for range 8 {
				wg.Go(func() {
					for i := range work {
						st.postFrom(t, "203.0.113.7", fmt.Sprintf(`{"phone":"+1 %03d 555 %04d"}`, 201+i%600, i))
					}
				})
			}
			for i := range 320 {
				work <- i
			}
			close(work)
			wg.Wait()
			if d := st.lastDecision(t).Decision; d.Action == risk.Allow {
				t.Fatalf("the flood's last request: got %s %v, want it refused", d.Action, d.Codes())
			}
			status, body, _ := st.postFrom(t, "192.0.2.50", `{"phone":"+1 212 555 0147"}`)
			d := st.lastDecision(t).Decision
			if d.Action != risk.Allow || d.Has(risk.CodeVelocityCountryWarning) || d.Has(risk.CodeVelocityCountryCritical) || status != 202 {
				t.Errorf("a clean customer after the flood: got %d %v, %s %v; want 202 and allowed with no country velocity", status, body, d.Action, d.Codes())
			}
		})

		t.Run("numbers beside a victim's", func(t *testing.T) {
			victim := func(attackerRequests int) risk.Decision {
				t.Helper()
				redistest.Flush(t, rdb)
				st := newStackOn(t, rdb, nil, &dispatch.Simulator{})
				for i := range attackerRequests {
					st.postFrom(t, "198.51.100.77", fmt.Sprintf(`{"phone":"+1 303 555 01%02d"}`, 20+i))
				}
				st.postFrom(t, "192.0.2.51", `{"phone":"+1 303 555 0142"}`)
				return st.lastDecision(t).Decision
			}
			one, three := victim(1), victim(3)
			if three.Action != one.Action || three.Action == risk.Block {
				t.Errorf("the victim's request: got %s %v after three requests beside it from one address, %s %v after one; want the same, never block",
					three.Action, three.Codes(), one.Action, one.Codes())
			}
		})
	})
}
