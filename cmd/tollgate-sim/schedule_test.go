package main

import (
	"cmp"
	"math"
	"reflect"
	"slices"
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

// TestPaces: both paces of a family send the same requests and the legit
// visitors at the same times; paced spreads the attack over the run a tick
// or more apart, flood packs it into its bursts at the burst rate.
func TestPaces(t *testing.T) {
	const n, rate = 400, 8
	for _, v := range []variant{tune, eval} {
		all := boundScenarios(t, v)
		for _, f := range families {
			p, fl := scenarioNamed(t, all, f.name+"/paced"), scenarioNamed(t, all, f.name+"/flood")
			seed := scenarioSeed(7, f.name)
			pr, fr := traffic(p, seed, n, rate), traffic(fl, seed, n, rate)
			if got, want := content(fr), content(pr); !reflect.DeepEqual(got, want) {
				t.Errorf("%s (%s): the paces send different requests", f.name, v)
			}
			if got, want := legitTimes(fr), legitTimes(pr); !reflect.DeepEqual(got, want) {
				t.Errorf("%s (%s): legit visitors arrive at other times under flood", f.name, v)
			}
			checkPaced(t, f.name+"/paced ("+string(v)+")", pr, rate)
			checkFlood(t, f.name+"/flood ("+string(v)+")", fr, fl, rate)
		}
	}
}

// checkPaced: attack requests a tick or more apart, in every fifth of the run.
func checkPaced(t *testing.T, name string, reqs []request, rate float64) {
	t.Helper()
	tick := time.Duration(float64(time.Second) / rate)
	run := reqs[len(reqs)-1].at
	var fifths [5]int
	var last time.Duration = -tick
	for _, r := range reqs {
		if !r.attack {
			continue
		}
		if r.burst != 0 || r.at-last < tick-time.Microsecond {
			t.Fatalf("%s: attack request at %s, %s after the last, in burst %d; want a tick (%s) apart, in none", name, r.at, r.at-last, r.burst, tick)
		}
		last = r.at
		fifths[min(4, int(5*r.at/(run+1)))]++
	}
	if slices.Contains(fifths[:], 0) {
		t.Errorf("%s: attack requests by fifth of the run %v, want some in each", name, fifths)
	}
}

// checkFlood: every attack request in one of s.bursts bursts, each at the
// burst rate from its start, the bursts a small part of the run.
func checkFlood(t *testing.T, name string, reqs []request, s scenario, rate float64) {
	t.Helper()
	if s.burstRate < 60 || s.burstRate > 150 || s.burstRate > maxRate || s.bursts < 1 {
		t.Fatalf("%s: %d bursts at %v a second, want at least 1 at 60 to 150", name, s.bursts, s.burstRate)
	}
	byBurst := map[int][]request{}
	attacks := 0
	for _, r := range reqs {
		if r.attack {
			attacks++
			byBurst[r.burst] = append(byBurst[r.burst], r)
		}
	}
	if len(byBurst[0]) > 0 || len(byBurst) != min(s.bursts, attacks) {
		t.Fatalf("%s: attack requests by burst %d, %d outside any; want %d bursts", name, len(byBurst), len(byBurst[0]), s.bursts)
	}
	var busy time.Duration
	for b, rs := range byBurst {
		for i, r := range rs {
			want := rs[0].at + time.Duration(float64(i)*float64(time.Second)/s.burstRate)
			if (r.at-want).Abs() > time.Microsecond || r.concurrent {
				t.Fatalf("%s: burst %d request %d at %s, want %s (%v a second)", name, b, i, r.at, want, s.burstRate)
			}
		}
		busy += rs[len(rs)-1].at - rs[0].at
	}
	if run := time.Duration(float64(len(reqs)) / rate * float64(time.Second)); busy > run/10 {
		t.Errorf("%s: bursts last %s of a %s run, want at most a tenth", name, busy, run)
	}
}

func scenarioNamed(t *testing.T, all []scenario, name string) scenario {
	t.Helper()
	for _, s := range all {
		if s.name == name {
			return s
		}
	}
	t.Fatalf("no scenario %s", name)
	return scenario{}
}

// content returns reqs without their times and burst labels, in a fixed
// order.
func content(reqs []request) []request {
	out := make([]request, len(reqs))
	for i, r := range reqs {
		r.at, r.burst = 0, 0
		out[i] = r
	}
	slices.SortStableFunc(out, func(a, b request) int {
		if a.ip != b.ip {
			return a.ip.Compare(b.ip)
		}
		return cmp.Compare(a.phone, b.phone)
	})
	return out
}

// legitTimes returns the times of the legit requests, in order.
func legitTimes(reqs []request) []time.Duration {
	var out []time.Duration
	for _, r := range reqs {
		if !r.attack {
			out = append(out, r.at)
		}
	}
	return out
}
