package main

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/tollgate/tollgate/risk"
)

func TestTrafficIsReproducible(t *testing.T) {
	for _, v := range []variant{tune, eval} {
		for _, s := range boundScenarios(t, v) {
			a, b := traffic(s, 7, 400, 8), traffic(s, 7, 400, 8)
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s (%s): the same seed drew different traffic", s.name, v)
			}
			if c := traffic(s, 8, 400, 8); reflect.DeepEqual(a, c) {
				t.Errorf("%s (%s): seeds 7 and 8 drew the same traffic", s.name, v)
			}
			if got, want := len(a), 400; got != want {
				t.Errorf("%s (%s): got %d requests, want %d", s.name, v, got, want)
			}
			var attacks int
			for i, r := range a {
				if r.attack {
					attacks++
				}
				if r.kind == callbackRequest && !r.typo && !valid(r.phone, nil) {
					t.Errorf("%s (%s): %s is not a valid number", s.name, v, r.phone)
				}
				if i > 0 && r.at < a[i-1].at {
					t.Errorf("%s (%s): request %d at %s comes before request %d at %s", s.name, v, i, r.at, i-1, a[i-1].at)
				}
			}
			if s.name != "legit" && attacks == 0 {
				t.Errorf("%s (%s): no attack requests", s.name, v)
			}
		}
	}
}

// fakeFacts stands for a server whose settings list two +1 high-cost ranges.
var fakeFacts = serverFacts{highCost: []risk.CostRange{{Prefix: "+1712", Name: "rural Iowa"}, {Prefix: "+1605", Name: "rural South Dakota"}}}

// boundScenarios returns every scenario of v, those drawing on the server's
// settings bound to fakeFacts.
func boundScenarios(t *testing.T, v variant) []scenario {
	t.Helper()
	all := allScenarios(v)
	for i, s := range all {
		if s.bind == nil {
			continue
		}
		var err error
		if all[i].start, err = s.bind(fakeFacts); err != nil {
			t.Fatalf("%s (%s): %v", s.name, v, err)
		}
	}
	return all
}

func TestCheckLoopback(t *testing.T) {
	for base, ok := range map[string]bool{
		"http://127.0.0.1:8080": true, "http://[::1]:80": true,
		"http://10.0.0.1:8080": false, "http://example.com": false, "http://localhost:8080": false,
	} {
		if got := checkLoopback(base) == nil; got != ok {
			t.Errorf("checkLoopback(%s): got ok %v, want %v", base, got, ok)
		}
	}
}

// TestSimulatorEndToEnd runs a tiny simulation against a real server:
// legit, irsf and ivr-bots with the defaults and the baseline.
func TestSimulatorEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts tollgate")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, errs bytes.Buffer
	args := []string{"-scenarios", "legit,irsf,ivr-bots", "-requests", "16", "-rate", "40", "-compare", "-parallel", "3", "-costs", "LV=150"}
	if err := run(ctx, args, &out, &errs); err != nil {
		t.Fatalf("run: %v\n%s", err, errs.String())
	}
	rows := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		cells := strings.Split(line, " | ")
		if len(cells) > 2 && (cells[1] == "defaults" || cells[1] == "baseline") {
			rows[strings.TrimPrefix(cells[0], "| ")+"/"+cells[1]] = line
		}
	}
	if got, want := len(rows), 6; got != want {
		t.Fatalf("got %d table rows, want %d:\n%s", got, want, out.String())
	}
	if row := rows["irsf/defaults"]; !strings.Contains(row, "| 100.0% |") {
		t.Errorf("irsf with the defaults: got %q, want every attack call stopped", row)
	}
	if row := rows["irsf/baseline"]; !strings.Contains(row, "| 0.0% |") {
		t.Errorf("irsf with the baseline: got %q, want no attack call stopped", row)
	}
	if row := rows["legit/defaults"]; !strings.Contains(row, "| 0 (0.0%) |") {
		t.Errorf("legit with the defaults: got %q, want no legit request lost", row)
	}
}

// TestCountRepeatsAreNotLost: a legit visitor refused as a duplicate while
// their earlier call was placed got a call; one refused with no call
// placed before is lost, as is a deflected one.
func TestCountRepeatsAreNotLost(t *testing.T) {
	legit := func(phone, action string, placed bool, reasons ...string) outcome {
		status := http.StatusAccepted
		if action == "deflect" {
			status = http.StatusOK
		}
		return outcome{sent: sent{req: request{tactic: "legit", phone: phone}, status: status}, action: action, placed: placed, reasons: reasons}
	}
	outs := []outcome{
		legit("+12015550100", "allow", true),
		legit("+12015550100", "block", false, "duplicate_callback"),
		legit("+12015550200", "block", false, "duplicate_callback"),
		legit("+12015550300", "deflect", false, "number_type_voip"),
	}
	got := count("legit", false, outs, costs{})
	if got.legitRepeats != 1 || got.legitLost != 2 || got.legitDecided != 4 {
		t.Errorf("got %d repeats and %d lost of %d, want 1 and 2 of 4", got.legitRepeats, got.legitLost, got.legitDecided)
	}
}

// TestExistingTrafficUnchanged pins the requests drawn for the scenarios
// measured in cmd/tollgate-sim/README.md, in the order drawn (not their
// times): a change to the generator must not redraw them.
func TestExistingTrafficUnchanged(t *testing.T) {
	want := map[string]uint64{
		"legit": 0x328595645442c920, "irsf": 0xf0d898965fbd2f70, "sequential": 0xca6f28f9562e015c,
		"drip": 0xdd44f9cbef4335b, "reuse": 0xabc39eaacea547c3, "duplicates": 0x792388ddd2e7e13e,
		"geo": 0x1555cf7ffedef6ce, "voip": 0x507635a84a4fd9fa, "ivr-bots": 0xccda052bbd426cb8,
		"mixed": 0xb73ff4879c3db7f5,
	}
	for name, digest := range want {
		s := mustScenario(t, name)
		h := fnv.New64a()
		for _, r := range flatten(draws(s, scenarioSeed(1, s.name), 500)) {
			fmt.Fprintf(h, "%d %v %s %s %s %v %v %v\n", r.kind, r.attack, r.tactic, r.ip, r.phone, r.typo, r.bot, r.mistype)
		}
		if got := h.Sum64(); got != digest {
			t.Errorf("%s: got traffic digest %#x, want %#x", name, got, digest)
		}
	}
}

func mustScenario(t *testing.T, name string) scenario {
	t.Helper()
	ss, err := findScenarios(name, eval)
	if err != nil {
		t.Fatal(err)
	}
	return ss[0]
}

// TestOracleProbesComeInPairs: each pair is two fresh addresses with the
// same warm-up, one probe listed and one clean, and only probes listed.
func TestOracleProbesComeInPairs(t *testing.T) {
	reqs := traffic(mustScenario(t, "oracle"), 7, 400, 8)
	type pair struct{ listed, clean int }
	pairs := map[int]*pair{}
	byIP := map[netip.Addr]int{}
	nets := map[netip.Prefix]bool{}
	for _, r := range reqs {
		if !r.attack {
			if r.probe != 0 || r.listed {
				t.Errorf("legit request %s marked as a probe", r.phone)
			}
			continue
		}
		byIP[r.ip]++
		if r.probe == 0 {
			if r.listed {
				t.Errorf("warm-up %s listed", r.phone)
			}
			continue
		}
		if got, want := byIP[r.ip], oracleWarmup+1; got != want {
			t.Errorf("probe %s is request %d of its address, want %d", r.phone, got, want)
		}
		if n := netip.PrefixFrom(r.ip, 24).Masked(); nets[n] {
			t.Errorf("probe from %s: another session used %s, want a /24 of its own", r.ip, n)
		} else {
			nets[n] = true
		}
		if pairs[r.probe] == nil {
			pairs[r.probe] = &pair{}
		}
		if r.listed {
			pairs[r.probe].listed++
		} else {
			pairs[r.probe].clean++
		}
	}
	complete := 0
	for n, p := range pairs {
		if p.listed > 1 || p.clean > 1 {
			t.Errorf("pair %d: %d listed and %d clean probes, want 1 and 1", n, p.listed, p.clean)
		}
		if p.listed == 1 && p.clean == 1 {
			complete++
		}
	}
	if complete < 10 {
		t.Errorf("got %d complete probe pairs in 400 requests, want at least 10", complete)
	}
	if got, want := len(listedNumbers(reqs)), complete; got < want {
		t.Errorf("got %d listed numbers, want at least %d", got, want)
	}
}

// TestMeasureOracle counts a pair as leaked when its two answers differ.
func TestMeasureOracle(t *testing.T) {
	probe := func(pair int, listed bool, status int) outcome {
		return outcome{sent: sent{req: request{attack: true, probe: pair, listed: listed}, status: status}}
	}
	outs := []outcome{
		probe(1, true, http.StatusAccepted), probe(1, false, http.StatusOK), // leaked
		probe(2, false, http.StatusOK), probe(2, true, http.StatusOK), // same answer
		probe(3, true, http.StatusAccepted), // no partner
		probe(4, true, http.StatusAccepted), probe(4, false, http.StatusUnprocessableEntity),
	}
	if got, want := measureOracle(outs, costs{}), "leaked 1 of 2 probe pairs"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestFlowEscapeTraffic: attackers name flow vip with numbers in the
// blocked countries, legit visitors name no flow; the settings block the
// countries, drop them from the high-risk list and let vip allow them.
func TestFlowEscapeTraffic(t *testing.T) {
	for _, r := range traffic(mustScenario(t, "flow-escape"), 7, 200, 8) {
		switch {
		case r.attack && (r.flow != escapeFlow || !slices.Contains(escapeCountries, numberCountry(t, r.phone))):
			t.Errorf("attack %s (flow %q): want flow %s and a number in %v", r.phone, r.flow, escapeFlow, escapeCountries)
		case !r.attack && r.flow != "":
			t.Errorf("legit %s sends flow %q", r.phone, r.flow)
		}
	}
	s := map[string]any{"account_policy": map[string]any{"default": "ALLOW"}, "high_risk_countries": []any{"LV", "CU", "KP"}}
	flowEscapeSettings(s)
	countries := s["account_policy"].(map[string]any)["countries"].(map[string]any)
	allow := s["flow_policies"].(map[string]any)[escapeFlow].(map[string]any)["countries"].(map[string]any)
	for _, c := range escapeCountries {
		if countries[c] != "BLOCK" || allow[c] != "ALLOW" {
			t.Errorf("%s: account %v, flow %v; want BLOCK and ALLOW", c, countries[c], allow[c])
		}
	}
	if got, want := s["high_risk_countries"], []any{"KP"}; !reflect.DeepEqual(got, want) {
		t.Errorf("high-risk countries: got %v, want %v", got, want)
	}
}

func numberCountry(t *testing.T, e164 string) string {
	t.Helper()
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		t.Fatal(err)
	}
	return phonenumbers.GetRegionCodeForNumber(n)
}

// TestBurstsAreMarked: the flood goes out in whole bursts of one address,
// at its tick of -rate after 150 legit visitors were drawn, at the burst rate
// with legit visitors arriving around it; the budget race in bursts sent at
// once; burstLen finds their ends.
func TestBurstsAreMarked(t *testing.T) {
	const rate = 4
	s := mustScenario(t, "flood-to-deflect")
	if s.burstRate <= 0 || s.burstRate > maxRate {
		t.Fatalf("flood burst rate %v, want above 0 and at most %d", s.burstRate, maxRate)
	}
	flood := traffic(s, 7, 600, rate)
	var burst []request
	legitDuring := 0
	for _, r := range flood {
		switch {
		case r.attack && r.burst == 1:
			burst = append(burst, r)
		case r.attack:
			t.Fatalf("flood request %+v outside burst 1", r)
		case len(burst) > 0 && len(burst) < floodBurst:
			legitDuring++
		}
	}
	if got, want := len(burst), floodBurst; got != want {
		t.Fatalf("flood: a burst of %d, want %d", got, want)
	}
	ticks, visitors := 0, 0
	for _, gr := range draws(s, 7, 600) {
		if !gr.legit {
			break
		}
		ticks += gr.ticks()
		visitors++
	}
	if visitors < s.attackEvery {
		t.Errorf("flood: drawn after %d legit visitors, want at least %d", visitors, s.attackEvery)
	}
	if got, want := burst[0].at, time.Duration(float64(time.Second)*float64(ticks)/rate); (got - want).Abs() > time.Microsecond {
		t.Errorf("flood: the burst starts at %s, want %s (tick %d)", got, want, ticks)
	}
	for i, r := range burst {
		want := burst[0].at + time.Duration(float64(i)*float64(time.Second)/s.burstRate)
		if r.concurrent || r.ip != burst[0].ip || numberCountry(t, r.phone) != floodCountry || (r.at-want).Abs() > time.Microsecond {
			t.Fatalf("flood request %d: %+v; want sent in turn at %s, from %s, a %s number", i, r, want, burst[0].ip, floodCountry)
		}
	}
	if legitDuring == 0 {
		t.Error("flood: no legit visitor arrived during the burst")
	}
	race := traffic(mustScenario(t, "budget-race"), 7, 300, rate)
	bursts := 0
	for i := 0; i < len(race); {
		n := burstLen(race[i:])
		if race[i].burst != 0 {
			bursts++
			for _, r := range race[i : i+n] {
				if !r.attack || !r.concurrent || r.at != race[i].at {
					t.Errorf("budget race burst %d: %+v, want attack sent at once", r.burst, r)
				}
			}
			if n != budgetBurst && i+n != len(race) {
				t.Errorf("budget race burst %d holds %d requests, want %d", race[i].burst, n, budgetBurst)
			}
		} else if race[i].concurrent {
			t.Errorf("request %d sent at once outside a burst", i)
		}
		i += n
	}
	if bursts == 0 {
		t.Error("budget race: no burst")
	}
}

// TestBudgetSettings sets room for budgetCalls US calls.
func TestBudgetSettings(t *testing.T) {
	s := map[string]any{"spend": map[string]any{"default_cost": 10.0, "costs": map[string]any{"US": 7.0}}}
	budgetSettings(s)
	if got, want := s["spend"].(map[string]any)["daily_budget"], int64(budgetCalls*7); got != want {
		t.Errorf("daily budget: got %v, want %v", got, want)
	}
}

// TestIPv6RotationStaysInOneSlash64: every attack address is new and in one
// /64 of the IPv6 range; GB legit visitors are on IPv6, outside it.
func TestIPv6RotationStaysInOneSlash64(t *testing.T) {
	reqs := traffic(mustScenario(t, "ipv6-rotation"), 7, 300, 8)
	var net netip.Prefix
	seen := map[netip.Addr]bool{}
	v6Legit := 0
	for _, r := range reqs {
		if !r.attack {
			if r.ip.Is6() {
				v6Legit++
				if !netResidentialGBv6.Contains(r.ip) || (net.IsValid() && net.Contains(r.ip)) {
					t.Errorf("legit %s: want in %s, outside the attacker's /64", r.ip, netResidentialGBv6)
				}
			}
			continue
		}
		if !net.IsValid() {
			net = netip.PrefixFrom(r.ip, 64).Masked()
		}
		if !net.Contains(r.ip) || !netResidentialGBv6.Contains(r.ip) || seen[r.ip] {
			t.Errorf("attack address %s: want a new address in %s", r.ip, net)
		}
		seen[r.ip] = true
	}
	if len(seen) < 50 || v6Legit == 0 {
		t.Errorf("got %d attack addresses and %d legit visitors on IPv6, want at least 50 and 1", len(seen), v6Legit)
	}
}

// TestTokenReuseNamesOneUser: every attack carries the one user's token.
func TestTokenReuseNamesOneUser(t *testing.T) {
	for _, r := range traffic(mustScenario(t, "token-reuse"), 7, 100, 8) {
		if r.attack != (r.visitor == tokenUser) {
			t.Errorf("%+v: want the token on attacks only", r)
		}
	}
}

// TestPairDecisionsOutOfOrder pairs a burst's decisions logged in another
// order, by callback id and else by address and number.
func TestPairDecisionsOutOfOrder(t *testing.T) {
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	sents := []sent{
		{req: request{ip: a, phone: "+12015550100", concurrent: true, burst: 1}, status: http.StatusAccepted, id: "d1"},
		{req: request{ip: b, phone: "+12015550200", concurrent: true, burst: 1}, status: http.StatusOK},
	}
	logged := func(id, action string, ip netip.Addr, phone string) loggedDecision {
		var d loggedDecision
		d.Decision.ID, d.Decision.Action, d.Decision.IP, d.Decision.Number = id, action, ip, risk.MaskNumber(phone)
		return d
	}
	log := []loggedDecision{logged("d2", "deflect", b, "+12015550200"), logged("d1", "allow", a, "+12015550100")}
	pairs, err := pairDecisions(sents, []int{0, 1}, log)
	if err != nil {
		t.Fatal(err)
	}
	if pairs[0].Decision.ID != "d1" || pairs[1].Decision.ID != "d2" {
		t.Errorf("got %s and %s, want d1 and d2", pairs[0].Decision.ID, pairs[1].Decision.ID)
	}
	// A block shown as deflected answers 200.
	log[0].Decision.Action, log[0].Decision.Visible = "block", "deflect"
	if _, err := pairDecisions(sents, []int{0, 1}, log); err != nil {
		t.Errorf("block shown as deflect: %v", err)
	}
	log[0].Decision.Visible = ""
	if _, err := pairDecisions(sents, []int{0, 1}, log); err == nil {
		t.Error("a 200 answer paired with a block shown as block: want an error")
	}
}

// TestSendAtOnceIsConcurrent: the server answers none of a burst's
// requests until all of them arrived, which only a burst sent at once
// gets past.
func TestSendAtOnceIsConcurrent(t *testing.T) {
	reqs := traffic(mustScenario(t, "budget-race"), 7, 300, 8)
	first := slices.IndexFunc(reqs, func(r request) bool { return r.concurrent })
	burst := reqs[first : first+burstLen(reqs[first:])]
	var mu sync.Mutex
	arrived := 0
	all := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if arrived++; arrived == len(burst) {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
		case <-r.Context().Done():
			return
		}
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprint(w, `{"status":"accepted","id":"d"}`)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got, err := (&tollgate{base: srv.URL}).sendAtOnce(ctx, burst, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range got {
		if s.status != http.StatusAccepted || s.req.phone != burst[i].phone {
			t.Errorf("answer %d: got %d for %s, want 202 for %s", i, s.status, s.req.phone, burst[i].phone)
		}
	}
}
