package main

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"
)

// kind is what a simulated request calls.
type kind int

const (
	// callbackRequest is a POST /api/v1/callbacks.
	callbackRequest kind = iota
	// ivrCall is an inbound call: a screening, then digits keyed.
	ivrCall
)

// request is one simulated request, labelled by the simulator.
type request struct {
	kind   kind
	attack bool
	// tactic names the traffic that made the request, e.g. "legit" or "irsf".
	tactic string
	ip     netip.Addr
	phone  string
	// typo marks a legit number mistyped (invalid); the next request is
	// the same visitor's correction.
	typo bool
	// bot keys random digits; otherwise the caller keys the code read
	// out, and mistypes the first attempt when mistype is set.
	bot     bool
	mistype bool
	// flow is the flow field sent, "" for none.
	flow string
	// visitor, when set, sends a visitor token naming this user, signed
	// with the run's secret.
	visitor string
	// burst numbers the burst the request is in (0 for none). A burst's
	// requests follow one another at the scenario's burst rate or, when
	// concurrent is set, go out all at once.
	burst      int
	concurrent bool
	// probe numbers the oracle's probe pair the request is a probe of (0
	// for none); listed marks the probe whose number the run puts on the
	// deny list.
	probe  int
	listed bool
	// at is when the request is sent, from the start of the traffic.
	at time.Duration
}

// scenario is a named traffic mix.
type scenario struct {
	// name is the family and, for a scenario run at both paces, its pace:
	// "irsf", "ring-small/flood".
	name string
	// family is the name without the pace. The seed is drawn from it, so
	// both paces of a family send the same requests.
	family string
	// pace says how the attack requests are spread over the run; "" for a
	// scenario of one pace (its attack at -rate, bursts at burstRate).
	pace pace
	// about says what the traffic is, for -list and the README.
	about string
	// legitShare is the share of legit visitors in the traffic.
	legitShare float64
	// attackEvery, when set, draws the attack after every attackEvery legit
	// visitors instead of at random (legitShare unused).
	attackEvery int
	// attack draws the next attack requests.
	attack func(g *generator) []request
	// start, when set, draws a run's own pools and returns the run's legit
	// visitors and attack (a nil legit draws the usual visitors); attack
	// is then unused.
	start func(g *generator) mix
	// bind, when set, reads what the traffic needs from the settings of
	// the server it runs against and returns start; it fails when the
	// settings lack it.
	bind func(f serverFacts) (func(g *generator) mix, error)
	// settings, when set, edits the settings (as JSON) saved before the
	// traffic, with the defaults and with the baseline alike.
	settings func(s map[string]any)
	// burstRate is the rate of a burst sent one request after another, at
	// most maxRate a second: the flood pace's, or the scenario's own bursts'.
	burstRate float64
	// bursts is how many bursts the flood pace packs the attack into.
	bursts int
	// legitV6 places the GB legit visitors at IPv6 addresses.
	legitV6 bool
	// measure, when set, sums what the scenario is about beyond calls
	// placed and legit lost, for the measures table.
	measure func(outs []outcome, c costs) string
}

// fixedScenarios are the scenarios of one parameter set and one pace.
var fixedScenarios = []scenario{
	{name: "legit", about: "residential visitors (US, GB) asking for their own domestic numbers; 5% mistype first, 5% ask again later", legitShare: 1},
	{name: "irsf", about: "pumping to premium destinations (LV, LT, SO, CU, SL, GN, UK 090) hopping over hosting and VPN addresses, a new address each request", legitShare: 0.5, attack: attackIRSF},
	{name: "sequential", about: "numbers counted up in one UK block (+44 20 7946 0xxx) from rotating clean residential addresses", legitShare: 0.5, attack: attackSequential},
	{name: "drip", about: "premium destinations from a residential proxy pool, each address used at most twice", legitShare: 0.5, attack: attackDrip},
	{name: "reuse", about: "15 clean residential addresses and 15 Lithuanian numbers recombined at random", legitShare: 0.5, attack: attackReuse},
	{name: "duplicates", about: "floods of the same 5 numbers, bursts of 5 from clean residential addresses", legitShare: 0.5, attack: attackDuplicates},
	{name: "geo", about: "clean German residential addresses asking for numbers in high-cost countries", legitShare: 0.5, attack: attackGeo},
	{name: "voip", about: "clean residential addresses (US, GB, DE) asking for UK VoIP numbers (+44 56)", legitShare: 0.5, attack: attackVoIP},
	{name: "ivr-bots", about: "inbound IVR: bots (withheld ids, UK VoIP, random US numbers) keying random digits; people keying the code, 5% mistyping once", legitShare: 0.3, attack: attackIVRBot},
	{name: "mixed", about: "legit visitors with every callback attack above at once", legitShare: 0.7, attack: attackMixed},
	{name: "oracle", about: "an attacker pushes its score into the deflect band (a fresh German residential address in a /24 of its own, 4 throwaway UK mobile numbers), then probes one UK mobile number; probes come in pairs under equal conditions, one number on the deny list and one clean", legitShare: 0.9, attack: attackOracle, measure: measureOracle},
	{name: "flow-escape", about: "the account blocks LV, LT, SO, CU, SL and GN (by policy only: taken off the high-risk list) and flow vip allows them; clean German residential addresses send flow vip with numbers there; legit visitors send no flow", legitShare: 0.5, attack: attackFlowEscape, settings: flowEscapeSettings},
	{name: "flood-to-deflect", about: "after every 150 legit visitors (US, GB), a burst of 300 requests at 150 a second from one of 2 Amazon hosting addresses for random US numbers; measured: US customers lost (needs -requests 600 for legit visitors after a whole burst)", attackEvery: 150, attack: attackFlood, burstRate: floodRate, measure: measureFlood},
	{name: "ipv6-rotation", about: "one IPv6 /64 of a UK broadband range, a new address each request, asking for high-cost or clean UK mobile numbers; GB legit visitors on IPv6 too, each in its own /64", legitShare: 0.5, attack: attackIPv6Rotation, legitV6: true},
	{name: "budget-race", about: "a daily budget with room for 5 US calls; bursts of 10 simultaneous clean requests (US residential addresses, US numbers) among legit visitors", legitShare: 0.9, attack: attackBudgetRace, settings: budgetSettings, measure: measureBudget},
	{name: "token-reuse", about: "one valid visitor token (one user) reused from Amazon hosting addresses, a new address each request, for different US numbers", legitShare: 0.5, attack: attackTokenReuse},
}

// generator draws a scenario's requests reproducibly from its seed.
type generator struct {
	r *rand.Rand
	// later holds legit retries, due at a request index.
	later map[int][]request
	// seq counts the sequential attack's numbers.
	seq int
	// pools are the recombined addresses and numbers, and the flooded numbers.
	reuseIPs     []netip.Addr
	reuseNumbers []string
	floodNumbers []string
	// drip counts uses of the current proxy address.
	dripIP   netip.Addr
	dripUses int
	ivr      bool
	legitV6  bool
	// burst counts bursts; probes the oracle's probe pairs; legitRun the
	// legit visitors since the last attack.
	burst, probes, legitRun int
	// floodIPs are the flooding addresses; v6Net the rotating attacker's /64.
	floodIPs []netip.Addr
	v6Net    netip.Prefix
	// usedNets are the /24s oracle sessions used.
	usedNets map[netip.Prefix]bool
	// requests is how many requests the run draws.
	requests int
}

// group is requests drawn together: one legit visitor (a mistyped number
// and its correction) or one attack draw.
type group struct {
	reqs  []request
	legit bool
}

// mix is what one run of a scenario draws its requests from: the next legit
// visitor (at is the index of the request it starts at) and the next attack
// requests.
type mix struct {
	legit  func(at int) []request
	attack func() []request
}

// draws returns the requests of scenario s, n of them, grouped as drawn and
// in the order drawn; schedule then gives each its time.
func draws(s scenario, seed uint64, n int) []group {
	g := &generator{r: rand.New(rand.NewPCG(seed, 0x7011)), later: map[int][]request{}, ivr: s.name == "ivr-bots", legitV6: s.legitV6, requests: n}
	for range 15 {
		g.reuseIPs = append(g.reuseIPs, drawIP(g.r, netResidentialGB))
		g.reuseNumbers = append(g.reuseNumbers, drawNumber(g.r, planLT))
	}
	for range 5 {
		g.floodNumbers = append(g.floodNumbers, drawNumber(g.r, planForeign))
	}
	m := mix{legit: g.legit, attack: func() []request {
		if s.attack == nil {
			panic("scenario " + s.name + " drew an attack before its bind")
		}
		return s.attack(g)
	}}
	if s.start != nil {
		m = s.start(g)
		if m.legit == nil {
			m.legit = g.legit
		}
	}
	var out []group
	total := 0
	add := func(reqs []request, legit bool) {
		reqs = reqs[:min(len(reqs), n-total)]
		out = append(out, group{reqs: reqs, legit: legit})
		total += len(reqs)
	}
	for total < n {
		if due := g.later[total]; len(due) > 0 {
			delete(g.later, total)
			for _, r := range due {
				if total < n {
					add([]request{r}, true)
				}
			}
			continue
		}
		if g.legitNext(s) {
			add(m.legit(total), true)
		} else {
			add(m.attack(), false)
		}
	}
	return out
}

// flatten returns the requests of groups in order.
func flatten(groups []group) []request {
	var out []request
	for _, gr := range groups {
		out = append(out, gr.reqs...)
	}
	return out
}

// legitNext reports whether the next draw of s is a legit visitor: at
// random by legitShare, or by attackEvery.
func (g *generator) legitNext(s scenario) bool {
	if s.attackEvery == 0 {
		return g.r.Float64() < s.legitShare
	}
	if g.legitRun == s.attackEvery {
		g.legitRun = 0
		return false
	}
	g.legitRun++
	return true
}

// legit draws one visitor (or IVR caller) at request index at.
func (g *generator) legit(at int) []request {
	if g.ivr {
		return []request{{kind: ivrCall, tactic: "legit", phone: drawNumber(g.r, planUS), mistype: g.r.Float64() < 0.05}}
	}
	req := request{kind: callbackRequest, tactic: "legit", ip: drawIP(g.r, netResidentialUS), phone: drawNumber(g.r, planUS)}
	if g.r.Float64() < 0.25 {
		req.ip, req.phone = drawIP(g.r, netResidentialGB), drawNumber(g.r, planGBMobile)
		if g.legitV6 {
			req.ip = drawIP(g.r, netResidentialGBv6)
		}
	}
	return g.visit(at, req)
}

// visit returns the requests of one legit visitor asking for req at request
// index at: 5% mistype the number first (an invalid number, corrected at
// once), and 5% ask again 60 to 90 requests later.
func (g *generator) visit(at int, req request) []request {
	var out []request
	if g.r.Float64() < 0.05 {
		typo := req
		typo.typo, typo.phone = true, req.phone[:len(req.phone)-4]
		out = append(out, typo)
	}
	out = append(out, req)
	if g.r.Float64() < 0.05 {
		due := at + 60 + g.r.IntN(30)
		g.later[due] = append(g.later[due], req)
	}
	return out
}

func attack(tactic string, ip netip.Addr, phone string) request {
	return request{kind: callbackRequest, attack: true, tactic: tactic, ip: ip, phone: phone}
}

func attackIRSF(g *generator) []request {
	net := netHosting
	if g.r.IntN(2) == 0 {
		net = netVPN
	}
	return []request{attack("irsf", drawIP(g.r, net), drawNumber(g.r, planPremium))}
}

func attackSequential(g *generator) []request {
	g.seq++
	return []request{attack("sequential", drawIP(g.r, netResidentialGB), fmt.Sprintf("+44207946%04d", g.seq%1000))}
}

func attackDrip(g *generator) []request {
	if !g.dripIP.IsValid() || g.dripUses >= 2 {
		g.dripIP, g.dripUses = drawIP(g.r, netResProxy), 0
	}
	g.dripUses++
	return []request{attack("drip", g.dripIP, drawNumber(g.r, planPremium))}
}

func attackReuse(g *generator) []request {
	return []request{attack("reuse", g.reuseIPs[g.r.IntN(len(g.reuseIPs))], g.reuseNumbers[g.r.IntN(len(g.reuseNumbers))])}
}

func attackDuplicates(g *generator) []request {
	number := g.floodNumbers[g.r.IntN(len(g.floodNumbers))]
	out := make([]request, 5)
	for i := range out {
		out[i] = attack("duplicates", drawIP(g.r, netResidentialUS), number)
	}
	return out
}

func attackGeo(g *generator) []request {
	return []request{attack("geo", drawIP(g.r, netResidentialDE), drawNumber(g.r, planForeign))}
}

func attackVoIP(g *generator) []request {
	nets := []netip.Prefix{netResidentialUS, netResidentialGB, netResidentialDE}
	return []request{attack("voip", drawIP(g.r, nets[g.r.IntN(len(nets))]), drawNumber(g.r, planGBVoIP))}
}

func attackIVRBot(g *generator) []request {
	caller := "anonymous"
	switch g.r.IntN(3) {
	case 1:
		caller = drawNumber(g.r, planGBVoIP)
	case 2:
		caller = drawNumber(g.r, planUS)
	}
	return []request{{kind: ivrCall, attack: true, tactic: "ivr-bots", phone: caller, bot: true}}
}

func attackMixed(g *generator) []request {
	all := []func(*generator) []request{attackIRSF, attackSequential, attackDrip, attackReuse, attackDuplicates, attackGeo, attackVoIP}
	return all[g.r.IntN(len(all))](g)
}
