package main

import (
	"fmt"
	"net/netip"
	"strings"
)

// Recombination rings: a pool of clean addresses and a pool of numbers
// recombined at random, each address making a handful of requests, so that
// no address and no number stands out alone. travellers sets one against
// legit customers abroad, whose requests mismatch as the ring's do.

// travelRingNumbers are the numbers of the travellers' ring under eval.
var travelRingNumbers = numberSource{"UK mobile and US numbers", append(append([]numberPlan{}, planGBMobile...), planUS...)}

// ringPlan is one recombination ring.
type ringPlan struct {
	addrs, numbers int
	// perAddr is the fewest and most requests an address makes a round.
	perAddr     [2]int
	from        addressPool
	numbersFrom numberSource
	legitShare  float64
	flood       floodPlan
}

// ringPlans are the rings by name and variant.
var ringPlans = map[string]map[variant]ringPlan{
	"ring-small": {
		tune: {addrs: 10, numbers: 10, perAddr: [2]int{2, 4}, from: usResidential, numbersFrom: blocks712, legitShare: 0.6, flood: floodPlan{1, 80}},
		eval: {addrs: 24, numbers: 16, perAddr: [2]int{2, 6}, from: usResidentialMix, numbersFrom: scattered605, legitShare: 0.55, flood: floodPlan{2, 120}},
	},
	"ring-medium": {
		tune: {addrs: 20, numbers: 12, perAddr: [2]int{2, 5}, from: usResidential, numbersFrom: lithuania, legitShare: 0.6, flood: floodPlan{2, 100}},
		eval: {addrs: 36, numbers: 20, perAddr: [2]int{2, 6}, from: usResidentialMix, numbersFrom: latvia, legitShare: 0.5, flood: floodPlan{3, 90}},
	},
	"ring-large": {
		tune: {addrs: 40, numbers: 40, perAddr: [2]int{3, 5}, from: usResidential, numbersFrom: scattered406, legitShare: 0.5, flood: floodPlan{2, 60}},
		eval: {addrs: 60, numbers: 30, perAddr: [2]int{2, 6}, from: usResidentialMix, numbersFrom: blocks641, legitShare: 0.45, flood: floodPlan{3, 150}},
	},
}

// about says what the ring is, in words.
func (p ringPlan) about() string {
	return fmt.Sprintf("%d clean %s and %d %s recombined at random, each address making %d to %d requests a round",
		p.addrs, p.from.about, p.numbers, p.numbersFrom.about, p.perAddr[0], p.perAddr[1])
}

// ring is a ring's pools in one run.
type ring struct {
	plan    ringPlan
	ips     []netip.Addr
	numbers []string
	// round holds the addresses still to send in this round, one entry a
	// request, in random order.
	round []netip.Addr
}

// newRing draws the pools of p.
func newRing(g *generator, p ringPlan) *ring {
	return &ring{plan: p, ips: drawIPs(g.r, p.from.nets, p.addrs), numbers: drawNumbers(g.r, p.numbersFrom, p.numbers)}
}

// next returns the ring's next request: an address of the round and a
// number of the pool at random. A round gives every address perAddr
// requests, shuffled; a run shorter than a round sees part of it.
func (r *ring) next(g *generator) request {
	if len(r.round) == 0 {
		for _, ip := range r.ips {
			lo, hi := r.plan.perAddr[0], r.plan.perAddr[1]
			for range lo + g.r.IntN(hi-lo+1) {
				r.round = append(r.round, ip)
			}
		}
		g.r.Shuffle(len(r.round), func(i, j int) { r.round[i], r.round[j] = r.round[j], r.round[i] })
	}
	ip := r.round[0]
	r.round = r.round[1:]
	return attack("ring", ip, r.numbers[g.r.IntN(len(r.numbers))])
}

// ringScenario returns the build of the ring called name.
func ringScenario(name string) func(v variant) scenario {
	return func(v variant) scenario {
		p := ringPlans[name][v]
		return scenario{
			about:      "a recombination ring: " + p.about() + "; " + attackAbout(p.legitShare, p.flood),
			legitShare: p.legitShare, burstRate: p.flood.rate, bursts: p.flood.bursts,
			start: func(g *generator) mix {
				r := newRing(g, p)
				return mix{attack: func() []request { return []request{r.next(g)} }}
			},
		}
	}
}

// route is where legit customers abroad are and where their own numbers
// are from.
type route struct {
	about string
	where netip.Prefix
	home  []numberPlan
}

// travellersPlan is the travellers scenario: abroad is the share of legit
// visitors who are abroad, on one of routes; the attack is a ring.
type travellersPlan struct {
	abroad float64
	routes []route
	ring   ringPlan
}

var travellersPlans = map[variant]travellersPlan{
	tune: {abroad: 0.5, routes: []route{
		{"UK customers in Germany", netResidentialDE, planGBMobile},
		{"US customers in the UK", netResidentialGB, planUS},
	}, ring: ringPlan{addrs: 12, numbers: 10, perAddr: [2]int{2, 4}, from: deResidential, numbersFrom: numberSource{"UK mobile numbers", planGBMobile}, legitShare: 0.6, flood: floodPlan{1, 70}}},
	eval: {abroad: 0.6, routes: []route{
		{"US customers in Germany", netResidentialDE, planUS},
		{"UK customers in the US", netResidentialUS, planGBMobile},
		{"US customers in the UK", netResidentialGB, planUS},
	}, ring: ringPlan{addrs: 20, numbers: 14, perAddr: [2]int{2, 6}, from: deResidential, numbersFrom: travelRingNumbers, legitShare: 0.5, flood: floodPlan{2, 110}}},
}

// travellersScenario is legit customers abroad asking for their own home
// numbers, against a ring from German addresses whose requests mismatch too.
func travellersScenario(v variant) scenario {
	p := travellersPlans[v]
	var routes []string
	for _, r := range p.routes {
		routes = append(routes, r.about)
	}
	return scenario{
		about: fmt.Sprintf("%.0f%% of the legit visitors abroad asking for their own home numbers (%s)", 100*p.abroad, strings.Join(routes, ", ")) +
			"; the attack a ring of " + p.ring.about() + "; " + attackAbout(p.ring.legitShare, p.ring.flood) + "; measured: travellers lost",
		legitShare: p.ring.legitShare, burstRate: p.ring.flood.rate, bursts: p.ring.flood.bursts,
		measure: func(outs []outcome, c costs) string {
			return lostAmong("travellers", outs, c, func(r request) bool { return r.tactic == "traveller" })
		},
		start: func(g *generator) mix {
			r := newRing(g, p.ring)
			return mix{
				legit: func(at int) []request {
					if g.r.Float64() >= p.abroad {
						return g.legit(at)
					}
					rt := p.routes[g.r.IntN(len(p.routes))]
					return g.visit(at, request{kind: callbackRequest, tactic: "traveller", ip: drawIP(g.r, rt.where), phone: drawNumber(g.r, rt.home)})
				},
				attack: func() []request { return []request{r.next(g)} },
			}
		},
	}
}
