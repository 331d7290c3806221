package dispatch

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// statsNow is the clock of the stats tests: 10:30 UTC.
var statsNow = time.Date(2031, 5, 6, 10, 30, 0, 0, time.UTC)

// statsQueue returns a queue on rdb whose clock reads statsNow.
func statsQueue(t *testing.T, rdb redis.UniversalClient) *Queue {
	t.Helper()
	q, err := NewQueue(QueueOptions{Redis: rdb, Dialer: &fakeDialer{}})
	if err != nil {
		t.Fatal(err)
	}
	q.now = func() time.Time { return statsNow }
	return q
}

// decide records a decision without a call.
func decide(t *testing.T, q *Queue, id string, a risk.Action, at time.Time, number, ip string) {
	t.Helper()
	d := risk.Decision{
		ID: id, Action: a, At: at, Number: number, NumberCountry: "GB", IPCountry: "NL",
		IP: netip.MustParseAddr(ip),
	}
	if err := q.Record(t.Context(), d, nil); err != nil {
		t.Fatal(err)
	}
}

func TestQueueStats(t *testing.T) {
	for _, b := range redistest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			rdb := b.Start(t)
			q := statsQueue(t, rdb)
			decide(t, q, "a1", risk.Allow, statsNow, "+447700900001", "192.0.2.1")
			decide(t, q, "a2", risk.Allow, statsNow.Add(-time.Hour), "+447700900002", "192.0.2.1")
			decide(t, q, "d1", risk.Deflect, statsNow, "+447700900003", "192.0.2.9")
			decide(t, q, "b1", risk.Block, statsNow, "+447700900003", "192.0.2.9")
			decide(t, q, "b2", risk.Block, statsNow.AddDate(0, 0, -3), "+33612345678", "198.51.100.7")
			decide(t, q, "old", risk.Block, statsNow.AddDate(0, 0, -9), "+33612345678", "198.51.100.7")

			st, err := q.DecisionLog().Stats(t.Context(), statsNow, 1, 10)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(st.Hours), 24; got != want {
				t.Fatalf("hours: got %d, want %d", got, want)
			}
			if got, want := st.Hours[23], (Bucket{Start: statsNow.Truncate(time.Hour), Allow: 1, Deflect: 1, Block: 1}); got != want {
				t.Errorf("this hour: got %+v, want %+v", got, want)
			}
			if got, want := st.Hours[22].Allow, int64(1); got != want {
				t.Errorf("last hour allowed: got %d, want %d", got, want)
			}
			if got, want := st.Days[6], (Bucket{Start: time.Date(2031, 5, 6, 0, 0, 0, 0, time.UTC), Allow: 2, Deflect: 1, Block: 1}); got != want {
				t.Errorf("today: got %+v, want %+v", got, want)
			}
			if got, want := st.Days[3].Block, int64(1); got != want {
				t.Errorf("three days ago blocked: got %d, want %d", got, want)
			}
			if got, want := st.Top.Numbers, []Ranked{{"+447700900003", 2}}; !slices.Equal(got, want) {
				t.Errorf("top numbers today: got %v, want %v", got, want)
			}
			if got, want := st.Top.Prefixes, []Ranked{{"+44770", 2}}; !slices.Equal(got, want) {
				t.Errorf("top prefixes today: got %v, want %v", got, want)
			}

			st, err = q.DecisionLog().Stats(t.Context(), statsNow, 7, 10)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := st.Top.IPs, []Ranked{{"192.0.2.9", 2}, {"198.51.100.7", 1}}; !slices.Equal(got, want) {
				t.Errorf("top IPs over 7 days: got %v, want %v", got, want)
			}
			if got, want := st.Top.IPCountries, []Ranked{{"NL", 3}}; !slices.Equal(got, want) {
				t.Errorf("top IP countries over 7 days: got %v, want %v", got, want)
			}
			if got, want := st.RefusedByCountry["GB"], int64(3); got != want {
				t.Errorf("refused to GB over 7 days: got %d, want %d", got, want)
			}

			for _, k := range redistest.Keys(t, rdb) {
				if !strings.HasPrefix(k, "tg:{calls}:stats:") {
					continue
				}
				if ttl, err := rdb.PTTL(t.Context(), k).Result(); err != nil || ttl <= 0 || ttl > statsKeep {
					t.Errorf("PTTL %s: got %v, %v; want an expiry within %s", k, ttl, err, statsKeep)
				}
				if k == unionKey {
					t.Errorf("%s left behind by Stats", k)
				}
			}
		})
	}
}

// TestQueueStatsRefusesOtherSpans checks arguments before Redis is asked:
// one backend is enough.
func TestQueueStatsRefusesOtherSpans(t *testing.T) {
	q := statsQueue(t, redistest.Lease(t, redistest.BackendServer))
	if _, err := q.DecisionLog().Stats(t.Context(), statsNow, 3, 10); err == nil {
		t.Error("Stats over 3 days: got no error, want one")
	}
}

func TestQueueStatsTopSetsStayBounded(t *testing.T) {
	redistest.Each(t, testQueueStatsTopSetsStayBounded)
}

func testQueueStatsTopSetsStayBounded(t *testing.T, rdb redis.UniversalClient) {
	q := statsQueue(t, rdb)
	const n = topKeep + 20*topTrimEvery
	for i := range n {
		ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		decide(t, q, fmt.Sprintf("b%05d", i), risk.Block, statsNow, "+447700900003", ip)
	}
	got := rdb.ZCard(t.Context(), statsTopKey(topIP, statsNow)).Val()
	if got >= n || got < topKeep {
		t.Errorf("IPs kept: got %d of %d, want between %d and fewer than %d", got, n, topKeep, n)
	}
	st, err := q.DecisionLog().Stats(t.Context(), statsNow, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := st.Top.Numbers, []Ranked{{"+447700900003", n}}; !slices.Equal(got, want) {
		t.Errorf("top numbers: got %v, want %v", got, want)
	}
}

func TestQueueCountsPlacedCalls(t *testing.T) {
	redistest.Each(t, testQueueCountsPlacedCalls)
}

func testQueueCountsPlacedCalls(t *testing.T, rdb redis.UniversalClient) {
	h := newHarness(t, rdb, &fakeDialer{}, QueueOptions{})
	h.run(t)
	h.submit(t, "p1", "+447700900123", "GB")
	h.submit(t, "p2", "+447700900124", "GB")
	eventually(t, "2 releases", func() bool { return len(h.releases()) == 2 })
	st, err := h.q.DecisionLog().Stats(t.Context(), time.Now(), 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := st.Days[6].Placed, int64(2); got != want {
		t.Errorf("placed today: got %d, want %d", got, want)
	}
	if got, want := st.Days[6].Allow, int64(2); got != want {
		t.Errorf("allowed today: got %d, want %d", got, want)
	}
}
