package dispatch

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk/redistest"
)

// A call delivered to a stopping instance's worker but not acknowledged
// is handed back when Run returns: another instance dials it at once,
// well before its claim-idle time of a minute.
func TestQueueHandsBackUnacknowledgedCallsAtShutdown(t *testing.T) {
	rdb := redistest.NewServer(t).Client()
	ctx := context.Background()
	idle := QueueOptions{Workers: 1, ClaimIdle: time.Minute, Consumer: "stopping"}
	first := newHarness(t, rdb, &fakeDialer{}, idle)
	if err := first.q.ensureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	first.submit(t, "h1", "+447700900001", "GB")
	// The worker of the stopping instance read it and stopped before
	// placing it, as a read returning just as the context ends does.
	msgs, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: groupName, Consumer: "stopping-0", Streams: []string{queueKey, ">"}, Count: 1}).Result()
	if err != nil || len(msgs[0].Messages) != 1 {
		t.Fatalf("delivering the call: %v %v", msgs, err)
	}
	runCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := first.q.Run(runCtx); err != nil {
		t.Fatal(err)
	}
	pending, err := rdb.XPending(ctx, queueKey, groupName).Result()
	if err != nil {
		t.Fatal(err)
	}
	if pending.Count != 0 {
		t.Errorf("pending after shutdown = %d, want 0", pending.Count)
	}

	d := &fakeDialer{}
	second := newHarness(t, rdb, d, QueueOptions{Workers: 1, ClaimIdle: time.Minute, Consumer: "other"})
	start := time.Now()
	second.run(t)
	eventually(t, "the handed-back call placed", func() bool { return state(t, second.q, "h1").State == stateEnded })
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("placed after %v, want well before the one-minute claim idle", took)
	}
	if n, _ := d.count("h1"); n != 1 {
		t.Errorf("dialed %d times, want 1", n)
	}
}
