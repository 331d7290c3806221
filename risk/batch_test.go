package risk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk/redistest"
)

// batchStores are the three stores the batch script must work on: the
// embedded one (gopher-lua), a real Redis and a Cluster, where each hash tag
// is its own script call.
func batchStores(t *testing.T) map[string]redis.UniversalClient {
	m := miniredis.RunT(t)
	mini := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { mini.Close() })
	return map[string]redis.UniversalClient{
		"miniredis": mini,
		"redis":     redistest.NewServer(t).Client(),
		"cluster":   redistest.ClusterOf(t, 3).Client(),
	}
}

func TestBatchOperations(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1_699_999_200_000 + 15_000) // a quarter into a minute (and an hour) bucket
	minute := Limit{Window: Duration(time.Minute), Warning: 1, Critical: 2}
	hour := Limit{Window: Duration(time.Hour), Warning: 1, Critical: 2}
	distinctLimit := Limit{Window: Duration(time.Hour), Warning: 1, Critical: 2}
	for name, rdb := range batchStores(t) {
		t.Run(name, func(t *testing.T) {
			_, cluster := rdb.(*redis.ClusterClient)
			// The previous minute bucket holds 8: three quarters of it count.
			prevMinute := windowKey("{ip:x}", 60_000, now.UnixMilli()/60_000-1)
			if err := rdb.Set(ctx, prevMinute, 8, time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			if err := rdb.HSet(ctx, "tg:{lists}:h", "b", "B").Err(); err != nil {
				t.Fatal(err)
			}
			if err := rdb.Set(ctx, "tg:{n:1}:placed", "3", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			var c *counter
			var lock *redis.BoolCmd
			for range 2 {
				b := newBatch(cluster)
				c = b.counter("{ip:x}", []Limit{minute, hour}, now)
				lock = b.setNX("tg:{n:1}:lock", "id", 60_000)
				h := b.hmget("tg:{lists}:h", "a", "b")
				mg := b.mget("tg:{n:1}:placed", "tg:{n:1}:none")
				g := b.get("tg:{spend}:none")
				if err := b.run(ctx, rdb); err != nil {
					t.Fatal(err)
				}
				if got, want := h.Val(), []any{nil, "B"}; !slices.Equal(got, want) {
					t.Errorf("hmget: got %v, want %v", got, want)
				}
				if got, want := mg.Val(), []any{"3", nil}; !slices.Equal(got, want) {
					t.Errorf("mget: got %v, want %v", got, want)
				}
				if !errors.Is(g.Err(), redis.Nil) || g.Val() != "" {
					t.Errorf("get of a missing key: got %q, %v, want \"\", redis.Nil", g.Val(), g.Err())
				}
			}
			// Second request: 2 in the current minute + 8 * 0.75 of the last.
			if got, want := c.counts, []int64{8, 2}; !slices.Equal(got, want) {
				t.Errorf("counts: got %v, want %v", got, want)
			}
			if lock.Val() {
				t.Error("second SET NX of the lock: got true, want false")
			}
			cur := windowKey("{ip:x}", 60_000, now.UnixMilli()/60_000)
			if ttl := rdb.PTTL(ctx, cur).Val(); ttl <= time.Minute || ttl > 2*time.Minute {
				t.Errorf("TTL of the current bucket: got %v, want within (1m, 2m]", ttl)
			}
			if ttl := rdb.PTTL(ctx, "tg:{n:1}:lock").Val(); ttl <= 0 || ttl > time.Minute {
				t.Errorf("TTL of the lock: got %v, want within (0, 1m]", ttl)
			}

			// Distinct: members older than the window go, at most
			// distinctCap (64) of the newest stay.
			set := "tg:{n:1}:ips"
			old := now.Add(-2 * time.Hour).UnixMilli()
			if err := rdb.ZAdd(ctx, set, redis.Z{Score: float64(old), Member: "stale"}).Err(); err != nil {
				t.Fatal(err)
			}
			var n *redis.IntCmd
			for i := range 70 {
				b := newBatch(cluster)
				n = b.distinct(set, fmt.Sprint("m", i), distinctLimit, now.Add(time.Duration(i)*time.Millisecond))
				if err := b.run(ctx, rdb); err != nil {
					t.Fatal(err)
				}
				if i == 0 && n.Val() != 1 {
					t.Errorf("first distinct count: got %d, want 1 (the stale member dropped)", n.Val())
				}
			}
			if got, want := n.Val(), int64(distinctCap(distinctLimit)); got != want {
				t.Errorf("distinct count after 70 members: got %d, want %d", got, want)
			}
			if s, err := rdb.ZScore(ctx, set, "m69").Result(); err != nil || s != float64(now.UnixMilli()+69) {
				t.Errorf("newest member: got score %v, %v", s, err)
			}
			if err := rdb.ZScore(ctx, set, "m0").Err(); !errors.Is(err, redis.Nil) {
				t.Errorf("oldest member beyond the cap: got %v, want redis.Nil", err)
			}
			if ttl := rdb.PTTL(ctx, set).Val(); ttl <= 0 || ttl > time.Hour {
				t.Errorf("TTL of the distinct set: got %v, want within (0, 1h]", ttl)
			}
		})
	}
}

// TestBatchReloadsFlushedScript runs a batch after the script cache was
// flushed, as after a Redis restart: EVALSHA fails with NOSCRIPT and EVAL
// runs it.
func TestBatchReloadsFlushedScript(t *testing.T) {
	ctx := context.Background()
	for name, rdb := range batchStores(t) {
		t.Run(name, func(t *testing.T) {
			_, cluster := rdb.(*redis.ClusterClient)
			for i := range 2 {
				var err error
				if cl, ok := rdb.(*redis.ClusterClient); ok {
					err = cl.ForEachShard(ctx, func(ctx context.Context, c *redis.Client) error { return c.ScriptFlush(ctx).Err() })
				} else {
					err = rdb.ScriptFlush(ctx).Err()
				}
				if err != nil {
					t.Fatal(err)
				}
				b := newBatch(cluster)
				c := b.counter("{cc:US}", []Limit{{Window: Duration(time.Minute)}}, time.Now())
				lock := b.setNX("tg:{n:2}:lock", "id", 1000)
				if err := b.run(ctx, rdb); err != nil {
					t.Fatalf("run %d after SCRIPT FLUSH: %v", i+1, err)
				}
				if got, want := c.counts[0], int64(i+1); got != want {
					t.Errorf("run %d: count got %d, want %d", i+1, got, want)
				}
				if got, want := lock.Val(), i == 0; got != want {
					t.Errorf("run %d: lock taken got %v, want %v", i+1, got, want)
				}
			}
		})
	}
}

// TestBatchFailure reports an error, not zero counts, when Redis refuses
// an operation.
func TestBatchFailure(t *testing.T) {
	ctx := context.Background()
	for name, rdb := range batchStores(t) {
		t.Run(name, func(t *testing.T) {
			_, cluster := rdb.(*redis.ClusterClient)
			if err := rdb.Set(ctx, "tg:{lists}:deny_number", "not a hash", 0).Err(); err != nil {
				t.Fatal(err)
			}
			b := newBatch(cluster)
			b.hmget("tg:{lists}:deny_number", "+1")
			if err := b.run(ctx, rdb); err == nil {
				t.Error("HMGET of a string key: got no error")
			}
		})
	}
}

func TestHashTag(t *testing.T) {
	for key, want := range map[string]string{
		"tg:{ip:1.2.3.4}:w60000:1": "ip:1.2.3.4",
		"tg:{}:x":                  "tg:{}:x",
		"tg:{a}{b}":                "a",
		"plain":                    "plain",
		"tg:{open":                 "tg:{open",
	} {
		if got := hashTag(key); got != want {
			t.Errorf("hashTag(%q): got %q, want %q", key, got, want)
		}
	}
}
