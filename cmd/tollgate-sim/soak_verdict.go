package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// soakSample is one reading taken during a soak.
type soakSample struct {
	// at is the time since the traffic started.
	at time.Duration
	// sent and errors count requests since the start; behind counts
	// requests the schedule dropped because every sender was busy.
	sent, errors, behind int64
	// heapInuse is go_memstats_heap_inuse_bytes, a sawtooth between
	// collections; liveHeap is the heap live after the last collection,
	// go_memstats_next_gc_bytes / (1 + go_gc_gogc_percent/100), the series
	// judged; goroutines is go_goroutines; queued counts the calls waiting
	// for a dialer (tollgate_queue_calls{state="queued"}). All come from
	// Tollgate's /metrics.
	heapInuse, liveHeap, goroutines, queued float64
	// redisUsed is INFO memory used_memory; keys is DBSIZE; persistent
	// counts keys without an expiry (INFO keyspace keys minus expires).
	redisUsed, keys, persistent int64
}

// persistentKey is a key without an expiry, with its size.
type persistentKey struct {
	name, kind string
	// bytes is MEMORY USAGE of the key; length its element count.
	bytes, length int64
}

// soakLimits say what the verdict tolerates.
type soakLimits struct {
	// warmup is left out of the comparison: connection pools, caches and
	// the first minute's counter windows fill during it.
	warmup time.Duration
	// tolerance is the relative growth allowed between the first and the
	// last third, e.g. 0.25.
	tolerance float64
}

// Absolute slack on top of the relative tolerance, for series whose values
// are small integers and wobble by a few.
const (
	goroutineSlack  = 4
	queuedSlack     = 5
	persistentSlack = 3
	// redisSlopeSlack is the growth per request (bytes) the last third may
	// add to the first third's without counting as acceleration.
	redisSlopeSlack = 64
)

// minSoakSamples is the fewest samples after the warm-up that can be cut
// into thirds worth comparing.
const minSoakSamples = 6

// soakVerdict judges the samples taken after the warm-up, cut into thirds,
// and the persistent keys read at the end of the warm-up (before) and at
// the end (after). It returns the problems, none for a pass.
//
// Flat means the last third's mean is at most the first third's times
// 1+tolerance (plus a few for small counts), for Tollgate's live heap (heap
// in use swings twofold between collections, so it is shown, not judged),
// its goroutines and the calls queued for a dialer. Redis memory is not
// expected to be flat during a soak of fresh visitors: every visitor's
// counters live until the day window ends (up to two days) and the decision
// log grows to its cap of about 100,000 entries, so used_memory rises with
// the requests until then and plateaus only after. What is checked instead:
// the growth per request does not accelerate (last third's at most the first
// third's times 1+tolerance, plus 64 bytes), the number of keys without an
// expiry stays put (counters must expire), and no key without an expiry
// grows except streams, which are capped (XADD with MAXLEN: the decision
// log, dead letters, audit log, alerts) or drained by the workers (the
// call queue, whose backlog the queued check watches).
func soakVerdict(samples []soakSample, before, after []persistentKey, lim soakLimits) []string {
	var problems []string
	fail := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	if len(samples) == 0 {
		return []string{"no samples"}
	}
	last := samples[len(samples)-1]
	if last.errors > 0 {
		fail("%d of %d requests failed", last.errors, last.sent)
	}
	if last.behind*100 > last.sent {
		fail("%d requests were dropped by the schedule (more than 1%%): the senders could not keep the rate", last.behind)
	}
	var steady []soakSample
	for _, s := range samples {
		if s.at >= lim.warmup {
			steady = append(steady, s)
		}
	}
	if len(steady) < minSoakSamples {
		fail("%d samples after the %s warm-up, want at least %d: run longer or sample more often", len(steady), lim.warmup, minSoakSamples)
		return problems
	}
	third := len(steady) / 3
	first, end := steady[:third], steady[len(steady)-third:]
	flat := func(what string, get func(soakSample) float64, slack float64) {
		a, b := mean(first, get), mean(end, get)
		if b > a*(1+lim.tolerance)+slack {
			fail("%s grew from a mean of %.4g in the first third to %.4g in the last (allowed: %.4g)", what, a, b, a*(1+lim.tolerance)+slack)
		}
	}
	flat("Tollgate live heap (bytes)", func(s soakSample) float64 { return s.liveHeap }, 0)
	flat("Tollgate goroutines", func(s soakSample) float64 { return s.goroutines }, goroutineSlack)
	flat("calls queued for a dialer", func(s soakSample) float64 { return s.queued }, queuedSlack)
	flat("Redis keys without an expiry", func(s soakSample) float64 { return float64(s.persistent) }, persistentSlack)
	a, b := perRequest(first), perRequest(end)
	if b > max(a, 0)*(1+lim.tolerance)+redisSlopeSlack {
		fail("Redis memory growth accelerated: %.0f bytes a request in the first third, %.0f in the last", a, b)
	}
	was := map[string]persistentKey{}
	for _, k := range before {
		was[k.name] = k
	}
	for _, k := range after {
		old, ok := was[k.name]
		switch {
		case k.kind == "stream":
		case !ok:
			fail("key %s (%s, %d bytes) without an expiry appeared during the soak", k.name, k.kind, k.bytes)
		case k.length > old.length && k.bytes > old.bytes:
			fail("key %s (%s) without an expiry grew from %d to %d elements", k.name, k.kind, old.length, k.length)
		}
	}
	return problems
}

func mean(samples []soakSample, get func(soakSample) float64) float64 {
	var sum float64
	for _, s := range samples {
		sum += get(s)
	}
	return sum / float64(len(samples))
}

// perRequest is the growth of Redis's used_memory per request sent across
// samples, first to last.
func perRequest(samples []soakSample) float64 {
	a, b := samples[0], samples[len(samples)-1]
	if b.sent == a.sent {
		return 0
	}
	return float64(b.redisUsed-a.redisUsed) / float64(b.sent-a.sent)
}

// writeSoakTable prints the samples as a Markdown table.
func writeSoakTable(w io.Writer, samples []soakSample) {
	fmt.Fprintln(w, "| t | requests | errors | heap in use MB | live heap MB | goroutines | calls queued | Redis used MB | Redis keys | keys without expiry |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, s := range samples {
		fmt.Fprintf(w, "| %s | %d | %d | %.1f | %.1f | %.0f | %.0f | %.1f | %d | %d |\n",
			s.at.Round(time.Second), s.sent, s.errors, s.heapInuse/(1<<20), s.liveHeap/(1<<20), s.goroutines, s.queued,
			float64(s.redisUsed)/(1<<20), s.keys, s.persistent)
	}
}

// writePersistentKeys prints the keys without an expiry found at the end.
func writePersistentKeys(w io.Writer, keys []persistentKey) {
	keys = slices.Clone(keys)
	slices.SortFunc(keys, func(a, b persistentKey) int { return strings.Compare(a.name, b.name) })
	fmt.Fprintf(w, "\nKeys without an expiry at the end (%d):\n\n", len(keys))
	for _, k := range keys {
		fmt.Fprintf(w, "- %s (%s, length %d, %d bytes)\n", k.name, k.kind, k.length, k.bytes)
	}
}
