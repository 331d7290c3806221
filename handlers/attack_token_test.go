package handlers

import (
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// TestAttackTokenReuse reuses, as an attacker who signed up once would,
// one valid visitor token for many numbers from many addresses: the
// account is counted, so its vouching runs out. Without a configured
// secret a visitor token changes nothing, good or bad.
func TestAttackTokenReuse(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		t.Run("one token, many numbers", func(t *testing.T) {
			redistest.Flush(t, rdb)
			st := newStackOn(t, rdb, nil, &dispatch.Simulator{}, func(d *Deps) { d.VisitorSecret = testSecret })
			token := SignVisitorToken(testSecret, "signed-up-once", time.Now().Add(30*time.Minute))
			for i := range 10 {
				st.postFrom(t, fmt.Sprintf("192.0.2.%d", 150+i), fmt.Sprintf(`{"phone":"+1 %d 555 0123","visitor_token":"%s"}`, []int{201, 202, 203, 205, 206, 207, 208, 212, 213, 214}[i], token))
				// The account's 6th distinct number reaches the critical
				// threshold, which the token's trust no longer outweighs.
				if d := st.lastDecision(t).Decision; i >= 5 && (d.Action == risk.Allow || !d.Has(risk.CodeNumbersPerAccountCritical)) {
					t.Errorf("the account's number %d: got %s %v, want refused with %s", i+1, d.Action, d.Codes(), risk.CodeNumbersPerAccountCritical)
				}
			}
		})
		t.Run("no secret", func(t *testing.T) {
			redistest.Flush(t, rdb)
			st := newStackOn(t, rdb, nil, &dispatch.Simulator{})
			st.postFrom(t, "192.0.2.170", `{"phone":"+1 201 555 0123","visitor_token":"v1.garbage"}`)
			if d := st.lastDecision(t).Decision; d.Action != risk.Allow || len(d.Reasons) != 0 {
				t.Errorf("a visitor token with no secret configured: got %s %v, want allowed with no reason", d.Action, d.Codes())
			}
		})
	})
}
