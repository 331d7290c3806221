package dispatch

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// TestDecisionRetention checks on a real Redis that decision records do
// not outlive DecisionRetention: Record trims the decision log, the
// periodic sweep trims it and the dead letters when nothing is written,
// and call records and the top sets expire within it.
func TestDecisionRetention(t *testing.T) {
	rdb := redistest.NewServer(t).Client()
	ctx := t.Context()
	const retention = 2 * time.Hour
	dialer := &fakeDialer{dial: func(context.Context, Call) (Result, error) {
		return Result{}, Permanent(errors.New("number +447700900123 unreachable"))
	}}
	q, err := NewQueue(QueueOptions{Redis: rdb, Dialer: dialer, Consumer: "test", DecisionRetention: retention, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := q.o.RecordTTL; got != retention {
		t.Errorf("RecordTTL = %s, want it cut to the retention %s", got, retention)
	}
	d := func(id string) risk.Decision {
		return risk.Decision{ID: id, Action: risk.Block, Number: "+447700900123", NumberCountry: "GB",
			IP: netip.MustParseAddr("198.51.100.7"), IPCountry: "FR", At: time.Now()}
	}
	for _, id := range []string{"old1", "old2"} {
		if err := q.Record(ctx, d(id), nil); err != nil {
			t.Fatal(err)
		}
	}
	// A call that goes to the dead letters at once.
	allowed := d("call1")
	allowed.Action = risk.Allow
	if err := q.Record(ctx, allowed, &Call{ID: "call1", Number: allowed.Number}); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- q.Run(runCtx) }()
	deadline := time.Now().Add(10 * time.Second)
	for rdb.XLen(ctx, deadKey).Val() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := rdb.XLen(ctx, deadKey).Val(); got != 1 {
		t.Fatalf("dead letters = %d, want 1", got)
	}
	if ttl := rdb.PTTL(ctx, callKey("call1")).Val(); ttl <= 0 || ttl > retention {
		t.Errorf("call record TTL = %s, want within (0, %s]", ttl, retention)
	}
	for _, dim := range topDims {
		k := statsTopKey(dim, time.Now())
		if ttl := rdb.PTTL(ctx, k).Val(); ttl <= 0 || ttl > retention {
			t.Errorf("%s TTL = %s, want within (0, %s]", k, ttl, retention)
		}
	}

	// Within the retention, nothing goes.
	q.expireRecords(ctx)
	if got, want := rdb.XLen(ctx, decisionLogKey).Val(), int64(3); got != want {
		t.Fatalf("decision log = %d entries, want %d", got, want)
	}

	// Past it, as seen from a clock moved on, the next decision trims the
	// log of every entry older than the retention: all of them, its own
	// included, as Redis stamped them with the real time. The dead letters
	// wait for the sweep.
	q.now = func() time.Time { return time.Now().Add(retention + time.Minute) }
	if err := q.Record(ctx, d("new"), nil); err != nil {
		t.Fatal(err)
	}
	if got, err := q.DecisionLog().Decisions(ctx, 10); err != nil || len(got) != 0 {
		t.Errorf("decision log after the retention: %d entries, %v; want none", len(got), err)
	}
	if n := rdb.XLen(ctx, deadKey).Val(); n != 1 {
		t.Errorf("dead letters before the sweep = %d, want 1", n)
	}
	q.expireRecords(ctx)
	if n := rdb.XLen(ctx, deadKey).Val(); n != 0 {
		t.Errorf("dead letters after the sweep = %d, want 0", n)
	}
}
