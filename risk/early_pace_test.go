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
	e.paces.observe(took)
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
