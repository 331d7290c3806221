package replay

import (
	"cmp"
	"slices"

	"github.com/tollgate/tollgate/risk"
)

// tally gathers a replay's counts as decisions are compared.
type tally struct {
	samples int
	actions map[[2]risk.Action]int
	reasons map[string]*ReasonCount
}

func newTally(samples int) *tally {
	return &tally{samples: samples, actions: map[[2]risk.Action]int{}, reasons: map[string]*ReasonCount{}}
}

// add compares rec with the draft's decision again.
func (t *tally) add(r *Result, rec Recorded, again risk.Decision, sp risk.Spend) {
	before, after := rec.Decision.Action, again.Action
	t.actions[[2]risk.Action{before, after}]++
	added, removed := codeChanges(acting(rec.Decision), acting(again))
	for _, c := range added {
		t.reason(c).Added++
	}
	for _, c := range removed {
		t.reason(c).Removed++
	}
	if before == after {
		return
	}
	r.Changed++
	if r.ChangedByLabel == nil {
		r.ChangedByLabel = map[string]int{}
	}
	r.ChangedByLabel[rec.Label]++
	ch := Change{Entry: rec.Entry, ID: rec.Decision.ID, Number: risk.MaskNumber(rec.Decision.Number),
		Country: rec.Decision.NumberCountry, Before: before, After: after, Added: added, Removed: removed}
	cost := sp.Cost(rec.Decision.NumberCountry)
	switch {
	case before == risk.Allow:
		r.CallsAvoided++
		r.SpendAvoided += cost
		if rec.Label == labelLegit {
			t.sample(&r.LegitRefused, ch)
		}
	case after == risk.Allow:
		r.CallsAdded++
		r.SpendAdded += cost
		if rec.Label == labelSpam {
			t.sample(&r.SpamAllowed, ch)
		}
	}
}

func (t *tally) reason(code string) *ReasonCount {
	rc := t.reasons[code]
	if rc == nil {
		rc = &ReasonCount{Code: code}
		t.reasons[code] = rc
	}
	return rc
}

func (t *tally) sample(c *Changes, ch Change) {
	c.Count++
	if len(c.Sample) < t.samples {
		c.Sample = append(c.Sample, ch)
	}
}

// finish sorts the counts into r: actions by count, reasons by how many
// decisions they changed.
func (t *tally) finish(r *Result) {
	for k, n := range t.actions {
		r.Actions = append(r.Actions, ActionCount{Before: k[0], After: k[1], Count: n})
	}
	slices.SortFunc(r.Actions, func(a, b ActionCount) int {
		return cmp.Or(b.Count-a.Count, cmp.Compare(a.Before, b.Before), cmp.Compare(a.After, b.After))
	})
	for _, rc := range t.reasons {
		r.Reasons = append(r.Reasons, *rc)
	}
	slices.SortFunc(r.Reasons, func(a, b ReasonCount) int {
		return cmp.Or((b.Added+b.Removed)-(a.Added+a.Removed), cmp.Compare(a.Code, b.Code))
	})
	if r.Actions == nil {
		r.Actions = []ActionCount{}
	}
	if r.Reasons == nil {
		r.Reasons = []ReasonCount{}
	}
}

// acting returns the codes of d's reasons that count: neither waived nor
// monitor only.
func acting(d risk.Decision) []string {
	var out []string
	for _, r := range d.Reasons {
		if !r.Waived && !r.Monitor {
			out = append(out, r.Code)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// codeChanges returns the codes of after not in before, and of before not
// in after; both are sorted.
func codeChanges(before, after []string) (added, removed []string) {
	for _, c := range after {
		if _, found := slices.BinarySearch(before, c); !found {
			added = append(added, c)
		}
	}
	for _, c := range before {
		if _, found := slices.BinarySearch(after, c); !found {
			removed = append(removed, c)
		}
	}
	return added, removed
}
