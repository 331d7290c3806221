package main

import (
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// variant names one of the two parameter sets of the scenarios run at two
// paces. Defaults are chosen on tune with seeds 1 to 9; the README reports
// eval with seeds from 101, so what it shows is not what they were fitted to.
type variant string

const (
	tune variant = "tune"
	eval variant = "eval"
)

// Seeds kept for each variant.
const (
	lastTuneSeed  = 9
	firstEvalSeed = 101
)

// pace says how a scenario spreads its attack requests over the run.
type pace string

const (
	// paced puts the attack among the legit visitors, a request a tick.
	paced pace = "paced"
	// flood packs the same attack requests into a few bursts at a high
	// rate, an hour's attack in a minute, while the legit visitors keep
	// arriving around them.
	flood pace = "flood"
)

// family is a scenario with a parameter set for tuning and another for
// evaluation, run at both paces.
type family struct {
	name string
	// build returns the family's scenario with v's parameters, its name
	// and pace unset.
	build func(v variant) scenario
}

// families are the scenarios with variants and paces.
var families = []family{
	{"ring-small", ringScenario("ring-small")},
	{"ring-medium", ringScenario("ring-medium")},
	{"ring-large", ringScenario("ring-large")},
	{"cgnat", cgnatScenario},
	{"office", officeScenario},
	{"travellers", travellersScenario},
	{"pumping-known", pumpingKnownScenario},
	{"pumping-unknown", pumpingUnknownScenario},
}

// floodPlan is how the flood pace packs a scenario's attack: into bursts at
// rate a second.
type floodPlan struct {
	bursts int
	rate   float64
}

// addressPool is where a scenario's addresses come from, with what they are
// in words.
type addressPool struct {
	about string
	nets  []netip.Prefix
}

// attackAbout says what share of the requests attack and how the flood
// pace packs them.
func attackAbout(legitShare float64, f floodPlan) string {
	bursts := "1 burst"
	if f.bursts != 1 {
		bursts = fmt.Sprintf("%d bursts", f.bursts)
	}
	return fmt.Sprintf("%.0f%% of the requests attack; flood: %s at %g a second", 100*(1-legitShare), bursts, f.rate)
}

// The address pools of the families.
var (
	usResidential    = addressPool{"US residential addresses", []netip.Prefix{netResidentialUS}}
	usResidentialMix = addressPool{"US residential addresses (half IPv4, half IPv6 cable)", []netip.Prefix{netResidentialUS, netResidentialUSv6}}
	deResidential    = addressPool{"German residential addresses", []netip.Prefix{netResidentialDE}}
)

// parseVariant reads -variants.
func parseVariant(s string) (variant, error) {
	switch v := variant(s); v {
	case tune, eval:
		return v, nil
	}
	return "", fmt.Errorf("-variants must be %s or %s, not %q", tune, eval, s)
}

// seedNote returns a warning when seed is not one kept for v, "" otherwise.
func seedNote(v variant, seed uint64) string {
	switch {
	case v == tune && (seed < 1 || seed > lastTuneSeed):
		return fmt.Sprintf("seed %d is not a tuning seed (1 to %d)", seed, lastTuneSeed)
	case v == eval && seed < firstEvalSeed:
		return fmt.Sprintf("seed %d is not an evaluation seed (%d and up)", seed, firstEvalSeed)
	}
	return ""
}

// allScenarios returns every scenario: those of one pace, then each family
// with v's parameters at both paces.
func allScenarios(v variant) []scenario {
	var out []scenario
	for _, s := range fixedScenarios {
		s.family = s.name
		out = append(out, s)
	}
	for _, f := range families {
		base := f.build(v)
		for _, p := range []pace{paced, flood} {
			s := base
			s.name, s.family, s.pace = f.name+"/"+string(p), f.name, p
			out = append(out, s)
		}
	}
	return out
}

// scenarioNames returns the names, comma-separated, a family's as
// name/{paced,flood}.
func scenarioNames() string {
	var names []string
	for _, s := range fixedScenarios {
		names = append(names, s.name)
	}
	for _, f := range families {
		names = append(names, f.name+"/{paced,flood}")
	}
	return strings.Join(names, ",")
}

// findScenarios resolves a comma-separated list of names with v's
// parameters: "all" for every scenario, a family's name without its pace
// for both paces.
func findScenarios(list string, v variant) ([]scenario, error) {
	all := allScenarios(v)
	if strings.TrimSpace(list) == "all" {
		return all, nil
	}
	var out []scenario
	seen := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		found := false
		for _, s := range all {
			if s.name != name && s.family != name {
				continue
			}
			found = true
			if !seen[s.name] {
				seen[s.name] = true
				out = append(out, s)
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown scenario %q; known: %s (a name without /paced or /flood runs both paces)", name, scenarioNames())
		}
	}
	return out, nil
}

// writeScenarioList writes a Markdown table of the scenarios with what each
// sends under v, a family's two paces in one row.
func writeScenarioList(w io.Writer, v variant) {
	fmt.Fprintf(w, "| Scenario | Traffic (-variants %s) |\n| --- | --- |\n", v)
	seen := map[string]bool{}
	for _, s := range allScenarios(v) {
		if seen[s.family] {
			continue
		}
		seen[s.family] = true
		name := s.family
		if s.pace != "" {
			name += "/{paced,flood}"
		}
		fmt.Fprintf(w, "| `%s` | %s |\n", name, s.about)
	}
}
