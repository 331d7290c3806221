package handlers

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// TestAttackFlowEscape names, as an anonymous caller would, a flow whose
// policy allows a country the account blocks. The flow may only make the
// account policy stricter for them; a partner whose API key is bound to
// the flow gets its policy.
func TestAttackFlowEscape(t *testing.T) {
	const partnerKey = "partner-key-0123456789abcdefghijklmnop"
	const otherKey = "other-key-0123456789abcdefghijklmnopqr"
	policy := func(s *risk.Settings) {
		s.Account.Countries = map[string]risk.Mode{"FR": risk.ModeBlock}
		s.Flows = map[string]risk.Policy{"vip": {Default: risk.ModeAllow}, "strict": {Countries: map[string]risk.Mode{"DE": risk.ModeBlock}}}
	}
	const frenchVIP = `{"phone":"+33 1 42 68 53 00","flow":"vip"}`
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		t.Run("anonymous", func(t *testing.T) {
			redistest.Flush(t, rdb)
			st := newStackOn(t, rdb, policy, &dispatch.Simulator{})
			st.postFrom(t, "192.0.2.60", frenchVIP)
			if d := st.lastDecision(t).Decision; d.Action != risk.Block || !d.Has(risk.CodeCountryBlocked) || d.FlowBound {
				t.Errorf("anonymous caller naming flow vip: got %s %v (bound %v), want blocked by the account policy", d.Action, d.Codes(), d.FlowBound)
			}
			st.postFrom(t, "192.0.2.61", `{"phone":"+49 30 901820","flow":"strict"}`)
			if d := st.lastDecision(t).Decision; d.Action != risk.Block || !d.Has(risk.CodeCountryBlocked) {
				t.Errorf("anonymous caller naming a stricter flow: got %s %v, want blocked by the flow", d.Action, d.Codes())
			}
		})
		t.Run("visitor tokens", func(t *testing.T) {
			redistest.Flush(t, rdb)
			st := newStackOn(t, rdb, policy, &dispatch.Simulator{}, func(d *Deps) { d.VisitorSecret = testSecret })
			exp := time.Now().Add(30 * time.Minute).Unix()
			for _, tt := range []struct {
				name  string
				flow  string
				bound bool
			}{{"a token not naming the flow", "", false}, {"a token naming it", "vip", true}} {
				token := SignVisitorClaims(testSecret, VisitorClaims{User: "member-1" + tt.flow, Expiry: exp, Flow: tt.flow})
				st.postFrom(t, "192.0.2.64", `{"phone":"+33 1 42 68 53 0`+fmt.Sprint(len(tt.flow))+`","flow":"vip","visitor_token":"`+token+`"}`)
				if d := st.lastDecision(t).Decision; d.FlowBound != tt.bound || (d.Action == risk.Allow) != tt.bound {
					t.Errorf("%s: got %s %v (bound %v), want bound %v", tt.name, d.Action, d.Codes(), d.FlowBound, tt.bound)
				}
			}
		})
		t.Run("keys", func(t *testing.T) {
			redistest.Flush(t, rdb)
			st := newStackOn(t, rdb, policy, &dispatch.Simulator{}, func(d *Deps) {
				d.API = APIAccess{Mode: APIKeyRequired, Keys: []APIKeyConfig{
					{Name: "partner", Secret: partnerKey, Flows: []string{"vip"}},
					{Name: "other", Secret: otherKey},
				}}
			})
			st.postJSON(t, "/api/v1/callbacks", frenchVIP, otherKey, "X-Forwarded-For", "192.0.2.62")
			if d := st.lastDecision(t).Decision; d.Action != risk.Block || d.FlowBound {
				t.Errorf("a key not bound to vip: got %s %v (bound %v), want blocked by the account policy", d.Action, d.Codes(), d.FlowBound)
			}
			status, body, _ := st.postJSON(t, "/api/v1/callbacks", frenchVIP, partnerKey, "X-Forwarded-For", "192.0.2.63")
			if d := st.lastDecision(t).Decision; d.Action != risk.Allow || !d.FlowBound || status != 202 {
				t.Errorf("the key bound to vip: got %d %v, %s %v (bound %v), want allowed by the flow", status, body, d.Action, d.Codes(), d.FlowBound)
			}
			// The admin API says which flows loosen and what binds them.
			var doc admin.PolicyDoc
			if status := st.api(t, "GET", "/api/v1/admin/policy", st.token(t, auth.RoleViewer), "", "", &doc); status != 200 {
				t.Fatalf("GET /api/v1/admin/policy: %d", status)
			}
			if b := doc.Bindings["vip"]; !b.Loosens || !slices.Equal(b.APIKeys, []string{"partner"}) {
				t.Errorf("vip's binding: got %+v, want it to loosen, bound by the key partner", b)
			}
			if b := doc.Bindings["strict"]; b.Loosens || len(b.APIKeys) != 0 {
				t.Errorf("strict's binding: got %+v, want stricter only", b)
			}
		})
	})
}
