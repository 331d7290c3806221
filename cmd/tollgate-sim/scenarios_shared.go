package main

import (
	"fmt"
	"net/netip"
	"strings"
)

// Many people behind one address: a mobile carrier's customers behind a few
// carrier-grade NAT addresses (cgnat), and one office's employees behind its
// NAT (office). Their requests are legit; the measure is what they lose,
// and the attack mixed in shows what sparing such addresses costs.

// carrier is a mobile network whose customers share a few NAT addresses.
type carrier struct {
	name string
	asn  int
	net  netip.Prefix
	// home is where its customers' own numbers are.
	home []numberPlan
}

var (
	// carrierUS is on the shipped list of shared-address networks.
	carrierUS = carrier{"T-Mobile USA", 21928, netCarrierUS, planUS}
	// carrierGB is on no list.
	carrierGB = carrier{"Sim Mobile GB", 64605, netCarrierGB, planGBMobile}
	carriers  = []carrier{carrierUS, carrierGB}
)

// cgnatPlan is the cgnat scenario. The share customers of the legit
// visitors are customers of either carrier at random, each behind one of
// its nats NAT addresses; the others are the usual visitors. The attack
// comes from the NAT addresses of attackFrom: a ring of ringNumbers
// numbers, or traffic pumping (a new number each request) when ringNumbers
// is 0.
type cgnatPlan struct {
	nats        int
	customers   float64
	attackFrom  []carrier
	numbersFrom numberSource
	ringNumbers int
	legitShare  float64
	flood       floodPlan
}

var cgnatPlans = map[variant]cgnatPlan{
	tune: {nats: 3, customers: 0.6, attackFrom: []carrier{carrierUS}, numbersFrom: blocks712, ringNumbers: 12, legitShare: 0.7, flood: floodPlan{1, 60}},
	eval: {nats: 2, customers: 0.7, attackFrom: carriers, numbersFrom: scatteredNPA("numbers scattered over rural area codes 701 (North Dakota) and 307 (Wyoming)", "701", "307"), legitShare: 0.75, flood: floodPlan{2, 100}},
}

// cgnatScenario is many real customers behind a few carrier NAT addresses,
// with an attacker on the same carriers' addresses.
func cgnatScenario(v variant) scenario {
	p := cgnatPlans[v]
	var from []string
	for _, c := range p.attackFrom {
		from = append(from, c.name)
	}
	attackWhat := fmt.Sprintf("traffic pumping to %s, a new number each request", p.numbersFrom.about)
	if p.ringNumbers > 0 {
		attackWhat = fmt.Sprintf("a ring of %d %s recombined with the NAT addresses", p.ringNumbers, p.numbersFrom.about)
	}
	return scenario{
		about: fmt.Sprintf("%.0f%% of the legit visitors are mobile customers behind %d carrier-grade NAT addresses of their carrier "+
			"(T-Mobile USA, AS21928, US numbers; Sim Mobile GB, AS64605, UK mobile numbers), each asking for their own number; "+
			"the attack %s from the NAT addresses of %s; %s; measured: customers lost by carrier",
			100*p.customers, p.nats, attackWhat, strings.Join(from, " and "), attackAbout(p.legitShare, p.flood)),
		legitShare: p.legitShare, burstRate: p.flood.rate, bursts: p.flood.bursts,
		measure: measureCarriers,
		start: func(g *generator) mix {
			nats := map[string][]netip.Addr{}
			for _, c := range carriers {
				nats[c.name] = drawIPs(g.r, []netip.Prefix{c.net}, p.nats)
			}
			var attackIPs []netip.Addr
			for _, c := range p.attackFrom {
				attackIPs = append(attackIPs, nats[c.name]...)
			}
			var numbers []string
			if p.ringNumbers > 0 {
				numbers = drawNumbers(g.r, p.numbersFrom, p.ringNumbers)
			}
			return mix{
				legit: func(at int) []request {
					if g.r.Float64() >= p.customers {
						return g.legit(at)
					}
					c := carriers[g.r.IntN(len(carriers))]
					ips := nats[c.name]
					return g.visit(at, request{kind: callbackRequest, tactic: "cgnat", ip: ips[g.r.IntN(len(ips))], phone: drawNumber(g.r, c.home)})
				},
				attack: func() []request {
					ip := attackIPs[g.r.IntN(len(attackIPs))]
					if numbers != nil {
						return []request{attack("ring", ip, numbers[g.r.IntN(len(numbers))])}
					}
					return []request{attack("pumping", ip, drawNumber(g.r, p.numbersFrom.plans))}
				},
			}
		},
	}
}

// measureCarriers counts the customers lost behind each carrier's NAT.
func measureCarriers(outs []outcome, c costs) string {
	var parts []string
	for _, cr := range carriers {
		parts = append(parts, lostAmong(fmt.Sprintf("%s (AS%d) customers", cr.name, cr.asn), outs, c, func(r request) bool {
			return r.tactic == "cgnat" && cr.net.Contains(r.ip)
		}))
	}
	return strings.Join(parts, "; ")
}

// officePlan is the office scenario: employees behind the one office
// address, a share desk of them asking for a desk line in the office's
// thousand-block deskBlock (the rest for US mobile numbers), among usual
// visitors; the attack is drawn from attacks at random.
type officePlan struct {
	employees  int
	desk       float64
	deskBlock  numberSource
	attacks    []mixAttack
	legitShare float64
	flood      floodPlan
}

// mixAttack is one attack of a mix, drawn at random among the others.
type mixAttack struct {
	about string
	start func(g *generator) func() []request
}

// ringAttack returns p's ring as an attack of a mix.
func ringAttack(p ringPlan) mixAttack {
	return mixAttack{"a ring of " + p.about(), func(g *generator) func() []request {
		r := newRing(g, p)
		return func() []request { return []request{r.next(g)} }
	}}
}

// fixedAttack returns an attack of the scenarios of one pace as an attack
// of a mix.
func fixedAttack(about string, draw func(g *generator) []request) mixAttack {
	return mixAttack{about, func(g *generator) func() []request {
		return func() []request { return draw(g) }
	}}
}

var officePlans = map[variant]officePlan{
	tune: {employees: 60, desk: 0.1, deskBlock: thousandBlocks("a Boston thousand-block", "+16172091"), attacks: []mixAttack{
		ringAttack(ringPlan{addrs: 12, numbers: 10, perAddr: [2]int{2, 4}, from: usResidential, numbersFrom: scattered406}),
		fixedAttack("premium destinations from hosting and VPN addresses (irsf)", attackIRSF),
	}, legitShare: 0.65, flood: floodPlan{1, 90}},
	eval: {employees: 150, desk: 0.3, deskBlock: thousandBlocks("a Chicago thousand-block", "+13124081"), attacks: []mixAttack{
		ringAttack(ringPlan{addrs: 20, numbers: 12, perAddr: [2]int{2, 6}, from: usResidentialMix, numbersFrom: blocks641}),
		pumpingAttack(pumpingPlan{reuse: 0.5, from: usResidentialMix}, scatteredNPA("numbers scattered over rural area code 218 (northern Minnesota)", "218")),
		fixedAttack("premium destinations from a residential proxy pool (drip)", attackDrip),
	}, legitShare: 0.6, flood: floodPlan{2, 140}},
}

// officeScenario is one office's employees behind its NAT address asking
// for their own numbers, with an attack mix from elsewhere.
func officeScenario(v variant) scenario {
	p := officePlans[v]
	var attacks []string
	for _, a := range p.attacks {
		attacks = append(attacks, a.about)
	}
	return scenario{
		about: fmt.Sprintf("%d employees behind one office NAT address (AS64606, US) asking for their own numbers over the run, %.0f%% of them desk lines in %s, the rest US mobile numbers, among usual visitors; "+
			"the attack at random one of: %s; %s; measured: employees lost",
			p.employees, 100*p.desk, p.deskBlock.about, strings.Join(attacks, "; "), attackAbout(p.legitShare, p.flood)),
		legitShare: p.legitShare, burstRate: p.flood.rate, bursts: p.flood.bursts,
		measure: func(outs []outcome, c costs) string {
			return lostAmong("employees", outs, c, func(r request) bool { return r.tactic == "employee" })
		},
		start: func(g *generator) mix {
			office := drawIP(g.r, netOffice)
			asked := 0
			desks := map[string]bool{}
			var draws []func() []request
			for _, a := range p.attacks {
				draws = append(draws, a.start(g))
			}
			return mix{
				legit: func(at int) []request {
					// An employee takes the visitor's place with the chance
					// that spreads those yet to ask over the legit visitors
					// still to come.
					left := max(1, float64(g.requests-at)*p.legitShare)
					if g.r.Float64() >= float64(p.employees-asked)/left {
						return g.legit(at)
					}
					asked++
					var phone string
					if g.r.Float64() < p.desk {
						phone = drawNumber(g.r, p.deskBlock.plans)
						for desks[phone] {
							phone = drawNumber(g.r, p.deskBlock.plans)
						}
						desks[phone] = true
					} else {
						phone = drawNumber(g.r, planUS)
					}
					return g.visit(at, request{kind: callbackRequest, tactic: "employee", ip: office, phone: phone})
				},
				attack: func() []request { return draws[g.r.IntN(len(draws))]() },
			}
		},
	}
}
