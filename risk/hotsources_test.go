package risk

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk/geo"
)

// TestRefusedSourceTakesNothing reads the decision's pipeline: a request
// its own source refuses (a Tor exit, then an address past its own
// critical threshold) takes no lock, reserves no budget and writes nothing
// to the shared counters; a clean one does all three.
func TestRefusedSourceTakesNothing(t *testing.T) {
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer rdb.Close()
	db, err := geo.Demo()
	if err != nil {
		t.Fatal(err)
	}
	s := DefaultSettings()
	s.Spend.DailyBudget = 100000
	e, err := NewEngine(Options{Redis: rdb, GeoIP: db, DefaultRegion: "US", Settings: &s})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	h := &pipelineNames{}
	rdb.AddHook(h)
	ctx := context.Background()
	writes := func(ip, phone string) (set, eval, pfadd int) {
		t.Helper()
		h.pipelines = nil
		if _, err := e.Evaluate(ctx, Request{Phone: phone, IP: netip.MustParseAddr(ip)}); err != nil {
			t.Fatal(err)
		}
		p := h.pipelines[0]
		return countNames(p, "set"), countNames(p, "eval") + countNames(p, "evalsha"), countNames(p, "pfadd")
	}
	if l, r, w := writes("192.0.2.10", "+12015550123"); l != 1 || r != 1 || w == 0 {
		t.Errorf("a clean request: %d SET NX, %d reservations, %d PFADD; want 1, 1 and some", l, r, w)
	}
	if l, r, w := writes("203.0.113.7", "+12015550124"); l != 0 || r != 0 || w != 0 {
		t.Errorf("a request from a Tor exit: %d SET NX, %d reservations, %d PFADD; want none", l, r, w)
	}
	for i := range 8 {
		writes("192.0.2.20", fmt.Sprintf("+447400%06d", 300000+i))
	}
	if l, r, w := writes("192.0.2.20", "+12015550125"); l != 0 || r != 0 || w != 0 {
		t.Errorf("a request from an address past its limits: %d SET NX, %d reservations, %d PFADD; want none", l, r, w)
	}
}
