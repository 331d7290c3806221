package risk_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// TestEvidenceCombines checks the combining rule: one family of evidence
// alone deflects at most, two families block, decisive reasons block alone.
func TestEvidenceCombines(t *testing.T) {
	e := newEngine(t, miniStore(t), nil)
	// Premium rate (destination) alone: past the block threshold, deflected.
	d := eval(t, e, gbPrem, gbIP)
	wantAction(t, d, risk.Deflect, risk.CodeTypePremiumRate)
	if d.Score < risk.DefaultSettings().BlockAt {
		t.Errorf("score %d, want at least the block threshold: the family alone caps the action, not the score", d.Score)
	}
	// With a visitor abroad (behaviour), blocked.
	wantAction(t, eval(t, e, "+449012345679", usIP), risk.Block, risk.CodeTypePremiumRate, risk.CodeGeoMismatch)
	// Decisive by nature: a deny-listed number blocks alone.
	add(t, e, risk.DenyNumber, gbMob)
	wantAction(t, eval(t, e, gbMob, gbIP), risk.Block, risk.CodeDenyNumber)

	for _, r := range risk.ReasonTable() {
		if r.Family == "" {
			t.Errorf("%s has no family", r.Code)
		}
	}
}

// unrelated returns the i-th of US numbers each in a block of 1,000 of its
// own, far from one another.
func unrelated(i int) string { return fmt.Sprintf("+1201%03d4567", 310+i*41) }

func TestSharedAddresses(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		// Per-address counts over an hour, so a slow machine counts the same.
		hourly := func(s *risk.Settings) {
			s.Velocity.IP = []risk.Limit{{Window: risk.Duration(time.Hour), Warning: 4, Critical: 8}}
		}
		t.Run("many unrelated numbers each asked for once look shared", func(t *testing.T) {
			redistest.Flush(t, rdb)
			e := newEngine(t, rdb, hourly)
			nat := netip.MustParseAddr("192.0.2.30")
			var d risk.Decision
			for i := range 12 {
				d = eval(t, e, unrelated(i), nat)
				wantAction(t, d, risk.Allow)
			}
			wantAction(t, d, risk.Allow, risk.CodeSharedAddress, risk.CodeVelocityIPCritical, risk.CodeNumbersPerIPCritical)
			if r := reason(d, risk.CodeNumbersPerIPCritical); !r.Corroborating || d.Score != 0 {
				t.Errorf("got %+v (score %d), want it corroborating only and the score 0", r, d.Score)
			}
			// Other evidence (a number abroad) makes the volume count.
			d = eval(t, e, "+447400123456", nat)
			wantAction(t, d, risk.Block, risk.CodeSharedAddress, risk.CodeGeoMismatch, risk.CodeNumbersPerIPCritical)
		})
		t.Run("numbers of one block from one address are one visitor's", func(t *testing.T) {
			redistest.Flush(t, rdb)
			e := newEngine(t, rdb, nil)
			var d risk.Decision
			for i := range 9 {
				d = eval(t, e, fmt.Sprintf("+12015557%03d", i*97), usIP)
			}
			wantAction(t, d, risk.Deflect, risk.CodeNumbersPerIPCritical)
			if d.Has(risk.CodeSharedAddress) {
				t.Errorf("reasons %v: a walk through one block is not a shared address", d.Codes())
			}
		})
		t.Run("past the ceiling the volume counts alone", func(t *testing.T) {
			redistest.Flush(t, rdb)
			e := newEngine(t, rdb, func(s *risk.Settings) { s.Velocity.SharedCeiling = 1 })
			var d risk.Decision
			for i := range 9 {
				d = eval(t, e, unrelated(i), netip.MustParseAddr("192.0.2.31"))
			}
			wantAction(t, d, risk.Deflect, risk.CodeSharedAddress, risk.CodeNumbersPerIPCritical)
			if r := reason(d, risk.CodeNumbersPerIPCritical); r.Corroborating {
				t.Errorf("got %+v, want it counted alone past the ceiling", r)
			}
		})
		t.Run("a network on the shared list", func(t *testing.T) {
			redistest.Flush(t, rdb)
			// 192.0.2.0/24 is AS64500 in the demo databases.
			e := newEngine(t, rdb, func(s *risk.Settings) {
				hourly(s)
				s.SharedASNs = []uint{64500}
				s.Velocity.SharedCeiling = 2
			})
			mobile := netip.MustParseAddr("192.0.2.40")
			var d risk.Decision
			for i := range 15 {
				// The same number twice each: a listed network needs no
				// look of many people.
				d = eval(t, e, unrelated(i/2), mobile)
				wantAction(t, d, risk.Allow, risk.CodeSharedAddress)
				e.Release(t.Context(), d.Number, d.ID)
			}
			// The 16th request is twice the critical threshold of 8.
			d = eval(t, e, unrelated(16), mobile)
			wantAction(t, d, risk.Deflect, risk.CodeSharedAddress, risk.CodeVelocityIPCritical)
		})
	})
}

func TestRecombination(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		gb := func(i int) netip.Addr { return netip.MustParseAddr(fmt.Sprintf("198.51.100.%d", 100+i)) }
		n1, n2, n3 := "+447400123456", "+447400123789", "+447400123111"
		// ask evaluates and releases the lock of an allowed request, as a
		// call that ended does.
		// refusedBy checks d is refused with the recombination reason
		// detailed as want says.
		refusedBy := func(t *testing.T, d risk.Decision, want string) {
			t.Helper()
			r := reason(d, risk.CodeRecombined)
			if d.Action == risk.Allow || !strings.Contains(r.Detail, want) {
				t.Errorf("got %s %v (recombination: %q), want it refused with %q", d.Action, d.Codes(), r.Detail, want)
			}
		}
		ask := func(e *risk.Engine, n string, ip netip.Addr) risk.Decision {
			d := eval(t, e, n, ip)
			if d.Action == risk.Allow {
				e.Release(t.Context(), d.Number, d.ID)
			}
			return d
		}
		t.Run("a ring seen live marks its numbers and addresses", func(t *testing.T) {
			redistest.Flush(t, rdb)
			e := newEngine(t, rdb, nil)
			ring := []string{n1, n2, n3}
			// Four addresses recombine three numbers of one block.
			var sighted risk.Decision
			for round := range 3 {
				for a := range 4 {
					if d := ask(e, ring[(a+round)%3], gb(a)); d.Has(risk.CodeRecombined) && sighted.ID == "" {
						sighted = d
					}
				}
			}
			refusedBy(t, sighted, "asked for 2 numbers")
			if sighted.Shown() != risk.Allow {
				t.Errorf("first sighting shown %s: the reason rests on what others asked for and is hidden", sighted.Shown())
			}
			e.Close() // the marks are written
			// Addresses in other networks: the ring's /24 is busy.
			other := func(i int) netip.Addr { return netip.MustParseAddr(fmt.Sprintf("192.0.2.%d", 100+i)) }
			refusedBy(t, ask(e, n1, other(1)), "number seen in a recombination ring")
			refusedBy(t, ask(e, "+447400123222", other(2)), "numbers of this block")
			refusedBy(t, ask(e, "+447911123456", gb(1)), "address seen in a recombination ring")
			if d := ask(e, "+447400654321", other(3)); d.Has(risk.CodeRecombined) {
				t.Errorf("a number outside the ring: %v", d.Codes())
			}
		})
		t.Run("asking for a victim's number marks neither the victim nor their address", func(t *testing.T) {
			redistest.Flush(t, rdb)
			e := newEngine(t, rdb, nil)
			victim, owner, attacker := "+447400777123", gb(20), gb(30)
			wantAction(t, ask(e, victim, owner), risk.Allow)
			wantAction(t, ask(e, "+447911123456", attacker), risk.Allow)
			refusedBy(t, ask(e, victim, attacker), "asked for 2 numbers")
			e.Close()
			for _, d := range []risk.Decision{ask(e, victim, gb(21)), ask(e, "+447400654321", owner), ask(e, "+447400777999", gb(22))} {
				if d.Has(risk.CodeRecombined) {
					t.Errorf("after one address asked for the victim's number: %s from %s got %v", d.Number, d.IP, d.Codes())
				}
			}
		})
		t.Run("an address whose numbers are mostly its own is not marked", func(t *testing.T) {
			redistest.Flush(t, rdb)
			e := newEngine(t, rdb, nil)
			nat := netip.MustParseAddr("192.0.2.50")
			wantAction(t, ask(e, "+12025550177", netip.MustParseAddr("192.0.2.60")), risk.Allow)
			for i := range 5 {
				ask(e, unrelated(i), nat)
			}
			// One of the many behind it asks for a number asked for elsewhere.
			refusedBy(t, ask(e, "+12025550177", nat), "asked for 6 numbers")
			e.Close()
			d := ask(e, unrelated(6), nat)
			wantAction(t, d, risk.Allow, risk.CodeSharedAddress)
			if d.Has(risk.CodeRecombined) {
				t.Errorf("the next customer behind the address: %v, want no recombination", d.Codes())
			}
		})
		t.Run("a shared address marks only the number it recombined", func(t *testing.T) {
			redistest.Flush(t, rdb)
			e := newEngine(t, rdb, func(s *risk.Settings) { s.SharedASNs = []uint{64500} })
			mobile := netip.MustParseAddr("192.0.2.41")
			wantAction(t, ask(e, "+12015550188", mobile), risk.Allow)
			wantAction(t, ask(e, "+12025550177", gb(0)), risk.Allow, risk.CodeGeoMismatch)
			wantAction(t, ask(e, "+12025550177", mobile), risk.Deflect, risk.CodeRecombined)
			e.Close()
			// The carrier's other customers are not marked, nor the
			// address they share.
			wantAction(t, ask(e, "+12015550188", netip.MustParseAddr("192.0.2.42")), risk.Allow)
			d := ask(e, "+13125550166", mobile)
			if d.Has(risk.CodeRecombined) {
				t.Errorf("a fresh number from a listed shared address: reasons %v, want no recombination", d.Codes())
			}
		})
	})
}

func TestHighCostRanges(t *testing.T) {
	e := newEngine(t, miniStore(t), nil)
	d := eval(t, e, "+18095551234", netip.Addr{})
	wantAction(t, d, risk.Deflect, risk.CodeHighCostRange)
	if r := reason(d, risk.CodeHighCostRange); !strings.Contains(r.Detail, "+1809") {
		t.Errorf("detail %q, want the range", r.Detail)
	}
	wantAction(t, eval(t, e, "+18095551235", usIP), risk.Block, risk.CodeHighCostRange, risk.CodeGeoMismatch)

	e = newEngine(t, miniStore(t), func(s *risk.Settings) {
		s.HighCostRanges = []risk.CostRange{{Prefix: "+1201555", Name: "test range", Source: "test", Date: "2026-12"}}
	})
	wantAction(t, eval(t, e, usNum, usIP), risk.Deflect, risk.CodeHighCostRange)
	if d := eval(t, e, "+18095551236", netip.Addr{}); d.Has(risk.CodeHighCostRange) {
		t.Errorf("+1809 after the list was replaced: reasons %v", d.Codes())
	}

	for _, bad := range []risk.CostRange{{Prefix: "1809"}, {Prefix: "+"}, {Prefix: "+0123"}, {Prefix: "+1809", Date: "2026-13-01"}, {Prefix: "+1809", Name: "a\nb"}} {
		s := risk.DefaultSettings()
		s.HighCostRanges = []risk.CostRange{bad}
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "high_cost_ranges[0]") {
			t.Errorf("range %+v: got %v, want an error naming high_cost_ranges[0]", bad, err)
		}
	}
	s := risk.DefaultSettings()
	s.HighCostRanges = []risk.CostRange{{Prefix: "+1809"}, {Prefix: "+1809"}}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("a range listed twice: got %v", err)
	}
}
