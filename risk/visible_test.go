package risk_test

import (
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// TestVisibleIgnoresHiddenReasons probes as an attacker who has pushed
// their own score into the deflect band (a foreign address, with deflect
// at 20) and compares the answer for a number with and without hidden
// state: a list entry, a blocked country, an outstanding callback. What
// the visitor is shown must not change; what Tollgate does must. It does
// so twice: with the decision read whole from Redis (an instance whose
// lists' mirror is not loaded), and refused before counting (the mirror
// loaded: the foreign address alone deflects, so an outstanding callback
// is never looked at).
func TestVisibleIgnoresHiddenReasons(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		deflectBand := func(s *risk.Settings) { s.DeflectAt = 20 }
		tests := []struct {
			name string
			// hide puts the hidden state in place before the probe.
			hide func(t *testing.T, e *risk.Engine, s *risk.Settings)
			// want and wantEarly are the action and code of the whole
			// decision and of the one refused before counting.
			want, wantEarly reasonWant
		}{
			{"deny-listed number", func(t *testing.T, e *risk.Engine, _ *risk.Settings) { add(t, e, risk.DenyNumber, usNum) },
				reasonWant{risk.Block, risk.CodeDenyNumber}, reasonWant{risk.Block, risk.CodeDenyNumber}},
			{"deny-listed prefix", func(t *testing.T, e *risk.Engine, _ *risk.Settings) { add(t, e, risk.DenyPrefix, "+1201") },
				reasonWant{risk.Block, risk.CodeDenyPrefix}, reasonWant{risk.Block, risk.CodeDenyPrefix}},
			{"deny-listed address", func(t *testing.T, e *risk.Engine, _ *risk.Settings) { add(t, e, risk.DenyIP, gbIP.String()) },
				reasonWant{risk.Block, risk.CodeDenyIP}, reasonWant{risk.Block, risk.CodeDenyIP}},
			{"blocked country", func(t *testing.T, e *risk.Engine, s *risk.Settings) {
				s.Account.Countries = map[string]risk.Mode{"US": risk.ModeBlock}
				if err := e.SettingsStore().SaveSettings(t.Context(), *s); err != nil {
					t.Fatal(err)
				}
			}, reasonWant{risk.Block, risk.CodeCountryBlocked}, reasonWant{risk.Block, risk.CodeCountryBlocked}},
			{"outstanding callback", func(t *testing.T, e *risk.Engine, _ *risk.Settings) {
				wantAction(t, eval(t, e, usNum, usIP), risk.Allow)
			}, reasonWant{risk.Block, risk.CodeDuplicate}, reasonWant{risk.Deflect, risk.CodeGeoMismatch}},
		}
		for _, mirrored := range []bool{false, true} {
			engine := newEngineUnmirrored
			if mirrored {
				engine = newEngine
			}
			for _, tt := range tests {
				t.Run(fmt.Sprintf("%s/mirrored=%v", tt.name, mirrored), func(t *testing.T) {
					redistest.Flush(t, rdb)
					clean := eval(t, engine(t, rdb, deflectBand), usNum, gbIP)
					redistest.Flush(t, rdb)
					s := risk.DefaultSettings()
					deflectBand(&s)
					e := engine(t, rdb, deflectBand)
					tt.hide(t, e, &s)
					probe := eval(t, e, usNum, gbIP)
					want := tt.want
					if mirrored {
						want = tt.wantEarly
					}
					wantAction(t, probe, want.action, want.code)
					if clean.Shown() != risk.Deflect || probe.Shown() != clean.Shown() {
						t.Errorf("shown: got %s for the probe and %s for a clean number, want deflect for both (probe reasons %v)", probe.Shown(), clean.Shown(), probe.Codes())
					}
				})
			}
		}

		t.Run("allow-listed address", func(t *testing.T) {
			redistest.Flush(t, rdb)
			e := newEngine(t, rdb, nil)
			add(t, e, risk.AllowIP, usIP.String())
			var d risk.Decision
			for _, n := range []string{"+12025550100", "+12025550101", "+12025550102", "+12025550103", "+12025550104"} {
				d = eval(t, e, n, usIP)
			}
			wantAction(t, d, risk.Allow, risk.CodeAllowIP, risk.CodeNumbersPerIPWarning)
			if d.Shown() != risk.Deflect {
				t.Errorf("shown: got %s, want deflect, as five numbers from an unlisted address show (reasons %+v)", d.Shown(), d.Reasons)
			}
			if r := reason(d, risk.CodeNumbersPerIPWarning); !r.Waived {
				t.Errorf("%s: got %+v, want it waived by the allow list", risk.CodeNumbersPerIPWarning, r)
			}
		})
	})
}

// TestCountryModeUnboundFlowOnlyStricter resolves flows as a request bound
// to them and as one that only names them.
func TestCountryModeUnboundFlowOnlyStricter(t *testing.T) {
	s := risk.DefaultSettings()
	s.Account = risk.Policy{Default: risk.ModeAllow, Countries: map[string]risk.Mode{"FR": risk.ModeBlock, "BE": risk.ModeMonitor}}
	s.Flows = map[string]risk.Policy{
		"vip":    {Default: risk.ModeAllow},
		"strict": {Countries: map[string]risk.Mode{"DE": risk.ModeBlock, "BE": risk.ModeBlock}},
	}
	tests := []struct {
		flow, country string
		bound         bool
		want          risk.Mode
	}{
		{"vip", "FR", true, risk.ModeAllow},
		{"vip", "FR", false, risk.ModeBlock},
		{"vip", "BE", false, risk.ModeMonitor},
		{"vip", "GB", false, risk.ModeAllow},
		{"strict", "DE", false, risk.ModeBlock},
		{"strict", "BE", false, risk.ModeBlock},
		{"strict", "FR", false, risk.ModeBlock},
		{"unknown", "FR", false, risk.ModeBlock},
		{"", "GB", false, risk.ModeAllow},
	}
	for _, tt := range tests {
		if got, rule := s.CountryMode(tt.flow, tt.country, tt.bound); got != tt.want {
			t.Errorf("CountryMode(%q, %s, bound %v) = %s (%s), want %s", tt.flow, tt.country, tt.bound, got, rule, tt.want)
		}
	}
	if !s.Loosens("vip") || s.Loosens("strict") || s.Loosens("unknown") {
		t.Errorf("Loosens: vip %v, strict %v, unknown %v; want true, false, false", s.Loosens("vip"), s.Loosens("strict"), s.Loosens("unknown"))
	}
}

// TestVisibleBudgetSpentHidesThePolicy probes, with the day's budget
// spent, a number in a blocked country and a clean one: both show the
// deflection the spent budget gives, so the budget does not become a way
// to read the country policy.
func TestVisibleBudgetSpentHidesThePolicy(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		e := newEngine(t, rdb, func(s *risk.Settings) {
			s.Spend.DailyBudget, s.Spend.DefaultCost = 5, 10
			s.Account.Countries = map[string]risk.Mode{"GB": risk.ModeBlock}
		})
		clean, blocked := eval(t, e, usNum, usIP), eval(t, e, gbMob, gbIP)
		wantAction(t, clean, risk.Deflect, risk.CodeBudgetExhausted)
		wantAction(t, blocked, risk.Block, risk.CodeCountryBlocked, risk.CodeBudgetExhausted)
		if clean.Shown() != risk.Deflect || blocked.Shown() != risk.Deflect {
			t.Errorf("shown: clean %s, blocked country %s; want deflect for both", clean.Shown(), blocked.Shown())
		}
	})
}

// reasonWant is an action and a code its decision must hold.
type reasonWant struct {
	action risk.Action
	code   string
}
