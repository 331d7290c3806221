package main

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
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
}

// scenario is a named traffic mix.
type scenario struct {
	name string
	// about says what the traffic is, for the report.
	about string
	// legitShare is the share of legit visitors in the traffic.
	legitShare float64
	// attack draws the next attack requests.
	attack func(g *generator) []request
}

// scenarios lists every traffic mix by name.
var scenarios = []scenario{
	{"legit", "residential visitors (US, GB) asking for their own domestic numbers; 5% mistype first, 5% ask again later", 1, nil},
	{"irsf", "pumping to premium destinations (LV, LT, SO, CU, SL, GN, UK 090) hopping over hosting and VPN addresses, a new address each request", 0.5, attackIRSF},
	{"sequential", "numbers counted up in one UK block (+44 20 7946 0xxx) from rotating clean residential addresses", 0.5, attackSequential},
	{"drip", "premium destinations from a residential proxy pool, each address used at most twice", 0.5, attackDrip},
	{"reuse", "15 clean residential addresses and 15 Lithuanian numbers recombined at random", 0.5, attackReuse},
	{"duplicates", "floods of the same 5 numbers, bursts of 5 from clean residential addresses", 0.5, attackDuplicates},
	{"geo", "clean German residential addresses asking for numbers in high-cost countries", 0.5, attackGeo},
	{"voip", "clean residential addresses (US, GB, DE) asking for UK VoIP numbers (+44 56)", 0.5, attackVoIP},
	{"ivr-bots", "inbound IVR: bots (withheld ids, UK VoIP, random US numbers) keying random digits; people keying the code, 5% mistyping once", 0.3, attackIVRBot},
	{"mixed", "legit visitors with every callback attack above at once", 0.7, attackMixed},
}

// scenarioNames returns the names, comma-separated.
func scenarioNames() string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.name
	}
	return strings.Join(names, ",")
}

// findScenarios resolves a comma-separated list of names ("all" for every one).
func findScenarios(list string) ([]scenario, error) {
	if list == "all" {
		return scenarios, nil
	}
	var out []scenario
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		found := false
		for _, s := range scenarios {
			if s.name == name {
				out = append(out, s)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown scenario %q; known: %s", name, scenarioNames())
		}
	}
	return out, nil
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
}

// traffic returns the requests of scenario s: n of them, in order.
func traffic(s scenario, seed uint64, n int) []request {
	g := &generator{r: rand.New(rand.NewPCG(seed, 0x7011)), later: map[int][]request{}, ivr: s.name == "ivr-bots"}
	for range 15 {
		g.reuseIPs = append(g.reuseIPs, drawIP(g.r, netResidentialGB))
		g.reuseNumbers = append(g.reuseNumbers, drawNumber(g.r, planLT))
	}
	for range 5 {
		g.floodNumbers = append(g.floodNumbers, drawNumber(g.r, planForeign))
	}
	var out []request
	for len(out) < n {
		if due := g.later[len(out)]; len(due) > 0 {
			delete(g.later, len(out))
			out = append(out, due...)
			continue
		}
		if g.r.Float64() < s.legitShare {
			out = append(out, g.legit(len(out))...)
		} else {
			out = append(out, s.attack(g)...)
		}
	}
	return out[:n]
}

// legit draws one visitor (or IVR caller) at request index at.
func (g *generator) legit(at int) []request {
	if g.ivr {
		return []request{{kind: ivrCall, tactic: "legit", phone: drawNumber(g.r, planUS), mistype: g.r.Float64() < 0.05}}
	}
	req := request{kind: callbackRequest, tactic: "legit", ip: drawIP(g.r, netResidentialUS), phone: drawNumber(g.r, planUS)}
	if g.r.Float64() < 0.25 {
		req.ip, req.phone = drawIP(g.r, netResidentialGB), drawNumber(g.r, planGBMobile)
	}
	var out []request
	if g.r.Float64() < 0.05 {
		typo := req
		typo.typo, typo.phone = true, req.phone[:len(req.phone)-4]
		out = append(out, typo)
	}
	out = append(out, req)
	if g.r.Float64() < 0.05 {
		// The visitor asks again 60 to 90 requests later.
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
