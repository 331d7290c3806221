package risk

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

func countNames(names []string, name string) int {
	n := 0
	for _, s := range names {
		if s == name {
			n++
		}
	}
	return n
}

// TestBusyBucketsSkipPEXPIRE checks that a bucket counted again keeps the
// TTL it was given and is not sent PEXPIRE again, and that after the keys
// vanish (FLUSHALL) every re-created bucket gets its TTL back at once.
func TestBusyBucketsSkipPEXPIRE(t *testing.T) {
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer rdb.Close()
	now := time.Date(2026, 5, 4, 10, 30, 0, 0, time.UTC)
	e, err := NewEngine(Options{Redis: rdb, DefaultRegion: "US", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	h := &pipelineNames{}
	rdb.AddHook(h)
	ctx := context.Background()
	// Different numbers and addresses, one destination country: only the
	// country's three buckets are counted more than once.
	decide := func(i int) {
		t.Helper()
		ip := netip.AddrFrom4([4]byte{10, byte(i), 0, 1})
		if _, err := e.Evaluate(ctx, Request{Phone: fmt.Sprintf("+1201%d551234", 2+i), IP: ip}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		decide(i)
	}
	p := decisions(h)
	first, second, third := countNames(p[0], "pexpire"), countNames(p[1], "pexpire"), countNames(p[2], "pexpire")
	if second != first || third != first-3 {
		t.Errorf("PEXPIREs in three decisions: got %d, %d, %d, want %d, %d, %d", first, second, third, first, first, first-3)
	}
	countryKey := sourcesKey(countryTag("US"), 60_000, now.UnixMilli()/60_000)
	if ttl := m.TTL(countryKey); ttl != 2*time.Minute {
		t.Errorf("TTL of the country's minute bucket: got %v, want 2m", ttl)
	}

	m.FlushAll()
	decide(3)
	for _, k := range m.Keys() {
		if m.TTL(k) <= 0 {
			t.Errorf("key %s has no TTL after the buckets were re-created", k)
		}
	}
	if got, err := rdb.PFCount(ctx, countryKey).Result(); err != nil || got != 1 {
		t.Errorf("country's minute bucket after FLUSHALL: got %d, %v, want 1 source", got, err)
	}
	decide(4)
	decide(5)
	p = decisions(h)
	if got, want := countNames(p[len(p)-1], "pexpire"), first-3; got != want {
		t.Errorf("PEXPIREs once the country is busy again: got %d, want %d", got, want)
	}

	// A decision whose pipeline fails may have re-created a skipped bucket
	// unseen: the next one gives every bucket its TTL again.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.Evaluate(cancelled, Request{Phone: "+12019551234", IP: netip.AddrFrom4([4]byte{10, 9, 0, 1})}); err == nil {
		t.Fatal("Evaluate with a cancelled context: no error")
	}
	decide(6)
	p = decisions(h)
	if got := countNames(p[len(p)-1], "pexpire"); got != first {
		t.Errorf("PEXPIREs after a failed decision: got %d, want %d", got, first)
	}
}

// decisions are the pipelines that count: those with an INCR.
func decisions(h *pipelineNames) [][]string {
	var out [][]string
	for _, p := range h.pipelines {
		if countNames(p, "incr") > 0 {
			out = append(out, p)
		}
	}
	return out
}

func TestExpiringBounded(t *testing.T) {
	x := newExpiring(4)
	for i := range 10 {
		x.put(fmt.Sprint(i))
	}
	if n := len(x.cur) + len(x.old); n > 4 {
		t.Errorf("keys kept: got %d, want at most 4", n)
	}
	if !x.has("9") || x.has("0") {
		t.Errorf("has(9), has(0): got %v, %v, want true, false", x.has("9"), x.has("0"))
	}
	x.forget("9")
	if x.has("9") {
		t.Error("has(9) after forget: got true")
	}
}
