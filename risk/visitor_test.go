package risk_test

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// TestVisitorAccounts counts signed-in accounts as the engine counts
// addresses, and vouches only for what a token was signed for.
func TestVisitorAccounts(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ask := func(t *testing.T, e *risk.Engine, phone string, ip netip.Addr, v risk.Visitor, flow string) risk.Decision {
			t.Helper()
			d, err := e.Evaluate(t.Context(), risk.Request{Phone: phone, IP: ip, Visitor: &v, Flow: flow})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		t.Run("one account, many numbers", func(t *testing.T) {
			redistest.Flush(t, rdb)
			e := newEngine(t, rdb, nil)
			v := risk.Visitor{Account: "user-1"}
			var d risk.Decision
			for i := range 6 {
				d = ask(t, e, fmt.Sprintf("+447400%06d", 100000+i*1000), netip.AddrFrom4([4]byte{10, byte(i), 0, 1}), v, "")
			}
			wantAction(t, d, risk.Deflect, risk.CodeAuthenticated, risk.CodeNumbersPerAccountCritical)
		})
		t.Run("a token bound to another number", func(t *testing.T) {
			redistest.Flush(t, rdb)
			e := newEngine(t, rdb, nil)
			d := ask(t, e, usNum, usIP, risk.Visitor{Account: "user-2", Number: gbMob}, "")
			wantAction(t, d, risk.Allow, risk.CodeVisitorTokenWrongNumber)
			if d.Has(risk.CodeAuthenticated) {
				t.Errorf("reasons %v: a token bound to another number vouched", d.Codes())
			}
			d = ask(t, e, "+44 (0)7400 123456", gbIP, risk.Visitor{Account: "user-2", Number: gbMob}, "")
			wantAction(t, d, risk.Allow, risk.CodeAuthenticated)
		})
		t.Run("a single-use token used twice", func(t *testing.T) {
			redistest.Flush(t, rdb)
			e := newEngine(t, rdb, nil)
			v := risk.Visitor{Account: "user-3", Once: "token-9", Expiry: time.Now().Add(time.Hour)}
			wantAction(t, ask(t, e, usNum, usIP, v, ""), risk.Allow, risk.CodeAuthenticated)
			d := ask(t, e, "+12025550143", usIP, v, "")
			wantAction(t, d, risk.Allow, risk.CodeVisitorTokenReused)
			if d.Has(risk.CodeAuthenticated) {
				t.Errorf("reasons %v: a reused single-use token vouched", d.Codes())
			}
		})
		t.Run("a token does not whitewash a refused address", func(t *testing.T) {
			redistest.Flush(t, rdb)
			e := newEngine(t, rdb, nil)
			d := ask(t, e, usNum, torIP, risk.Visitor{Account: "user-5"}, "")
			wantAction(t, d, risk.Block, risk.CodeVisitorTokenRefusedSource, risk.CodeTorExit)
			if d.Has(risk.CodeAuthenticated) {
				t.Errorf("reasons %v: a token from a Tor exit vouched", d.Codes())
			}
			// From a residential proxy, which alone does not refuse, it
			// still vouches.
			d = ask(t, e, "+12025550143", netip.MustParseAddr("100.64.0.9"), risk.Visitor{Account: "user-5"}, "")
			wantAction(t, d, risk.Allow, risk.CodeAuthenticated)
		})
		t.Run("a token naming a flow binds it", func(t *testing.T) {
			redistest.Flush(t, rdb)
			e := newEngine(t, rdb, func(s *risk.Settings) {
				s.Account.Countries = map[string]risk.Mode{"GB": risk.ModeBlock}
				s.Flows = map[string]risk.Policy{"vip": {Default: risk.ModeAllow}}
			})
			wantAction(t, ask(t, e, gbMob, gbIP, risk.Visitor{Account: "user-4"}, "vip"), risk.Block, risk.CodeCountryBlocked)
			d := ask(t, e, "+447400123999", gbIP, risk.Visitor{Account: "user-4", Flow: "vip"}, "vip")
			wantAction(t, d, risk.Allow)
			if !d.FlowBound {
				t.Errorf("FlowBound: got false for a token naming the flow")
			}
		})
	})
}
