package handlers

import (
	"reflect"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// TestAttackShadowBlockOracle probes as an attacker who sees only the
// API's answers: from a foreign address they ask for three throwaway
// numbers, which pushes their own score into the deflect band, and then
// for the number they want to learn about. A deny-listed number, a number
// in a blocked country and a clean one must answer alike, while the
// decision log keeps the real action.
func TestAttackShadowBlockOracle(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := newStackOn(t, rdb, func(s *risk.Settings) {
			s.Account.Countries = map[string]risk.Mode{"FR": risk.ModeBlock}
		}, &dispatch.Simulator{})
		probe := func(ip, throwaway, number string) (int, map[string]any, risk.Decision) {
			t.Helper()
			for _, n := range []string{"+1 202 555 01", "+1 303 555 01", "+1 404 555 01"} {
				st.postFrom(t, ip, `{"phone":"`+n+throwaway+`"}`)
			}
			status, body, _ := st.postFrom(t, ip, `{"phone":"`+number+`"}`)
			return status, body, st.lastDecision(t).Decision
		}
		// Addresses in GB (198.51.100.0/24 in the demo GeoIP) and the US
		// (192.0.2.0/24) asking for numbers abroad; each probe from an
		// address of its own, at most eight requests a network.
		cleanStatus, cleanBody, clean := probe("198.51.100.31", "11", "+1 505 555 0142")
		if clean.Action != risk.Deflect || cleanStatus != 200 || cleanBody["status"] != "deflected" {
			t.Fatalf("clean number from the deflect band: got %d %v (%s %v), want 200 deflected", cleanStatus, cleanBody, clean.Action, clean.Codes())
		}
		for _, tt := range []struct {
			name, ip, throwaway, number, code string
		}{
			{"deny-listed number", "198.51.100.32", "22", "+1 201 555 0166", risk.CodeDenyNumber},
			{"blocked country", "192.0.2.33", "33", "+33 1 42 68 53 00", risk.CodeCountryBlocked},
		} {
			status, body, d := probe(tt.ip, tt.throwaway, tt.number)
			if d.Action != risk.Block || !d.Has(tt.code) {
				t.Errorf("%s: decision log got %s %v, want block with %s", tt.name, d.Action, d.Codes(), tt.code)
			}
			if status != cleanStatus || !reflect.DeepEqual(body, cleanBody) {
				t.Errorf("%s: answer %d %v, want %d %v as for a clean number: the answer reveals the hidden reason (%+v)", tt.name, status, body, cleanStatus, cleanBody, d.Reasons)
			}
		}
	})
}
