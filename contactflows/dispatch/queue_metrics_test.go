package dispatch

import (
	"context"
	"testing"
	"time"

	"github.com/tollgate/tollgate/risk/redistest"
)

// TestQueueOldestQueued: an empty queue has no oldest call; a call queued
// and not yet taken (no worker runs) is the oldest, timed by its entry.
func TestQueueOldestQueued(t *testing.T) {
	for _, b := range redistest.Backends[:2] {
		t.Run(b.Name, func(t *testing.T) {
			q, err := NewQueue(QueueOptions{Redis: b.Start(t), Dialer: &fakeDialer{}, Consumer: "test"})
			if err != nil {
				t.Fatal(err)
			}
			h := &harness{q: q}
			ctx := context.Background()
			if got, err := q.OldestQueued(ctx); err != nil || !got.IsZero() {
				t.Errorf("empty queue: got %v, %v, want the zero time", got, err)
			}
			before := time.Now().Add(-time.Second)
			h.submit(t, "a", "+447700900001", "GB")
			h.submit(t, "b", "+447700900002", "GB")
			got, err := q.OldestQueued(ctx)
			if err != nil || got.Before(before) || got.After(time.Now().Add(time.Second)) {
				t.Errorf("two queued calls: got %v, %v, want about now", got, err)
			}
		})
	}
}

func TestStreamTime(t *testing.T) {
	if got, err := streamTime("1767225600123-4"); err != nil || !got.Equal(time.UnixMilli(1767225600123)) {
		t.Errorf("got %v, %v, want %v", got, err, time.UnixMilli(1767225600123))
	}
	if _, err := streamTime("x-1"); err == nil {
		t.Error("an id without a time: got no error")
	}
}
