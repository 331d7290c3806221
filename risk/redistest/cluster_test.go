package redistest_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tollgate/tollgate/risk/redistest"
)

func TestClusterSpreadsHashTagsAcrossMasters(t *testing.T) {
	t.Parallel()
	cl := redistest.ClusterOf(t, 3)
	cc := cl.Client()
	ctx := t.Context()

	ranges, err := cc.ClusterSlots(ctx).Result()
	if err != nil {
		t.Fatalf("CLUSTER SLOTS: %v", err)
	}
	if got, want := len(ranges), 3; got != want {
		t.Fatalf("CLUSTER SLOTS ranges: got %d, want %d: %+v", got, want, ranges)
	}
	ownerOf := func(slot int64) string {
		for _, r := range ranges {
			if int64(r.Start) <= slot && slot <= int64(r.End) {
				return r.Nodes[0].Addr
			}
		}
		t.Fatalf("slot %d: no owner in %+v", slot, ranges)
		return ""
	}
	nodes := make(map[string]*redis.Client)
	for _, addr := range cl.Addrs {
		c := redis.NewClient(&redis.Options{Addr: addr})
		t.Cleanup(func() { c.Close() })
		nodes[addr] = c
	}

	used := make(map[string]bool)
	for i := range 30 {
		tag := fmt.Sprintf("caller:%d", i)
		key, sibling := "{"+tag+"}:attempts", "{"+tag+"}:last"
		slot, err := cc.ClusterKeySlot(ctx, key).Result()
		if err != nil {
			t.Fatalf("CLUSTER KEYSLOT %s: %v", key, err)
		}
		if got, err := cc.ClusterKeySlot(ctx, sibling).Result(); err != nil || got != slot {
			t.Errorf("CLUSTER KEYSLOT %s = %d, %v; want %d (same tag as %s)", sibling, got, err, slot, key)
		}
		owner := ownerOf(slot)
		used[owner] = true

		if err := cc.Set(ctx, key, tag, time.Minute).Err(); err != nil {
			t.Fatalf("SET %s: %v", key, err)
		}
		for addr, c := range nodes {
			got, err := c.Get(ctx, key).Result()
			if addr == owner && (err != nil || got != tag) {
				t.Errorf("GET %s on owner %s = %q, %v; want %q, nil", key, addr, got, err, tag)
			}
			if addr != owner && err == nil {
				t.Errorf("GET %s on %s, which does not own slot %d: got %q, want a MOVED error", key, addr, slot, got)
			}
		}
	}
	if got, want := len(used), 3; got != want {
		t.Errorf("masters holding the 30 tags: got %d, want %d", got, want)
	}
}

func TestClusterPipelineAcrossSlots(t *testing.T) {
	t.Parallel()
	cl := redistest.ClusterOf(t, 3)
	cc := cl.Client()
	ctx := t.Context()
	const n = 300

	_, err := cc.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range n {
			p.Set(ctx, fmt.Sprintf("{caller:%d}:attempts", i), i, time.Minute)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("SET pipeline: %v", err)
	}
	gets := make([]*redis.IntCmd, n)
	_, err = cc.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range n {
			gets[i] = p.Incr(ctx, fmt.Sprintf("{caller:%d}:attempts", i))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("INCR pipeline: %v", err)
	}
	for i, cmd := range gets {
		if got, want := cmd.Val(), int64(i+1); got != want {
			t.Errorf("INCR {caller:%d}:attempts: got %d, want %d", i, got, want)
		}
	}

	sizes := masterSizes(ctx, t, cc)
	total := int64(0)
	for addr, size := range sizes {
		if size == 0 {
			t.Errorf("master %s: got no keys, want some of the %d", addr, n)
		}
		total += size
	}
	if total != n {
		t.Errorf("keys across masters: got %d, want %d", total, n)
	}

	redistest.Flush(t, cc)
	for addr, size := range masterSizes(ctx, t, cc) {
		if size != 0 {
			t.Errorf("DBSIZE on %s after Flush: got %d, want 0", addr, size)
		}
	}
}

func masterSizes(ctx context.Context, t *testing.T, cc *redis.ClusterClient) map[string]int64 {
	t.Helper()
	sizes := make(map[string]int64)
	var mu sync.Mutex
	err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		n, err := c.DBSize(ctx).Result()
		mu.Lock()
		defer mu.Unlock()
		sizes[c.Options().Addr] = n
		return err
	})
	if err != nil {
		t.Fatalf("DBSIZE on masters: %v", err)
	}
	if got, want := len(sizes), 3; got != want {
		t.Fatalf("masters: got %d, want %d", got, want)
	}
	return sizes
}
