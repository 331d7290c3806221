package risk

import (
	"fmt"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// TestDistinctCountsTheWindowAndStaysBounded adds many members to one
// distinct-count set: the count reads only the window whether or not a
// trim ran, and the random trims keep the set near its cap.
func TestDistinctCountsTheWindowAndStaysBounded(t *testing.T) {
	ctx := t.Context()
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	t.Cleanup(func() { rdb.Close() })
	l := Limit{Window: Duration(time.Minute), Warning: 3, Critical: 5}
	add := func(member string, at time.Time) int64 {
		var c *redis.IntCmd
		if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			c = queueDistinct(ctx, p, "set", member, l, at)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return c.Val()
	}
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	const n = 2000
	for i := range n {
		// Past the cap, a trim keeps only the newest distinctCap.
		got, want := add(fmt.Sprint("m", i), t0.Add(time.Duration(i)*time.Millisecond)), int64(i+1)
		if got > want || got < min(want, int64(distinctCap(l))) {
			t.Fatalf("member %d: count %d, want %d, or at least the cap %d", i, got, want, distinctCap(l))
		}
	}
	// Missing a trim in 150 requests in a row has odds of (7/8)^150, about
	// two in a billion.
	if size := rdb.ZCard(ctx, "set").Val(); size > int64(distinctCap(l))+150 {
		t.Errorf("set holds %d members after %d adds, want near the cap %d", size, n, distinctCap(l))
	}
	later := t0.Add(n*time.Millisecond + time.Minute)
	if got := add("late", later); got != 1 {
		t.Errorf("count a window later: %d, want 1 (only the new member)", got)
	}
}
