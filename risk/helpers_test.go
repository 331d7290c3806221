package risk_test

// Helpers the engine's tests share: stores, engines, a decision and its
// checks.

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/geo"
)

// store gives each test a Redis with no data in it.
type store func(t *testing.T) redis.UniversalClient

func miniStore(t *testing.T) redis.UniversalClient {
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { c.Close() })
	return c
}

var (
	usIP   = netip.MustParseAddr("192.0.2.10")
	gbIP   = netip.MustParseAddr("198.51.100.20")
	torIP  = netip.MustParseAddr("203.0.113.7")
	deIP6  = netip.MustParseAddr("2001:db8::1")
	usNum  = "+12015550123"
	gbMob  = "+447400123456"
	gbPrem = "+449012345678"
	gbVoIP = "+445612345678"
)

func newEngine(t *testing.T, rdb redis.UniversalClient, mutate func(*risk.Settings)) *risk.Engine {
	t.Helper()
	e := newEngineUnmirrored(t, rdb, mutate)
	// Decisions use the lists' mirror, as a running instance's do.
	if err := e.ListStore().LoadMirror(t.Context()); err != nil {
		t.Fatal(err)
	}
	return e
}

// benchEngine is newEngine for a benchmark.
func benchEngine(b *testing.B, rdb redis.UniversalClient, mutate func(*risk.Settings)) *risk.Engine {
	b.Helper()
	e := newEngineUnmirrored(&testing.T{}, rdb, mutate)
	if err := e.ListStore().LoadMirror(context.Background()); err != nil {
		b.Fatal(err)
	}
	return e
}

// newEngineUnmirrored is newEngine without loading the lists' mirror: its
// decisions read the lists from Redis, as at start, or against a Redis
// that does not answer.
func newEngineUnmirrored(t *testing.T, rdb redis.UniversalClient, mutate func(*risk.Settings)) *risk.Engine {
	t.Helper()
	db, err := geo.Demo()
	if err != nil {
		t.Fatal(err)
	}
	s := risk.DefaultSettings()
	if mutate != nil {
		mutate(&s)
	}
	e, err := risk.NewEngine(risk.Options{Redis: rdb, GeoIP: db, DefaultRegion: "US", Settings: &s})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func eval(t *testing.T, e *risk.Engine, phone string, ip netip.Addr) risk.Decision {
	t.Helper()
	d, err := e.Evaluate(context.Background(), risk.Request{Phone: phone, IP: ip, UserAgent: "test"})
	if err != nil {
		t.Fatalf("Evaluate(%q, %s): %v", phone, ip, err)
	}
	return d
}

func wantAction(t *testing.T, d risk.Decision, want risk.Action, codes ...string) {
	t.Helper()
	if d.Action != want {
		t.Errorf("action: got %s, want %s (score %d, reasons %v)", d.Action, want, d.Score, d.Codes())
	}
	for _, c := range codes {
		if !d.Has(c) {
			t.Errorf("reasons: got %v, want %s among them", d.Codes(), c)
		}
	}
}

func add(t *testing.T, e *risk.Engine, l risk.List, value string) {
	t.Helper()
	if _, err := e.ListStore().AddEntry(context.Background(), l, risk.Entry{Value: value, Reason: "test", Author: "tester"}); err != nil {
		t.Fatalf("AddEntry(%s, %q): %v", l, value, err)
	}
}

func reason(d risk.Decision, code string) risk.Reason {
	i := slices.IndexFunc(d.Reasons, func(r risk.Reason) bool { return r.Code == code })
	if i < 0 {
		return risk.Reason{}
	}
	return d.Reasons[i]
}

// fillLists adds n deny numbers, n deny prefixes and n deny networks (n at
// most 100,000). The prefixes run from +1212200000 on, the networks are /30s
// in 10.0.0.0/8.
func fillLists(tb testing.TB, e *risk.Engine, n int) {
	tb.Helper()
	numbers := make([]risk.Entry, n)
	prefixes := make([]risk.Entry, n)
	nets := make([]risk.Entry, n)
	for i := range n {
		numbers[i] = risk.Entry{Value: fmt.Sprintf("+4420%08d", i), Reason: "bulk"}
		prefixes[i] = risk.Entry{Value: fmt.Sprintf("+1212%03d%03d", 200+i/1000, i%1000), Reason: "bulk"}
		nets[i] = risk.Entry{Value: fmt.Sprintf("10.%d.%d.%d/30", i>>14&255, i>>6&255, (i&63)<<2), Reason: "bulk"}
	}
	for l, entries := range map[risk.List][]risk.Entry{risk.DenyNumber: numbers, risk.DenyPrefix: prefixes, risk.DenyIP: nets} {
		if _, err := e.ListStore().AddEntries(context.Background(), l, entries); err != nil {
			tb.Fatalf("AddEntries(%s): %v", l, err)
		}
	}
}
