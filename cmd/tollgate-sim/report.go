package main

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// tally sums one run of one scenario.
type tally struct {
	scenario string
	baseline bool
	// requests counts requests sent; legit and attack split them.
	requests, legit, attack int
	// invalid counts numbers refused as input (legit typos).
	invalid int
	// placed, blocked and deflected count decisions (IVR: through,
	// disconnected or failed the code, and never deflected).
	placed, blocked, deflected int
	// legitLost counts legit requests deflected or blocked, of legitDecided
	// that reached a decision, but not legitRepeats.
	legitLost, legitDecided int
	// legitRepeats counts legit requests refused as duplicate_callback
	// while the visitor's earlier call to the same number was placed: the
	// visitor was answered "accepted", as for any call, and got that call.
	legitRepeats int
	// attackPlaced counts attack calls placed; attackDecided the attack
	// requests that reached a decision.
	attackPlaced, attackDecided int
	// spendPlaced and spendAvoided are the estimated costs of the attack
	// calls placed and refused, in minor units.
	spendPlaced, spendAvoided int64
	ivr                       bool
	// stoppedBy counts the reason codes of the attack requests blocked or
	// deflected; lostTo those of the legit requests lost.
	stoppedBy, lostTo reasonCounts
	// measure is the scenario's own measure (scenario.measure), "" for none.
	measure string
}

// reasonCounts counts requests by the reason codes their decisions gave.
type reasonCounts map[string]int

// add counts each of codes once.
func (c reasonCounts) add(codes []string) {
	for _, code := range slices.Compact(slices.Sorted(slices.Values(codes))) {
		c[code]++
	}
}

// top returns the n codes most often given, most first (ties by code), with
// their counts: "destination_high_risk 40, geo_mismatch 31"; "–" for none.
func (c reasonCounts) top(n int) string {
	codes := slices.Collect(maps.Keys(c))
	slices.SortFunc(codes, func(a, b string) int { return cmp.Or(cmp.Compare(c[b], c[a]), cmp.Compare(a, b)) })
	var parts []string
	for _, code := range codes[:min(n, len(codes))] {
		parts = append(parts, fmt.Sprintf("%s %d", code, c[code]))
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, ", ")
}

// count sums outcomes with the run's cost table.
func count(name string, baseline bool, outs []outcome, c costs) tally {
	t := tally{scenario: name, baseline: baseline, stoppedBy: reasonCounts{}, lostTo: reasonCounts{}}
	placed := map[string]bool{}
	for _, o := range outs {
		t.requests++
		if o.req.kind == ivrCall {
			t.ivr = true
		}
		if o.req.attack {
			t.attack++
		} else {
			t.legit++
		}
		if o.action == "invalid" {
			t.invalid++
			continue
		}
		switch {
		case o.placed:
			t.placed++
		case o.action == "block":
			t.blocked++
		case o.action == "deflect":
			t.deflected++
		}
		refused := o.action == "block" || o.action == "deflect"
		if !o.req.attack {
			t.legitDecided++
			switch {
			case o.placed:
				placed[o.req.phone] = true
			case o.action == "block" && placed[o.req.phone] && slices.Contains(o.reasons, "duplicate_callback") && o.status == http.StatusAccepted:
				t.legitRepeats++
			case refused:
				t.legitLost++
				t.lostTo.add(o.reasons)
			}
			continue
		}
		t.attackDecided++
		if refused && !o.placed {
			t.stoppedBy.add(o.reasons)
		}
		cost := int64(0)
		if o.req.kind == callbackRequest {
			cost = c.cost(o.country)
		}
		if o.placed {
			t.attackPlaced++
			t.spendPlaced += cost
		} else {
			t.spendAvoided += cost
		}
	}
	return t
}

// pct formats part/whole as a percentage, "–" for nothing to count.
func pct(part, whole int) string {
	if whole == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(part)/float64(whole))
}

// money formats minor units as major units with two decimals.
func money(minor int64) string { return fmt.Sprintf("%d.%02d", minor/100, minor%100) }

// verdict says whether t meets the targets: at least 99% of attack calls
// stopped and at most 0.5% of legit callbacks lost.
func verdict(t tally) string {
	var missed []string
	if t.attackDecided > 0 && float64(t.attackPlaced) > 0.01*float64(t.attackDecided) {
		missed = append(missed, "attack")
	}
	if t.legit > 0 && float64(t.legitLost) > 0.005*float64(t.legitDecided) {
		missed = append(missed, "legit")
	}
	if len(missed) == 0 {
		return "met"
	}
	return "**missed** (" + strings.Join(missed, ", ") + ")"
}

// controls names the controls a tally ran under.
func (t tally) controls() string {
	if t.baseline {
		return "baseline"
	}
	return "defaults"
}

// writeTable writes the tallies as one Markdown table.
func writeTable(w io.Writer, ts []tally) {
	fmt.Fprintln(w, "| scenario | controls | requests (legit / attack) | calls placed | blocked | deflected | invalid input | legit lost | legit repeats (call coming) | attack calls placed | attack stopped | attack spend placed | attack spend avoided | targets | attack stopped by | legit lost to |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, t := range ts {
		spendPlaced, spendAvoided := money(t.spendPlaced), money(t.spendAvoided)
		if t.ivr {
			spendPlaced, spendAvoided = "–", "–"
		}
		fmt.Fprintf(w, "| %s | %s | %d (%d / %d) | %d | %d | %d | %d | %d (%s) | %d | %d (%s) | %s | %s | %s | %s | %s | %s |\n",
			t.scenario, t.controls(), t.requests, t.legit, t.attack, t.placed, t.blocked, t.deflected, t.invalid,
			t.legitLost, pct(t.legitLost, t.legitDecided), t.legitRepeats, t.attackPlaced, pct(t.attackPlaced, t.attackDecided),
			pct(t.attackDecided-t.attackPlaced, t.attackDecided), spendPlaced, spendAvoided, verdict(t),
			t.stoppedBy.top(3), t.lostTo.top(3))
	}
}

// writeMeasures writes the scenarios' own measures, when any has one, as a
// second Markdown table.
func writeMeasures(w io.Writer, ts []tally) {
	var rows []tally
	for _, t := range ts {
		if t.measure != "" {
			rows = append(rows, t)
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| scenario | controls | measure |")
	fmt.Fprintln(w, "| --- | --- | --- |")
	for _, t := range rows {
		fmt.Fprintf(w, "| %s | %s | %s |\n", t.scenario, t.controls(), t.measure)
	}
}

// lostAmong says how many of the legit requests pick chooses were lost, as
// the main table counts them: "label lost 3 of 80 (3.8%)".
func lostAmong(label string, outs []outcome, c costs, pick func(request) bool) string {
	var in []outcome
	for _, o := range outs {
		if !o.req.attack && pick(o.req) {
			in = append(in, o)
		}
	}
	t := count("", false, in, c)
	return fmt.Sprintf("%s lost %d of %d (%s)", label, t.legitLost, t.legitDecided, pct(t.legitLost, t.legitDecided))
}
