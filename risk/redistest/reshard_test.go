package redistest_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk/redistest"
)

func TestMoveSlotKeepsKeysAndWrites(t *testing.T) {
	t.Parallel()
	cl := redistest.ClusterOf(t, 3)
	cc := cl.Client()
	ctx := t.Context()
	const keys = 40
	key := func(i int) string { return fmt.Sprintf("{move}:k%d", i) }
	slot64, err := cc.ClusterKeySlot(ctx, key(0)).Result()
	if err != nil {
		t.Fatal(err)
	}
	slot := int(slot64)
	from, err := cl.SlotOwner(ctx, slot)
	if err != nil {
		t.Fatal(err)
	}
	for i := range keys {
		if err := cc.Set(ctx, key(i), 0, time.Hour).Err(); err != nil {
			t.Fatalf("SET %s: %v", key(i), err)
		}
	}

	// A bounded writer increments the keys while the slot moves.
	var incrs, failures atomic.Int64
	var firstErr atomic.Value
	moved := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		deadline := time.Now().Add(20 * time.Second)
		for i := 0; i < 20000 && time.Now().Before(deadline); i++ {
			if err := cc.Incr(ctx, key(i%keys)).Err(); err != nil {
				failures.Add(1)
				firstErr.CompareAndSwap(nil, err)
			} else {
				incrs.Add(1)
			}
			select {
			case <-moved:
				if i%keys == keys-1 {
					return
				}
			default:
			}
		}
	}()

	to := (from + 1) % 3
	var duringMove int64
	res, err := cl.MoveSlot(ctx, slot, to, redistest.MoveOptions{
		Batch: 4, Pause: 10 * time.Millisecond,
		Migrating: func() { duringMove = incrs.Load() },
	})
	close(moved)
	<-writerDone
	if err != nil {
		t.Fatalf("MoveSlot: %v", err)
	}
	if got, want := res.From, from; got != want {
		t.Errorf("MoveResult.From: got %d, want %d", got, want)
	}
	if res.Keys != keys || res.Batches != keys/4 {
		t.Errorf("MoveResult: got %d keys in %d batches, want %d in %d", res.Keys, res.Batches, keys, keys/4)
	}
	if owner, err := cl.SlotOwner(ctx, slot); err != nil || owner != to {
		t.Errorf("SlotOwner after the move = %d, %v; want %d", owner, err, to)
	}
	if incrs.Load() <= duringMove {
		t.Errorf("INCRs during and after the move: got none (%d before), want some", duringMove)
	}
	if n := failures.Load(); n != 0 {
		t.Errorf("INCR failures during the move: got %d (first: %v), want 0", n, firstErr.Load())
	}

	target := redis.NewClient(&redis.Options{Addr: cl.Addrs[to]})
	defer target.Close()
	if n, err := target.ClusterCountKeysInSlot(ctx, slot).Result(); err != nil || n != keys {
		t.Errorf("CLUSTER COUNTKEYSINSLOT %d on the target = %d, %v; want %d", slot, n, err, keys)
	}
	var sum int64
	for i := range keys {
		v, err := cc.Get(ctx, key(i)).Int64()
		if err != nil {
			t.Fatalf("GET %s after the move: %v", key(i), err)
		}
		if ttl := cc.TTL(ctx, key(i)).Val(); ttl <= 0 {
			t.Errorf("TTL %s after the move: got %v, want the expiry kept", key(i), ttl)
		}
		sum += v
	}
	if got, want := sum, incrs.Load(); got != want {
		t.Errorf("sum of the counters: got %d, want the %d INCRs that succeeded", got, want)
	}
}

func TestMoveSlotRejectsBadArguments(t *testing.T) {
	t.Parallel()
	cl := redistest.ClusterOf(t, 1)
	ctx := context.Background()
	for _, tt := range []struct{ slot, to int }{{-1, 0}, {16384, 0}, {0, 1}, {0, -1}} {
		if _, err := cl.MoveSlot(ctx, tt.slot, tt.to, redistest.MoveOptions{}); err == nil {
			t.Errorf("MoveSlot(%d, %d): got nil error, want one", tt.slot, tt.to)
		}
	}
	if res, err := cl.MoveSlot(ctx, 5, 0, redistest.MoveOptions{}); err != nil || res.Keys != 0 || res.From != 0 {
		t.Errorf("MoveSlot to its own owner = %+v, %v; want nothing moved, nil", res, err)
	}
}
