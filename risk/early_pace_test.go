package risk

import (
	"net/netip"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// TestEarlyRefusalTakesAsLongAsAWholeDecision times a request the deny
// list refuses before counting, after a whole decision was timed at took:
// it must not answer sooner.
func TestEarlyRefusalTakesAsLongAsAWholeDecision(t *testing.T) {
	ctx := t.Context()
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	t.Cleanup(func() { rdb.Close() })
	e, err := NewEngine(Options{Redis: rdb, DefaultRegion: "US"})
	if err != nil {
		t.Fatal(err)
	}
	const listed = "+12015550123"
	if _, err := e.ListStore().AddEntry(ctx, DenyNumber, Entry{Value: listed}); err != nil {
		t.Fatal(err)
	}
	if err := e.ListStore().LoadMirror(ctx); err != nil {
		t.Fatal(err)
	}
	const took = 40 * time.Millisecond
	e.paces.observe(paceBucket(1), took)
	start := time.Now()
	d, err := e.Evaluate(ctx, Request{Phone: listed, IP: netip.MustParseAddr("192.0.2.10")})
	elapsed := time.Since(start)
	if err != nil || d.Action != Block {
		t.Fatalf("got %s, %v; want block", d.Action, err)
	}
	if elapsed < took {
		t.Errorf("refused before counting in %s; want at least the %s a whole decision took", elapsed, took)
	}
}

// TestPacesDrawFromDecisionsAsBusy checks that an early refusal made alone
// draws only from whole decisions made alone, however slow a burst made
// the busier ones, and falls back to less busy ones.
func TestPacesDrawFromDecisionsAsBusy(t *testing.T) {
	var p paces
	if _, ok := p.draw(paceBucket(1)); ok {
		t.Fatal("drew from no decisions")
	}
	p.observe(paceBucket(40), 20*time.Millisecond)
	if _, ok := p.draw(paceBucket(1)); ok {
		t.Error("a decision made alone drew from a burst's")
	}
	p.observe(paceBucket(1), time.Millisecond)
	for range 100 {
		if took, _ := p.draw(paceBucket(1)); took != time.Millisecond {
			t.Fatalf("alone: drew %s, want the 1ms of the decision made alone", took)
		}
		if took, _ := p.draw(paceBucket(5)); took != time.Millisecond {
			t.Fatalf("5 in flight: drew %s, want the nearest less busy bucket's 1ms", took)
		}
	}
	if took, _ := p.draw(paceBucket(40)); took != 20*time.Millisecond {
		t.Errorf("40 in flight: drew %s, want the burst's 20ms", took)
	}
	for busy, want := range map[int32]int{0: 0, 1: 0, 2: 1, 3: 1, 4: 2, 15: 3, 16: 4, 1000: 4} {
		if got := paceBucket(busy); got != want {
			t.Errorf("paceBucket(%d) = %d, want %d", busy, got, want)
		}
	}
}
