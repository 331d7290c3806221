package main

import (
	"math"
	"testing"
	"time"
)

// TestDayShape: the curve's mean is 1, its night trough about a fifth of
// it, its midday and early-evening peaks about twice it.
func TestDayShape(t *testing.T) {
	const steps = 24 * 60
	var sum float64
	lowest, midday, evening := math.Inf(1), 0.0, 0.0
	for i := range steps {
		x := (float64(i) + 0.5) / steps
		level := dayLevel(x)
		sum += level
		switch h := 24 * x; {
		case h < 6:
			lowest = min(lowest, level)
		case h >= 11 && h < 14:
			midday = max(midday, level)
		case h >= 17 && h < 20:
			evening = max(evening, level)
		}
	}
	if mean := sum / steps; math.Abs(mean-1) > 1e-3 {
		t.Errorf("mean level %.4f, want 1", mean)
	}
	if lowest < 0.15 || lowest > 0.25 {
		t.Errorf("night trough %.3f, want about 0.2", lowest)
	}
	for name, peak := range map[string]float64{"midday": midday, "early evening": evening} {
		if peak < 1.8 || peak > 2.2 {
			t.Errorf("%s peak %.3f, want about 2", name, peak)
		}
	}
	for _, u := range []float64{0, 0.1, 0.5, 0.9, 1} {
		if got := dayCumulative(dayQuantile(u)); math.Abs(got-u) > 1e-9 {
			t.Errorf("dayCumulative(dayQuantile(%v)) = %v", u, got)
		}
	}
}

// TestLegitArrivalsFollowTheDay: legit visitors arrive at -rate on average,
// at about a fifth of it in the night and twice it at the peaks.
func TestLegitArrivalsFollowTheDay(t *testing.T) {
	const n, rate = 6000, 8
	reqs := traffic(mustScenario(t, "legit"), 7, n, rate)
	run := time.Duration(float64(n) / rate * float64(time.Second))
	if last := reqs[len(reqs)-1].at; last > run || last < run-5*time.Second {
		t.Fatalf("last request at %s, want just before %s (%d requests at %d a second)", last, run, n, rate)
	}
	// rateBetween is the arrival rate between two hours of the compressed day.
	rateBetween := func(from, to float64) float64 {
		lo, hi := time.Duration(float64(run)*from/24), time.Duration(float64(run)*to/24)
		in := 0
		for _, r := range reqs {
			if r.at >= lo && r.at < hi {
				in++
			}
		}
		return float64(in) / (hi - lo).Seconds()
	}
	if got := rateBetween(0, 24); math.Abs(got-rate) > 0.01 {
		t.Errorf("mean rate %.2f a second, want %d", got, rate)
	}
	if got := rateBetween(3.5, 5); got < 0.15*rate || got > 0.3*rate {
		t.Errorf("night rate %.2f a second, want about a fifth of %d", got, rate)
	}
	for _, h := range []float64{12, 18} {
		if got := rateBetween(h, h+1); got < 1.7*rate || got > 2.2*rate {
			t.Errorf("rate from %v h %.2f a second, want about twice %d", h, got, rate)
		}
	}
}
