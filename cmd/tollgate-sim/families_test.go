package main

import (
	"errors"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/risk"
)

// legitTactics and attackTactics are the labels of the families' requests.
var (
	legitTactics  = []string{"legit", "cgnat", "employee", "traveller"}
	attackTactics = []string{"ring", "pumping", "irsf", "drip"}
)

// TestFamiliesLabelAndPlaceTheirRequests: every request of every family,
// variant and pace is labelled legit or attack, from an address inside the
// simulator's networks; each carries both.
func TestFamiliesLabelAndPlaceTheirRequests(t *testing.T) {
	for _, v := range []variant{tune, eval} {
		for _, s := range boundScenarios(t, v) {
			if s.pace == "" {
				continue
			}
			var legit, attacks int
			for _, r := range traffic(s, 7, 600, 8) {
				tactics := legitTactics
				if r.attack {
					tactics, attacks = attackTactics, attacks+1
				} else {
					legit++
				}
				if !slices.Contains(tactics, r.tactic) {
					t.Errorf("%s (%s): %s request labelled %q", s.name, v, map[bool]string{true: "attack", false: "legit"}[r.attack], r.tactic)
				}
				if !inSimNetworks(r.ip) {
					t.Errorf("%s (%s): %s is in no simulated network", s.name, v, r.ip)
				}
			}
			if legit == 0 || attacks == 0 {
				t.Errorf("%s (%s): %d legit and %d attack requests, want some of each", s.name, v, legit, attacks)
			}
		}
	}
}

func inSimNetworks(ip netip.Addr) bool {
	for _, n := range simNetworks() {
		if n.Prefix.Contains(ip) {
			return true
		}
	}
	return false
}

// TestSharedAddresses: cgnat's customers and attack come from the carriers'
// few NAT addresses, office's employees from one address, travellers'
// from abroad.
func TestSharedAddresses(t *testing.T) {
	for _, v := range []variant{tune, eval} {
		nats := map[netip.Addr]bool{}
		customers := map[string]int{}
		for _, r := range traffic(mustVariant(t, "cgnat/paced", v), 7, 600, 8) {
			switch {
			case r.tactic == "cgnat":
				nats[r.ip] = true
				for _, c := range carriers {
					if c.net.Contains(r.ip) {
						customers[c.name]++
					}
				}
			case r.attack && !netCarrierUS.Contains(r.ip) && !netCarrierGB.Contains(r.ip):
				t.Errorf("cgnat (%s): attack from %s, want a carrier NAT address", v, r.ip)
			}
		}
		if got, want := len(nats), 2*cgnatPlans[v].nats; got != want || len(customers) != 2 {
			t.Errorf("cgnat (%s): customers behind %d addresses of %d carriers, want %d of 2", v, got, len(customers), want)
		}
		offices := map[netip.Addr]bool{}
		employees := 0
		for _, r := range traffic(mustVariant(t, "office/paced", v), 7, 600, 8) {
			if r.tactic == "employee" {
				offices[r.ip] = true
				employees++
			}
		}
		if want := officePlans[v].employees; len(offices) != 1 || employees < want*9/10 || employees > want*6/5 {
			t.Errorf("office (%s): %d employee requests from %d addresses, want about %d from 1", v, employees, len(offices), want)
		}
		travellers := 0
		for _, r := range traffic(mustVariant(t, "travellers/paced", v), 7, 600, 8) {
			if r.tactic == "traveller" && !r.typo {
				travellers++
				if country := ipCountry(r.ip); country == numberCountry(t, r.phone) {
					t.Errorf("travellers (%s): %s in %s asks for %s, want a number of another country", v, r.ip, country, r.phone)
				}
			}
		}
		if travellers == 0 {
			t.Errorf("travellers (%s): no traveller", v)
		}
	}
}

func ipCountry(ip netip.Addr) string {
	for _, n := range simNetworks() {
		if n.Prefix.Contains(ip) {
			return n.Country
		}
	}
	return ""
}

func mustVariant(t *testing.T, name string, v variant) scenario {
	t.Helper()
	return scenarioNamed(t, boundScenarios(t, v), name)
}

// TestVariantsDiffer: every family draws other traffic, from other
// parameters, for tuning and for evaluation.
func TestVariantsDiffer(t *testing.T) {
	tuned, evaluated := boundScenarios(t, tune), boundScenarios(t, eval)
	for _, f := range families {
		a, b := scenarioNamed(t, tuned, f.name+"/paced"), scenarioNamed(t, evaluated, f.name+"/paced")
		if a.about == b.about {
			t.Errorf("%s: the same parameters for tune and eval: %s", f.name, a.about)
		}
		if reflect.DeepEqual(traffic(a, 7, 300, 8), traffic(b, 7, 300, 8)) {
			t.Errorf("%s: the same traffic for tune and eval", f.name)
		}
	}
	for name, plans := range ringPlans {
		if p, q := plans[tune], plans[eval]; p.addrs == q.addrs || p.numbers == q.numbers || p.numbersFrom.about == q.numbersFrom.about {
			t.Errorf("%s: tune %dx%d of %s, eval %dx%d of %s; want other pools", name, p.addrs, p.numbers, p.numbersFrom.about, q.addrs, q.numbers, q.numbersFrom.about)
		}
	}
}

// TestPumpingUnknownAvoidsListedRanges: no number is under a listed
// prefix, an area code listed whole is dropped, and a list covering every
// range fails the scenario.
func TestPumpingUnknownAvoidsListedRanges(t *testing.T) {
	facts := serverFacts{highCost: []risk.CostRange{{Prefix: "+1605"}, {Prefix: "+17014"}, {Prefix: "+44"}}}
	s := pumpingUnknownScenario(eval)
	s.pace = paced
	var err error
	if s.start, err = s.bind(facts); err != nil {
		t.Fatal(err)
	}
	npas := map[string]int{}
	for _, r := range traffic(s, 7, 2000, 8) {
		if !r.attack {
			continue
		}
		for _, c := range facts.highCost {
			if strings.HasPrefix(r.phone, c.Prefix) {
				t.Errorf("%s is under the listed prefix %s", r.phone, c.Prefix)
			}
		}
		npas[r.phone[2:5]]++
	}
	if npas["605"] > 0 || npas["701"] == 0 || npas["307"] == 0 {
		t.Errorf("numbers by area code %v, want none in 605 (listed) and some in 701 and 307", npas)
	}
	every := serverFacts{highCost: []risk.CostRange{{Prefix: "+1"}}}
	if _, err := s.bind(every); err == nil || !strings.Contains(err.Error(), "high_cost_ranges") {
		t.Errorf("a list covering every range: got %v, want an error naming high_cost_ranges", err)
	}
}

// TestPumpingKnownDrawsListedRanges: numbers under the listed +1 prefixes
// only, valid, every usable prefix drawn; no list fails the scenario with
// an error naming the field.
func TestPumpingKnownDrawsListedRanges(t *testing.T) {
	facts := serverFacts{highCost: []risk.CostRange{{Prefix: "+1712"}, {Prefix: "+16054321"}, {Prefix: "+4470"}, {Prefix: "+1abc"}}}
	s := pumpingKnownScenario(tune)
	s.pace = paced
	var err error
	if s.start, err = s.bind(facts); err != nil {
		t.Fatal(err)
	}
	under := map[string]int{}
	for _, r := range traffic(s, 7, 1000, 8) {
		if !r.attack {
			continue
		}
		switch {
		case !valid(r.phone, nil):
			t.Errorf("%s is not valid", r.phone)
		case strings.HasPrefix(r.phone, "+1712"):
			under["+1712"]++
		case strings.HasPrefix(r.phone, "+16054321"):
			under["+16054321"]++
		default:
			t.Errorf("%s is under no listed +1 prefix", r.phone)
		}
	}
	if len(under) != 2 {
		t.Errorf("numbers by prefix %v, want both +1 prefixes", under)
	}
	for _, f := range []serverFacts{{}, {highCost: []risk.CostRange{}}} {
		if _, err := s.bind(f); !errors.Is(err, errNoHighCostRanges) || !strings.Contains(err.Error(), "high_cost_ranges") {
			t.Errorf("no high-cost ranges: got %v, want an error naming high_cost_ranges", err)
		}
	}
	if _, err := s.bind(serverFacts{highCost: []risk.CostRange{{Prefix: "+4470"}}}); err == nil || !strings.Contains(err.Error(), "high_cost_ranges") {
		t.Errorf("no +1 range: got %v, want an error naming high_cost_ranges", err)
	}
}

// TestFindScenariosPaces: a family's name runs both paces, a name with its
// pace one, all every scenario, each once.
func TestFindScenariosPaces(t *testing.T) {
	names := func(list string) []string {
		ss, err := findScenarios(list, eval)
		if err != nil {
			t.Fatalf("%s: %v", list, err)
		}
		var out []string
		for _, s := range ss {
			out = append(out, s.name)
		}
		return out
	}
	for list, want := range map[string][]string{
		"ring-small":                  {"ring-small/paced", "ring-small/flood"},
		"ring-small/flood":            {"ring-small/flood"},
		"irsf, cgnat/paced":           {"irsf", "cgnat/paced"},
		"ring-small,ring-small/flood": {"ring-small/paced", "ring-small/flood"},
	} {
		if got := names(list); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %v, want %v", list, got, want)
		}
	}
	if got, want := len(names("all")), len(fixedScenarios)+2*len(families); got != want {
		t.Errorf("all: got %d scenarios, want %d", got, want)
	}
	for _, bad := range []string{"irsf/flood", "ring-small/fast", "ring"} {
		if _, err := findScenarios(bad, eval); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
	if _, err := parseVariant("test"); err == nil {
		t.Error("-variants test: want an error")
	}
}

// TestReasonColumns: the attack requests stopped and the legit requests
// lost are counted by reason code, the three most given shown.
func TestReasonColumns(t *testing.T) {
	out := func(attack bool, action string, placed bool, reasons ...string) outcome {
		return outcome{sent: sent{req: request{attack: attack, phone: "+12015550100"}, status: 202}, action: action, placed: placed, reasons: reasons}
	}
	outs := []outcome{
		out(true, "block", false, "a", "b", "c"),
		out(true, "deflect", false, "b", "c", "b"),
		out(true, "block", false, "c", "d"),
		out(true, "allow", true, "e"),
		out(false, "allow", false, "f"),
		out(false, "deflect", false, "g"),
	}
	got := count("x", false, outs, costs{})
	if s, want := got.stoppedBy.top(3), "c 3, b 2, a 1"; s != want {
		t.Errorf("attack stopped by %q, want %q", s, want)
	}
	if s, want := got.lostTo.top(3), "g 1"; s != want {
		t.Errorf("legit lost to %q, want %q", s, want)
	}
	if s, want := (reasonCounts{}).top(3), "–"; s != want {
		t.Errorf("no reasons: %q, want %q", s, want)
	}
}

// TestReadmeListsEveryScenario keeps the README's scenario tables in step
// with the code.
func TestReadmeListsEveryScenario(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range allScenarios(eval) {
		if !strings.Contains(string(b), "| `"+s.family) {
			t.Errorf("README.md has no row for %s", s.family)
		}
	}
}
