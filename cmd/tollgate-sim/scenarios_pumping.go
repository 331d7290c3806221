package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"

	"github.com/tollgate/tollgate/risk"
)

// Domestic traffic pumping: calls to rural US numbers whose carrier shares
// the termination fee, each number asked for once or so, from clean
// residential addresses used once or twice. pumping-known draws the numbers
// from the server's own high-cost ranges (high_cost_ranges in its settings),
// pumping-unknown from rural ranges that list does not hold.

// serverFacts is what the traffic of some scenarios draws on from the
// settings of the server it runs against.
type serverFacts struct {
	// highCost is the settings' high_cost_ranges; empty when the field is
	// missing.
	highCost []risk.CostRange
}

// pumpingPlan is one traffic-pumping attack: reuse is the chance an
// address makes a second request.
type pumpingPlan struct {
	reuse      float64
	from       addressPool
	legitShare float64
	flood      floodPlan
}

var (
	pumpingKnownPlans = map[variant]pumpingPlan{
		tune: {reuse: 0.3, from: usResidential, legitShare: 0.6, flood: floodPlan{1, 80}},
		eval: {reuse: 0.5, from: usResidentialMix, legitShare: 0.65, flood: floodPlan{2, 130}},
	}
	pumpingUnknownPlans = map[variant]pumpingPlan{
		tune: {reuse: 0.3, from: usResidential, legitShare: 0.6, flood: floodPlan{1, 80}},
		eval: {reuse: 0.5, from: usResidentialMix, legitShare: 0.65, flood: floodPlan{2, 130}},
	}
	// pumpingUnknownRanges are the rural area codes pumping-unknown draws
	// from, less any a listed prefix covers.
	pumpingUnknownRanges = map[variant]numberSource{
		tune: scatteredNPA("numbers scattered over rural area codes 406 (Montana), 308 (Nebraska) and 785 (Kansas)", "406", "308", "785"),
		eval: scatteredNPA("numbers scattered over rural area codes 605 (South Dakota), 701 (North Dakota), 307 (Wyoming) and 218 (northern Minnesota)", "605", "701", "307", "218"),
	}
)

// pumper sends a pumping attack: each address used once, or twice with
// the plan's reuse.
type pumper struct {
	plan pumpingPlan
	ip   netip.Addr
	uses int
}

// next returns a request from the pumper's address for number.
func (p *pumper) next(g *generator, number string) request {
	if !p.ip.IsValid() || p.uses >= 2 || (p.uses == 1 && g.r.Float64() >= p.plan.reuse) {
		nets := p.plan.from.nets
		p.ip, p.uses = drawIP(g.r, nets[g.r.IntN(len(nets))]), 0
	}
	p.uses++
	return attack("pumping", p.ip, number)
}

// pumpingAttack returns pumping to numbers of src as an attack of a mix.
func pumpingAttack(p pumpingPlan, src numberSource) mixAttack {
	return mixAttack{fmt.Sprintf("traffic pumping to %s from %s, each used once or twice", src.about, p.from.about), func(g *generator) func() []request {
		pm := &pumper{plan: p}
		return func() []request { return []request{pm.next(g, drawNumber(g.r, src.plans))} }
	}}
}

// pumpingScenario returns a pumping scenario of p whose numbers bind draws
// from the server's settings.
func pumpingScenario(p pumpingPlan, numbers string, plans func(serverFacts) ([]numberPlan, func(string) bool, error)) scenario {
	return scenario{
		about:      fmt.Sprintf("domestic traffic pumping from clean %s, each address used once or twice (a second time %.0f%% of the time), to %s; %s", p.from.about, 100*p.reuse, numbers, attackAbout(p.legitShare, p.flood)),
		legitShare: p.legitShare, burstRate: p.flood.rate, bursts: p.flood.bursts,
		bind: func(f serverFacts) (func(g *generator) mix, error) {
			ps, listed, err := plans(f)
			if err != nil {
				return nil, err
			}
			return func(g *generator) mix {
				pm := &pumper{plan: p}
				return mix{attack: func() []request { return []request{pm.next(g, drawNumberExcept(g.r, ps, listed))} }}
			}, nil
		},
	}
}

func pumpingKnownScenario(v variant) scenario {
	return pumpingScenario(pumpingKnownPlans[v], "numbers scattered under the server's +1 high-cost ranges (high_cost_ranges of its settings)", knownPlans)
}

func pumpingUnknownScenario(v variant) scenario {
	src := pumpingUnknownRanges[v]
	return pumpingScenario(pumpingUnknownPlans[v], src.about+", none under a prefix of the server's high-cost ranges", func(f serverFacts) ([]numberPlan, func(string) bool, error) {
		return unknownPlans(src, f)
	})
}

// errNoHighCostRanges fails pumping-known against a server whose settings
// list no high-cost ranges.
var errNoHighCostRanges = errors.New("the settings field high_cost_ranges (GET /api/v1/admin/settings) is missing or empty: pumping-known draws its numbers from it")

// knownPlans returns a plan for each +1 range of the settings' high-cost
// ranges that holds valid numbers.
func knownPlans(f serverFacts) ([]numberPlan, func(string) bool, error) {
	if len(f.highCost) == 0 {
		return nil, nil, errNoHighCostRanges
	}
	var plans []numberPlan
	seen := map[string]bool{}
	for _, c := range f.highCost {
		if !nanpPrefix(c.Prefix) || seen[c.Prefix] {
			continue
		}
		seen[c.Prefix] = true
		if p := (numberPlan{c.Prefix, len("+12015550100") - len(c.Prefix), nil}); usable(p, nil) {
			plans = append(plans, p)
		}
	}
	if len(plans) == 0 {
		return nil, nil, fmt.Errorf("the settings field high_cost_ranges holds no +1 range with valid numbers (%d ranges): pumping-known draws its numbers from them", len(f.highCost))
	}
	return plans, nil, nil
}

// unknownPlans returns the plans of src that no prefix of the settings'
// high-cost ranges covers, and a test for a number under one of them.
func unknownPlans(src numberSource, f serverFacts) ([]numberPlan, func(string) bool, error) {
	listed := func(number string) bool {
		for _, c := range f.highCost {
			if c.Prefix != "" && strings.HasPrefix(number, c.Prefix) {
				return true
			}
		}
		return false
	}
	var plans []numberPlan
	for _, p := range src.plans {
		if !listed(p.head) && usable(p, listed) {
			plans = append(plans, p)
		}
	}
	if len(plans) == 0 {
		return nil, nil, fmt.Errorf("every range of pumping-unknown (%s) is under a prefix of the settings field high_cost_ranges", src.about)
	}
	return plans, listed, nil
}

// nanpPrefix reports whether prefix is a +1 prefix no longer than a number.
func nanpPrefix(prefix string) bool {
	if !strings.HasPrefix(prefix, "+1") || len(prefix) > len("+12015550100") {
		return false
	}
	for _, c := range prefix[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// usable reports whether p draws valid numbers clear of excluded (nil for
// none) often enough to draw from: 10 in 200 tries, drawn the same way
// every time.
func usable(p numberPlan, excluded func(string) bool) bool {
	r := rand.New(rand.NewPCG(1, 2))
	ok := 0
	for range 200 {
		var b strings.Builder
		b.WriteString(p.head)
		for range p.digits {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
		if n := b.String(); valid(n, p.types) && (excluded == nil || !excluded(n)) {
			ok++
		}
	}
	return ok >= 10
}

// drawNumberExcept is drawNumber skipping the numbers excluded (nil for
// none) reports.
func drawNumberExcept(r *rand.Rand, plans []numberPlan, excluded func(string) bool) string {
	for range 1000 {
		if n := drawNumber(r, plans); excluded == nil || !excluded(n) {
			return n
		}
	}
	panic(fmt.Sprintf("no number clear of the excluded ranges from %v", plans))
}
