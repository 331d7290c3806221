package main

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
)

// The scenarios here attack the engine's own rules rather than slip past
// its signals: they read an answer for hidden state (oracle), steer the
// policy (flow-escape), turn shared counters against customers
// (flood-to-deflect), spread over one IPv6 /64 (ipv6-rotation), race the
// daily budget (budget-race) and reuse one visitor token (token-reuse).

const (
	// oracleWarmup is the throwaway numbers an oracle session asks for
	// before its probe: enough for the IP's distinct-number and velocity
	// warnings with the geo mismatch to reach the deflect band.
	oracleWarmup = 4
	// floodBurst and floodRate are the size and rate of a flood burst.
	floodBurst = 300
	floodRate  = 150
	// budgetBurst is the size of a budget race's simultaneous burst;
	// budgetCalls the calls the budget has room for.
	budgetBurst = 10
	budgetCalls = 5
	// escapeFlow is the flow the flow-escape attacker names.
	escapeFlow = "vip"
	// floodCountry is the destination country the flood aims at.
	floodCountry = "US"
	// tokenUser is the user the reused visitor token names.
	tokenUser = "sim-user-1"
)

// escapeCountries are the countries the flow-escape account blocks and its
// flow allows.
var escapeCountries = []string{"LV", "LT", "SO", "CU", "SL", "GN"}

// attackOracle draws one probe pair: two fresh German residential
// addresses, each in a /24 of its own, each asking for oracleWarmup throwaway UK mobile numbers and
// then probing a UK mobile number, one of the two probes on the deny list,
// in random order.
func attackOracle(g *generator) []request {
	g.probes++
	listedFirst := g.r.IntN(2) == 0
	var out []request
	for i := range 2 {
		ip := g.freshNetworkIP(netResidentialDE)
		for range oracleWarmup {
			out = append(out, attack("oracle", ip, drawNumber(g.r, planGBMobile)))
		}
		probe := attack("oracle", ip, drawNumber(g.r, planGBMobile))
		probe.probe, probe.listed = g.probes, (i == 0) == listedFirst
		out = append(out, probe)
	}
	return out
}

// freshNetworkIP draws an address in p whose /24 no earlier oracle
// session used (while any is left), so that every session starts with the same network
// counters: the two probes of a pair then differ only in the listing.
func (g *generator) freshNetworkIP(p netip.Prefix) netip.Addr {
	if g.usedNets == nil {
		g.usedNets = map[netip.Prefix]bool{}
	}
	for {
		ip := drawIP(g.r, p)
		if n := netip.PrefixFrom(ip, 24).Masked(); !g.usedNets[n] || len(g.usedNets) >= 1<<(24-p.Bits()) {
			g.usedNets[n] = true
			return ip
		}
	}
}

// listedNumbers returns the numbers reqs put on the deny list.
func listedNumbers(reqs []request) []string {
	var out []string
	for _, r := range reqs {
		if r.listed {
			out = append(out, r.phone)
		}
	}
	return out
}

// measureOracle counts the probe pairs whose two answers differ (one
// deflected, the other accepted): each such pair tells the attacker which
// number is on the deny list.
func measureOracle(outs []outcome, _ costs) string {
	type pair struct{ listed, clean int }
	pairs := map[int]*pair{}
	for _, o := range outs {
		if o.req.probe == 0 || (o.status != http.StatusOK && o.status != http.StatusAccepted) {
			continue
		}
		p := pairs[o.req.probe]
		if p == nil {
			p = &pair{}
			pairs[o.req.probe] = p
		}
		if o.req.listed {
			p.listed = o.status
		} else {
			p.clean = o.status
		}
	}
	var answered, leaked int
	for _, p := range pairs {
		if p.listed == 0 || p.clean == 0 {
			continue
		}
		answered++
		if p.listed != p.clean {
			leaked++
		}
	}
	return fmt.Sprintf("leaked %d of %d probe pairs", leaked, answered)
}

// attackFlowEscape sends flow vip with a number in a country the account
// blocks, from a fresh clean German residential address.
func attackFlowEscape(g *generator) []request {
	r := attack("flow-escape", drawIP(g.r, netResidentialDE), drawNumber(g.r, planEscape))
	r.flow = escapeFlow
	return []request{r}
}

// flowEscapeSettings blocks escapeCountries in the account policy, takes
// them off the high-risk list so the policy alone stands against them, and
// lets flow vip allow them.
func flowEscapeSettings(s map[string]any) {
	account, _ := s["account_policy"].(map[string]any)
	if account == nil {
		account = map[string]any{"default": "ALLOW"}
		s["account_policy"] = account
	}
	countries, _ := account["countries"].(map[string]any)
	if countries == nil {
		countries = map[string]any{}
		account["countries"] = countries
	}
	allow := map[string]any{}
	for _, c := range escapeCountries {
		countries[c], allow[c] = "BLOCK", "ALLOW"
	}
	flows, _ := s["flow_policies"].(map[string]any)
	if flows == nil {
		flows = map[string]any{}
		s["flow_policies"] = flows
	}
	flows[escapeFlow] = map[string]any{"countries": allow}
	high, _ := s["high_risk_countries"].([]any)
	s["high_risk_countries"] = slices.DeleteFunc(high, func(c any) bool {
		code, _ := c.(string)
		return slices.Contains(escapeCountries, code)
	})
}

// attackFlood draws one burst of floodBurst requests from one of two
// Amazon hosting addresses for random US numbers.
func attackFlood(g *generator) []request {
	if g.floodIPs == nil {
		g.floodIPs = append(g.floodIPs, drawIP(g.r, netHosting), drawIP(g.r, netHosting))
	}
	g.burst++
	ip := g.floodIPs[g.r.IntN(len(g.floodIPs))]
	out := make([]request, floodBurst)
	for i := range out {
		out[i] = attack("flood", ip, drawNumber(g.r, planUS))
		out[i].burst = g.burst
	}
	return out
}

// measureFlood counts the legit customers of the flooded country lost, as
// the main table counts them (a repeat whose first call was placed is not
// lost).
func measureFlood(outs []outcome, c costs) string {
	var in []outcome
	for _, o := range outs {
		if !o.req.attack && o.country == floodCountry {
			in = append(in, o)
		}
	}
	t := count("", false, in, c)
	return fmt.Sprintf("%s legit lost %d of %d (%s)", floodCountry, t.legitLost, t.legitDecided, pct(t.legitLost, t.legitDecided))
}

// attackIPv6Rotation asks for a high-cost or a clean UK mobile number from
// a new address in the attacker's one /64.
func attackIPv6Rotation(g *generator) []request {
	if !g.v6Net.IsValid() {
		g.v6Net = netip.PrefixFrom(drawIP(g.r, netResidentialGBv6), 64).Masked()
	}
	plan := planGBMobile
	if g.r.IntN(2) == 0 {
		plan = planPremium
	}
	return []request{attack("ipv6-rotation", drawIP(g.r, g.v6Net), drawNumber(g.r, plan))}
}

// attackBudgetRace draws a burst of budgetBurst clean requests sent at once.
func attackBudgetRace(g *generator) []request {
	g.burst++
	out := make([]request, budgetBurst)
	for i := range out {
		out[i] = attack("budget-race", drawIP(g.r, netResidentialUS), drawNumber(g.r, planUS))
		out[i].burst, out[i].concurrent = g.burst, true
	}
	return out
}

// budgetSettings sets a daily budget with room for budgetCalls calls to
// the US at the cost in force.
func budgetSettings(s map[string]any) {
	spend, _ := s["spend"].(map[string]any)
	if spend == nil {
		return
	}
	cost := jsonInt(spend["default_cost"])
	if c, ok := spend["costs"].(map[string]any); ok {
		if v, ok := c["US"]; ok {
			cost = jsonInt(v)
		}
	}
	spend["daily_budget"] = budgetCalls * max(cost, 1)
}

// jsonInt reads a JSON number as an integer.
func jsonInt(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

// measureBudget compares the cost of every call placed, legit or attack,
// with the daily budget.
func measureBudget(outs []outcome, c costs) string {
	var spent int64
	var calls int
	for _, o := range outs {
		if o.placed && o.req.kind == callbackRequest {
			spent += c.cost(o.country)
			calls++
		}
	}
	if c.budget == 0 {
		return fmt.Sprintf("%d calls placed, spend %s, no budget", calls, money(spent))
	}
	return fmt.Sprintf("%d calls placed, spend %s of budget %s: %s over", calls, money(spent), money(c.budget), money(max(spent-c.budget, 0)))
}

// attackTokenReuse sends the one reused visitor token from a new Amazon
// hosting address for a random US number.
func attackTokenReuse(g *generator) []request {
	r := attack("token-reuse", drawIP(g.r, netHosting), drawNumber(g.r, planUS))
	r.visitor = tokenUser
	return []request{r}
}
