package main

import (
	"context"
	"io"
	"testing"
	"time"
)

// TestBacktestOnSimulatedTraffic drives the ring-small scenario (legit
// visitors beside a recombination ring: a pool of addresses asking for a
// pool of numbers, a few requests each) through a real Tollgate, labels each
// decision as the simulator knows it, and replays the recorded traffic
// through POST /api/v1/admin/backtest: the settings in force change
// nothing; a draft blocking a country changes exactly that country's
// decisions the server did not block; tighter velocity limits change the
// attacks more than the legit traffic.
func TestBacktestOnSimulatedTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts tollgate")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := config{requests: 150, rate: 50, duration: time.Minute, seed: 1, costs: map[string]int64{}, why: io.Discard}
	dir, log, cleanup, err := prepare(ctx, &c, "tollgate-sim-backtest-")
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	tg, outs, _, err := simulate(ctx, c, job{s: mustScenario(t, "ring-small")}, serverOptions{binary: c.server, geoDir: dir, log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.stop()
	if err := tg.label(ctx, outs); err != nil {
		t.Fatal(err)
	}
	logged := 0
	notBlocked := map[string]int{}
	for _, o := range outs {
		if o.entry == "" {
			continue
		}
		logged++
		if o.action != "block" {
			notBlocked[o.country]++
		}
	}
	country, most := "", 0
	for cc, n := range notBlocked {
		if n > most && cc != "" {
			country, most = cc, n
		}
	}

	same, err := tg.backtest(ctx, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if same.Decisions != logged || same.Changed != 0 || same.Stopped != "" {
		t.Errorf("the settings in force: replayed %d of %d, changed %d (stopped %q); want all and 0", same.Decisions, logged, same.Changed, same.Stopped)
	}

	blocked, err := tg.backtest(ctx, map[string]any{"policy": map[string]any{
		"account_policy": map[string]any{"default": "ALLOW", "countries": map[string]string{country: "BLOCK"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if most == 0 || blocked.Changed != most {
		t.Errorf("%s blocked: changed %d, want its %d decisions not blocked", country, blocked.Changed, most)
	}

	strict, err := tg.backtest(ctx, map[string]any{"settings": map[string]any{
		"velocity": map[string]any{
			"distinct_numbers_per_ip": map[string]any{"window": "24h0m0s", "warning": 2, "critical": 3},
			"distinct_ips_per_number": map[string]any{"window": "24h0m0s", "warning": 2, "critical": 3},
		}}})
	if err != nil {
		t.Fatal(err)
	}
	if spam, legit := strict.ChangedByLabel["spam"], strict.ChangedByLabel["legit"]; spam <= legit {
		t.Errorf("tighter velocity: changed %d spam and %d legit decisions, want more spam", spam, legit)
	}
	t.Logf("%d decisions; %s blocked: %d changed; tighter velocity: %v changed by label, %d legit refused, %d spam allowed",
		logged, country, blocked.Changed, strict.ChangedByLabel, strict.LegitRefused.Count, strict.SpamAllowed.Count)
}
