package main

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"time"
)

// A run lasts one compressed day. Its length is the requests it draws at
// -rate, counting a burst as one request, so -rate stays the mean. Legit
// visitors arrive on the daily curve below; the attack keeps its own pace:
// one request every 1/-rate seconds where it was drawn among the visitors
// (paced, and the scenarios of one pace), or packed into a few bursts at a
// high rate (flood).

// dayPoints is the legit arrival rate through a day, by hour, relative to
// the day's mean before normalising (dayLevel): a night trough, a morning
// rise, a peak at midday and another in the early evening. The rate between
// two points is linear.
var dayPoints = [...]struct{ hour, level float64 }{
	{0, 0.35}, {3, 0.22}, {4.5, 0.2}, {6, 0.3}, {8, 0.7}, {10, 1.2},
	{12.5, 2.0}, {15, 1.28}, {18.5, 2.0}, {21, 1.03}, {23, 0.5}, {24, 0.35},
}

// dayArea returns the integral of dayPoints from midnight to hour h.
func dayArea(h float64) float64 {
	var sum float64
	for i := 1; i < len(dayPoints); i++ {
		a, b := dayPoints[i-1], dayPoints[i]
		if h <= a.hour {
			break
		}
		end := min(h, b.hour)
		slope := (b.level - a.level) / (b.hour - a.hour)
		d := end - a.hour
		sum += d*a.level + slope*d*d/2
	}
	return sum
}

// dayLevel returns the legit arrival rate at x, the share of the day gone
// (0 to 1), relative to the day's mean.
func dayLevel(x float64) float64 {
	h := 24 * min(max(x, 0), 1)
	for i := 1; i < len(dayPoints); i++ {
		a, b := dayPoints[i-1], dayPoints[i]
		if h <= b.hour {
			raw := a.level + (b.level-a.level)*(h-a.hour)/(b.hour-a.hour)
			return raw * 24 / dayArea(24)
		}
	}
	return dayPoints[len(dayPoints)-1].level * 24 / dayArea(24)
}

// dayCumulative returns the share of a day's legit arrivals before x, the
// share of the day gone.
func dayCumulative(x float64) float64 {
	return dayArea(24*min(max(x, 0), 1)) / dayArea(24)
}

// dayQuantile returns the share of the day gone when the share u of its
// legit arrivals has arrived: dayCumulative's inverse.
func dayQuantile(u float64) float64 {
	lo, hi := 0.0, 1.0
	for range 60 {
		mid := (lo + hi) / 2
		if dayCumulative(mid) < u {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// traffic returns the requests of scenario s, n of them drawn from seed,
// each with its time at rate requests a second on average, in the order
// they are sent.
func traffic(s scenario, seed uint64, n int, rate float64) []request {
	return schedule(s, draws(s, seed, n), rate, seed)
}

// ticks is how many -rate ticks a group takes: one for a burst, one a
// request otherwise.
func (gr group) ticks() int {
	if len(gr.reqs) > 0 && gr.reqs[0].burst != 0 {
		return 1
	}
	return len(gr.reqs)
}

// offset returns when the group's request j goes after its first, in
// seconds: a tick apart, or a burst's own spacing.
func (gr group) offset(j int, tick, burstRate float64) float64 {
	switch r := gr.reqs[j]; {
	case r.burst == 0:
		return float64(j) * tick
	case r.concurrent:
		return 0
	default:
		return float64(j) / cmp.Or(burstRate, 1/tick)
	}
}

// schedule gives every request of groups its time and returns them in that
// order. Legit visitors' arrivals follow the daily curve, each a stratum of
// it with a jitter from seed; the attack goes at its tick, or in s.bursts
// flood bursts at s.burstRate.
func schedule(s scenario, groups []group, rate float64, seed uint64) []request {
	tick := 1 / rate
	starts := make([]int, len(groups))
	ticks, legit := 0, 0
	for i, gr := range groups {
		starts[i] = ticks
		ticks += gr.ticks()
		if gr.legit {
			legit++
		}
	}
	run := float64(ticks) * tick
	type timed struct {
		at       float64
		group, j int
		req      request
	}
	var out []timed
	var flooded []request
	jitter := rand.New(rand.NewPCG(seed, 0x1e617))
	k := 0
	for i, gr := range groups {
		var at float64
		switch {
		case gr.legit:
			at = run * dayQuantile((float64(k)+jitter.Float64())/float64(legit))
			k++
		case s.pace == flood:
			flooded = append(flooded, gr.reqs...)
			continue
		default:
			at = float64(starts[i]) * tick
		}
		for j, r := range gr.reqs {
			out = append(out, timed{at + gr.offset(j, tick, s.burstRate), i, j, r})
		}
	}
	for j, at := range floodTimes(len(flooded), s.bursts, s.burstRate, run, seed) {
		out = append(out, timed{at, len(groups), j, flooded[j]})
		out[len(out)-1].req.burst = burstOf(j, len(flooded), s.bursts)
	}
	slices.SortStableFunc(out, func(a, b timed) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.group, b.group), cmp.Compare(a.j, b.j))
	})
	reqs := make([]request, len(out))
	for i, t := range out {
		reqs[i] = t.req
		reqs[i].at = time.Duration(t.at * float64(time.Second))
	}
	return reqs
}

// burstOf returns the flood burst (from 1) that attack request j of n goes
// in: the n requests split in order into bursts of as equal sizes as can be.
func burstOf(j, n, bursts int) int {
	bursts = max(1, min(bursts, n))
	return j*bursts/n + 1
}

// floodTimes returns the times of n attack requests packed into bursts at
// burstRate, in seconds: each burst starts at random (from seed) within its
// share of the run and ends inside it where it fits.
func floodTimes(n, bursts int, burstRate, run float64, seed uint64) []float64 {
	if n == 0 {
		return nil
	}
	r := rand.New(rand.NewPCG(seed, 0xf100d))
	bursts = max(1, min(bursts, n))
	segment := run / float64(bursts)
	out := make([]float64, n)
	for j := 0; j < n; {
		b := burstOf(j, n, bursts)
		size := 0
		for j+size < n && burstOf(j+size, n, bursts) == b {
			size++
		}
		length := float64(size-1) / burstRate
		start := float64(b-1)*segment + r.Float64()*max(0, segment-length)
		for k := range size {
			out[j+k] = start + float64(k)/burstRate
		}
		j += size
	}
	return out
}
