package spike

import (
	"time"

	"github.com/tollgate/tollgate/risk"
)

// rule returns the rule of dimension d in s.
func rule(s risk.Spikes, d Dimension) risk.SpikeRule {
	switch d {
	case Country:
		return s.Country
	case Prefix:
		return s.Prefix
	case Network:
		return s.Network
	}
	return risk.SpikeRule{}
}

// IsSpike reports whether count, over one detection window, is a spike
// for r against baseline, the average count per window before it: at
// least the floor and at least factor times the baseline. A rule with
// floor 0 finds none.
func IsSpike(r risk.SpikeRule, count int64, baseline float64) bool {
	return r.Floor > 0 && count >= int64(r.Floor) && float64(count) >= r.Factor*baseline
}

// Baseline is the average count per window of length window over a
// horizon whose total count was total.
func Baseline(total int64, window, horizon time.Duration) float64 {
	if horizon <= 0 {
		return 0
	}
	return float64(total) * float64(window) / float64(horizon)
}

// span is a run of Unix minutes, from first to last inclusive.
type span struct{ first, last int64 }

// spans returns the detection window ending with now's minute and the
// baseline horizon right before it.
func spans(s risk.Spikes, now time.Time) (window, horizon span) {
	cur := unixMinute(now)
	w := int64(time.Duration(s.Window) / time.Minute)
	h := int64(time.Duration(s.Horizon) / time.Minute)
	window = span{cur - w + 1, cur}
	horizon = span{window.first - h, window.first - 1}
	return window, horizon
}

// keys are the minute keys of sp.
func (sp span) keys() []string {
	out := make([]string, 0, sp.last-sp.first+1)
	for m := sp.first; m <= sp.last; m++ {
		out = append(out, minuteKey(m))
	}
	return out
}
