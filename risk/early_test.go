package risk_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// TestEarlyRefusalCountsOnlyItsSource sends requests that the lists and
// the country policy refuse and checks that they wrote only keys of their
// own source: nothing under the number's, its blocks' or the country's
// hash tags, no lock and no budget reservation.
func TestEarlyRefusalCountsOnlyItsSource(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		e := newEngine(t, rdb, func(s *risk.Settings) {
			s.Account.Countries = map[string]risk.Mode{"GB": risk.ModeBlock}
			s.Spend.DailyBudget = 1000
		})
		add(t, e, risk.DenyNumber, usNum)
		add(t, e, risk.DenyIP, "10.9.9.0/24")
		for _, probe := range []struct {
			phone string
			ip    netip.Addr
			code  string
		}{
			{usNum, usIP, risk.CodeDenyNumber},
			{"+12015550177", netip.MustParseAddr("10.9.9.9"), risk.CodeDenyIP},
			{gbMob, usIP, risk.CodeCountryBlocked},
		} {
			wantAction(t, eval(t, e, probe.phone, probe.ip), risk.Block, probe.code)
		}
		for _, k := range redistest.Keys(t, rdb) {
			if strings.Contains(k, "{lists}") || strings.Contains(k, "{ip:") || strings.Contains(k, "{net:") || k == "tg:settings" {
				continue
			}
			t.Errorf("key %s written by a request refused before counting; want only its source's", k)
		}
	})
}

// TestEarlyRefusalShowsWhatAWholeDecisionShows plays an attacker who
// builds up their own history (requests, distinct numbers, an anonymizer,
// a spent budget), then asks for a number the lists or the policy refuse
// and, with the same history from scratch, for a clean one. The refused
// request is decided before counting, the clean one whole; both answers
// must show the same.
func TestEarlyRefusalShowsWhatAWholeDecisionShows(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		vpn := netip.MustParseAddr("2001:db8:1::5") // an anonymous VPN in the demo GeoIP
		histories := []struct {
			name string
			ip   netip.Addr
			// before are the numbers asked for first.
			before   []string
			settings func(*risk.Settings)
		}{
			{"fresh address", usIP, nil, nil},
			{"several numbers", usIP, []string{"+12025550101", "+13035550102", "+14045550103", "+15055550104"}, nil},
			{"many requests", usIP, slices.Repeat([]string{"+12025550101"}, 12), nil},
			{"anonymous VPN", vpn, nil, nil},
			{"budget spent", usIP, nil, func(s *risk.Settings) { s.Spend.DailyBudget, s.Spend.DefaultCost = 5, 10 }},
		}
		// Each hidden state is put in place for the same number as the
		// clean probe asks for, so only the hidden state differs.
		hidden := []struct {
			name  string
			phone string
			hide  func(t *testing.T, e *risk.Engine, ip netip.Addr)
		}{
			{"deny-listed number", usNum, func(t *testing.T, e *risk.Engine, _ netip.Addr) { add(t, e, risk.DenyNumber, usNum) }},
			{"deny-listed address", usNum, func(t *testing.T, e *risk.Engine, ip netip.Addr) { add(t, e, risk.DenyIP, ip.String()) }},
			{"blocked country", gbMob, func(t *testing.T, e *risk.Engine, _ netip.Addr) {
				s := e.SettingsStore().Settings()
				s.Account.Countries = map[string]risk.Mode{"GB": risk.ModeBlock}
				if err := e.SettingsStore().SaveSettings(t.Context(), s); err != nil {
					t.Fatal(err)
				}
			}},
		}
		for _, h := range histories {
			for _, hd := range hidden {
				t.Run(h.name+"/"+hd.name, func(t *testing.T) {
					answer := func(refuse bool) risk.Decision {
						redistest.Flush(t, rdb)
						e := newEngine(t, rdb, h.settings)
						if refuse {
							hd.hide(t, e, h.ip)
						}
						for _, n := range h.before {
							eval(t, e, n, h.ip)
						}
						return eval(t, e, hd.phone, h.ip)
					}
					whole, refused := answer(false), answer(true)
					if refused.Action == risk.Allow {
						t.Fatalf("the probe was allowed (reasons %v)", refused.Codes())
					}
					if whole.Shown() != refused.Shown() {
						t.Errorf("shown: %s for a clean number (reasons %v), %s for the refused one (reasons %v)", whole.Shown(), whole.Codes(), refused.Shown(), refused.Codes())
					}
				})
			}
		}
	})
}

// TestEarlyRefusalWaivedByAnAllowList checks that an allow-listed address
// is not refused early for what its entry waives (a Tor exit), and is for
// what it does not (a deny-listed number).
func TestEarlyRefusalWaivedByAnAllowList(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		e := newEngine(t, rdb, nil)
		tor := netip.MustParseAddr("203.0.113.7") // a Tor exit in the demo GeoIP
		add(t, e, risk.AllowIP, tor.String())
		wantAction(t, eval(t, e, usNum, tor), risk.Allow, risk.CodeAllowIP)
		add(t, e, risk.DenyNumber, "+12015550199")
		wantAction(t, eval(t, e, "+12015550199", tor), risk.Block, risk.CodeDenyNumber)
	})
}
