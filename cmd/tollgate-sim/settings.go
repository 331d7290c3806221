package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate/tollgate/risk"
)

// baselineKeeps are the reason codes the baseline keeps: the deny lists,
// one outstanding callback per number and the country policy.
var baselineKeeps = map[string]bool{
	"deny_number": true, "deny_prefix": true, "deny_ip": true, "deny_country": true, "deny_asn": true,
	"duplicate_callback": true, "country_blocked": true,
}

// costs holds the cost table and the daily budget the run applies, in
// minor units.
type costs struct {
	byCountry map[string]int64
	fallback  int64
	// budget is the daily budget, 0 for none.
	budget int64
}

// cost returns the estimated cost of one call to country.
func (c costs) cost(country string) int64 {
	if v, ok := c.byCountry[country]; ok {
		return v
	}
	return c.fallback
}

// parseCosts reads "LV=150,SO=200".
func parseCosts(s string) (map[string]int64, error) {
	out := map[string]int64{}
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if !ok || err != nil || n < 0 {
			return nil, fmt.Errorf("cost %q must look like LV=150", part)
		}
		out[strings.ToUpper(strings.TrimSpace(k))] = n
	}
	return out, nil
}

// prepare saves the run's settings through the admin API: the cost table
// when given, for a baseline every weight but baselineKeeps at 0, no spend
// caps, and IVR callers let through unchallenged, and then the scenario's
// own edit when it has one. It returns the cost table and budget in force
// and what the traffic may draw on.
func (t *tollgate) prepare(ctx context.Context, baseline bool, table map[string]int64, edit func(map[string]any)) (costs, serverFacts, error) {
	var s map[string]any
	if status, err := t.api(ctx, http.MethodGet, "/api/v1/admin/settings", t.token, nil, nil, &s); err != nil || status != http.StatusOK {
		return costs{}, serverFacts{}, fmt.Errorf("reading settings: status %d: %v", status, err)
	}
	spend, _ := s["spend"].(map[string]any)
	if spend == nil {
		return costs{}, serverFacts{}, fmt.Errorf("settings carry no spend")
	}
	if len(table) > 0 {
		c := map[string]any{}
		for k, v := range table {
			c[k] = v
		}
		spend["costs"] = c
	}
	if baseline {
		weights, _ := s["weights"].(map[string]any)
		for code := range weights {
			if !baselineKeeps[code] {
				weights[code] = 0
			}
		}
		spend["number_per_hour"], spend["number_per_day"], spend["daily_budget"] = 0, 0, 0
		if sc, ok := s["screening"].(map[string]any); ok {
			sc["pass_at"] = 1000
		}
	}
	if edit != nil {
		edit(s)
	}
	if len(table) > 0 || baseline || edit != nil {
		if status, err := t.api(ctx, http.MethodPut, "/api/v1/admin/settings", t.token, nil, s, nil); err != nil || status != http.StatusOK {
			return costs{}, serverFacts{}, fmt.Errorf("saving settings: status %d: %v", status, err)
		}
		// Every instance reloads the settings within two seconds.
		time.Sleep(2500 * time.Millisecond)
	}
	var in struct {
		Spend struct {
			Costs       map[string]int64 `json:"costs"`
			DefaultCost int64            `json:"default_cost"`
			DailyBudget int64            `json:"daily_budget"`
		} `json:"spend"`
		HighCost []risk.CostRange `json:"high_cost_ranges"`
	}
	if status, err := t.api(ctx, http.MethodGet, "/api/v1/admin/settings", t.token, nil, nil, &in); err != nil || status != http.StatusOK {
		return costs{}, serverFacts{}, fmt.Errorf("reading settings: status %d: %v", status, err)
	}
	return costs{byCountry: in.Spend.Costs, fallback: in.Spend.DefaultCost, budget: in.Spend.DailyBudget}, serverFacts{highCost: in.HighCost}, nil
}
