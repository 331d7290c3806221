package spike

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
)

func TestIsSpike(t *testing.T) {
	r := risk.SpikeRule{Floor: 10, Factor: 5}
	for _, c := range []struct {
		count    int64
		baseline float64
		want     bool
	}{
		{9, 0, false},    // under the floor, never seen
		{10, 0, true},    // the floor, never seen
		{10, 2, true},    // the floor and exactly 5 times the baseline
		{10, 2.1, false}, // under 5 times the baseline
		{100, 19.9, true},
		{100, 20.1, false},
	} {
		if got := IsSpike(r, c.count, c.baseline); got != c.want {
			t.Errorf("IsSpike(%d, %.1f): got %v, want %v", c.count, c.baseline, got, c.want)
		}
	}
	if IsSpike(risk.SpikeRule{Floor: 0, Factor: 1}, 1000, 0) {
		t.Error("floor 0: got a spike, want the dimension off")
	}
}

func TestBaseline(t *testing.T) {
	if got, want := Baseline(360, 5*time.Minute, 3*time.Hour), 10.0; got != want {
		t.Errorf("Baseline: got %v, want %v", got, want)
	}
}

func TestValues(t *testing.T) {
	d := risk.Decision{Number: "+12015550123", NumberCountry: "US", IP: netip.MustParseAddr("192.0.2.77")}
	got := Values(d)
	if got[Country] != "US" || got[Prefix] != "+1201555" || got[Network] != "192.0.2.0/24" {
		t.Errorf("Values: got %v", got)
	}
	got = Values(risk.Decision{Number: "+4420", IP: netip.MustParseAddr("2001:db8:1:2::1")})
	if got[Prefix] != "+4420" || got[Network] != "2001:db8:1::/48" {
		t.Errorf("Values, short number and IPv6: got %v", got)
	}
}

// fakeLists is a Lists whose calls are its fields.
type fakeLists struct {
	add    func(ctx context.Context, l risk.List, entries []risk.Entry) ([]risk.Entry, error)
	remove func(ctx context.Context, l risk.List, value string) error
	lookup func(ctx context.Context, l risk.List, value string) (risk.Entry, bool, error)
}

var _ Lists = fakeLists{}

func (f fakeLists) AddEntries(ctx context.Context, l risk.List, entries []risk.Entry) ([]risk.Entry, error) {
	return f.add(ctx, l, entries)
}

func (f fakeLists) RemoveEntry(ctx context.Context, l risk.List, value string) error {
	return f.remove(ctx, l, value)
}

func (f fakeLists) LookupEntry(ctx context.Context, l risk.List, value string) (risk.Entry, bool, error) {
	return f.lookup(ctx, l, value)
}

// memLists keeps entries in a map, keyed by list and value.
func memLists() (fakeLists, map[string]risk.Entry) {
	m := map[string]risk.Entry{}
	return fakeLists{
		add: func(_ context.Context, l risk.List, entries []risk.Entry) ([]risk.Entry, error) {
			for _, e := range entries {
				m[string(l)+" "+e.Value] = e
			}
			return entries, nil
		},
		remove: func(_ context.Context, l risk.List, value string) error { delete(m, string(l)+" "+value); return nil },
		lookup: func(_ context.Context, l risk.List, value string) (risk.Entry, bool, error) {
			e, ok := m[string(l)+" "+value]
			return e, ok, nil
		},
	}, m
}

// fixture is a detector on miniredis with a clock the test moves.
type fixture struct {
	rdb      *redis.Client
	now      time.Time
	settings risk.Spikes
	det      *Detector
	store    *Store
	entries  map[string]risk.Entry
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { rdb.Close() })
	f := &fixture{rdb: rdb, now: time.Date(2031, 5, 1, 12, 0, 30, 0, time.UTC), settings: risk.DefaultSpikes()}
	f.settings.Prefix = risk.SpikeRule{Floor: 10, Factor: 4}
	lists, entries := memLists()
	f.entries = entries
	f.store = NewStore(rdb, lists)
	f.store.now = func() time.Time { return f.now }
	det, err := NewDetector(DetectorOptions{
		Redis: rdb, Store: f.store, Settings: func() risk.Spikes { return f.settings },
		Interval: 10 * time.Millisecond, Now: func() time.Time { return f.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	f.det = det
	return f
}

// count records n decisions for number at at.
func (f *fixture) count(t *testing.T, number string, n int, at time.Time) {
	t.Helper()
	ctx := context.Background()
	_, err := f.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for range n {
			Count(ctx, p, risk.Decision{Number: number}, at, f.settings.Keep(), func(string) bool { return true })
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// check runs detection once, past the lock.
func (f *fixture) check(t *testing.T) []Alert {
	t.Helper()
	f.rdb.Del(context.Background(), lockKey)
	got, err := f.det.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestDetectFloorFactorBaseline(t *testing.T) {
	f := newFixture(t)
	f.settings.Horizon = risk.Duration(time.Hour)
	// A prefix with a steady hour before: 12 a window on average.
	for i := range 12 {
		f.count(t, "+4420790000", 12, f.now.Add(-5*time.Minute-time.Duration(i)*5*time.Minute))
	}
	f.count(t, "+4420790000", 40, f.now) // 40 < 4 x 12: no spike
	f.count(t, "+1201555000", 9, f.now)  // under the floor, never seen
	f.count(t, "+3312345000", 10, f.now) // the floor, never seen: a spike
	got := f.check(t)
	if len(got) != 1 || got[0].Value != "+3312345" || got[0].Dimension != Prefix || got[0].Count != 10 || got[0].Baseline != 0 {
		t.Fatalf("alerts: got %+v, want one for +3312345", got)
	}
	f.count(t, "+4420790000", 8, f.now) // 48 >= 4 x 12
	got = f.check(t)
	if len(got) != 1 || got[0].Value != "+4420790" || got[0].Count != 48 || got[0].Baseline != 12 {
		t.Fatalf("alerts: got %+v, want one for +4420790 at 48 vs 12", got)
	}
}

func TestDetectDedupAndCalm(t *testing.T) {
	f := newFixture(t)
	f.count(t, "+3312345000", 20, f.now)
	if got := f.check(t); len(got) != 1 {
		t.Fatalf("first check: got %d alerts, want 1", len(got))
	}
	if got := f.check(t); len(got) != 0 {
		t.Fatalf("same spike again: got %d alerts, want 0", len(got))
	}
	f.now = f.now.Add(6 * time.Minute) // out of the window: calm
	if got := f.check(t); len(got) != 0 {
		t.Fatalf("calm: got %d alerts, want 0", len(got))
	}
	f.count(t, "+3312345000", 200, f.now) // 200 >= 4 x (20 x 5m / 3h)
	if got := f.check(t); len(got) != 1 {
		t.Fatalf("after calming down, a new spike: got %d alerts, want 1", len(got))
	}
	recent, err := f.store.Recent(context.Background(), 10)
	if err != nil || len(recent) != 2 {
		t.Fatalf("Recent: got %d alerts, %v; want 2", len(recent), err)
	}
}

func TestDetectLock(t *testing.T) {
	f := newFixture(t)
	f.det.o.Interval = time.Minute
	f.count(t, "+3312345000", 20, f.now)
	other, err := NewDetector(DetectorOptions{Redis: f.rdb, Store: f.store, Settings: func() risk.Spikes { return f.settings }, Interval: time.Minute, Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.det.Check(context.Background())
	if err != nil || len(got) != 1 {
		t.Fatalf("first instance: got %d alerts, %v; want 1", len(got), err)
	}
	if _, err := other.Check(context.Background()); !errors.Is(err, ErrLocked) {
		t.Fatalf("second instance in the same interval: got %v, want ErrLocked", err)
	}
	if _, err := f.det.Check(context.Background()); !errors.Is(err, ErrLocked) {
		t.Fatalf("first instance again in the same interval: got %v, want ErrLocked", err)
	}
	if ttl := f.rdb.PTTL(context.Background(), lockKey).Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("lock TTL: got %s, want within the interval", ttl)
	}
}

func TestAutoBlockModes(t *testing.T) {
	for _, c := range []struct {
		mode   risk.BlockMode
		action string
		listed bool
	}{{risk.BlockOff, ActionNone, false}, {risk.BlockMonitor, ActionWouldBlock, false}, {risk.BlockOn, ActionBlocked, true}} {
		t.Run(string(c.mode), func(t *testing.T) {
			f := newFixture(t)
			f.settings.AutoBlock = c.mode
			f.count(t, "+3312345000", 20, f.now)
			got := f.check(t)
			if len(got) != 1 || got[0].Action != c.action {
				t.Fatalf("alerts: got %+v, want one with action %s", got, c.action)
			}
			e, listed := f.entries["deny_prefix +3312345"]
			if listed != c.listed {
				t.Fatalf("deny entry: got %v, want %v", listed, c.listed)
			}
			if listed && (e.Author != Author || !e.Expires.Equal(f.now.Add(time.Hour)) || e.Reason != got[0].Reason()) {
				t.Errorf("deny entry: got %+v", e)
			}
		})
	}
}

func TestAutoBlockRenewsAndLift(t *testing.T) {
	f := newFixture(t)
	f.settings.AutoBlock = risk.BlockOn
	f.settings.BlockFor = risk.Duration(2 * time.Minute)
	f.count(t, "+3312345000", 20, f.now)
	first := f.check(t)
	if len(first) != 1 {
		t.Fatalf("got %d alerts, want 1", len(first))
	}
	// The spike lasts past its block: it is blocked again, once.
	f.now = f.now.Add(3 * time.Minute)
	f.count(t, "+3312345000", 20, f.now)
	again := f.check(t)
	if len(again) != 1 || again[0].Action != ActionBlocked {
		t.Fatalf("block ended, spike on: got %+v, want a new block", again)
	}
	a, en, err := f.store.Lift(context.Background(), again[0].ID, "ann")
	if err != nil || en.Value != "+3312345" || a.Lifted == "" {
		t.Fatalf("Lift: got %+v %+v %v", a, en, err)
	}
	if _, ok := f.entries["deny_prefix +3312345"]; ok {
		t.Error("lifted: the deny entry is still there")
	}
	if _, _, err := f.store.Lift(context.Background(), again[0].ID, "ann"); !errors.Is(err, ErrNothingToLift) {
		t.Errorf("lifting twice: got %v, want ErrNothingToLift", err)
	}
	if _, _, err := f.store.Lift(context.Background(), "nope", "ann"); !errors.Is(err, ErrUnknownAlert) {
		t.Errorf("unknown alert: got %v, want ErrUnknownAlert", err)
	}
	f.now = f.now.Add(5 * time.Minute)
	f.count(t, "+3312345000", 20, f.now)
	if got := f.check(t); len(got) != 0 {
		t.Fatalf("lifted, spike on: got %+v, want no new block", got)
	}
}

func TestAutoBlockKeepsLastingEntry(t *testing.T) {
	f := newFixture(t)
	f.settings.AutoBlock = risk.BlockOn
	f.entries["deny_prefix +3312345"] = risk.Entry{Value: "+3312345", Author: "ann", Reason: "manual"}
	f.count(t, "+3312345000", 20, f.now)
	got := f.check(t)
	if len(got) != 1 || got[0].Action != ActionAlreadyListed {
		t.Fatalf("got %+v, want already_listed", got)
	}
	if e := f.entries["deny_prefix +3312345"]; e.Author != "ann" || !e.Expires.IsZero() {
		t.Errorf("manual entry changed: %+v", e)
	}
}
