package dispatch

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// TestQueueRetryAndDiscardDead: a retried dead letter is dialed again from
// attempt one and leaves the dead letters; a second retry of it, from a
// double click, queues nothing; a discarded one is gone.
func TestQueueRetryAndDiscardDead(t *testing.T) {
	for _, b := range redistest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			var fail atomic.Bool
			fail.Store(true)
			d := &fakeDialer{dial: func(ctx context.Context, c Call) (Result, error) {
				if fail.Load() {
					return Result{}, Permanent(errors.New("carrier refused"))
				}
				return Result{ProviderID: "p-" + c.ID, Outcome: contactflows.OutcomeAnswered}, nil
			}}
			rdb := b.Start(t)
			h := &harness{}
			q, err := NewQueue(QueueOptions{Redis: rdb, Dialer: d, Consumer: "test", Release: func(context.Context, string, string) error {
				h.mu.Lock()
				defer h.mu.Unlock()
				h.released = append(h.released, "x")
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			h.q = q
			ctx := context.Background()
			if c, err := q.Counts(ctx); err != nil || c != (QueueCounts{}) {
				t.Errorf("Counts before Run = %+v, %v, want zeros", c, err)
			}
			h.run(t)
			h.submit(t, "a", "+447700900001", "GB")
			h.submit(t, "b", "+447700900002", "GB")
			eventually(t, "two dead letters", func() bool { return len(h.releases()) == 2 })

			dead, err := q.DeadEntries(ctx, 10)
			if err != nil || len(dead) != 2 {
				t.Fatalf("DeadEntries = %+v, %v, want 2", dead, err)
			}
			if c, err := q.Counts(ctx); err != nil || c.Dead != 2 || c.Queued != 0 || c.Dialing != 0 {
				t.Errorf("Counts = %+v, %v, want 2 dead", c, err)
			}
			byID := map[string]string{}
			for _, e := range dead {
				byID[e.Call.ID] = e.Entry
			}

			fail.Store(false)
			var wg sync.WaitGroup
			var retried atomic.Int32
			for range 3 {
				wg.Go(func() {
					if _, err := q.RetryDead(ctx, byID["a"]); err == nil {
						retried.Add(1)
					} else if !errors.Is(err, ErrUnknownDeadLetter) {
						t.Errorf("RetryDead: %v", err)
					}
				})
			}
			wg.Wait()
			if n := retried.Load(); n != 1 {
				t.Errorf("%d of 3 concurrent retries succeeded, want 1", n)
			}
			eventually(t, "the retried call placed", func() bool { return state(t, q, "a").State == stateEnded })
			if s := state(t, q, "a"); s.Attempts != 1 || s.ProviderID != "p-a" {
				t.Errorf("retried call = %+v, want placed on its first new attempt", s)
			}
			if n, _ := d.count("a"); n != 2 {
				t.Errorf("a dialed %d times, want 2", n)
			}

			gone, err := q.DiscardDead(ctx, byID["b"])
			if err != nil {
				t.Fatal(err)
			}
			if gone.Entry != byID["b"] || gone.Call.ID != "b" || gone.Error == "" || gone.At.IsZero() {
				t.Errorf("discarded dead letter: got %+v, want b's with its error and time", gone)
			}
			if _, err := q.DiscardDead(ctx, byID["b"]); !errors.Is(err, ErrUnknownDeadLetter) {
				t.Errorf("second discard: %v, want ErrUnknownDeadLetter", err)
			}
			for _, id := range []string{"x", "1-1"} {
				if _, err := q.RetryDead(ctx, id); !errors.Is(err, ErrUnknownDeadLetter) {
					t.Errorf("RetryDead(%q): %v, want ErrUnknownDeadLetter", id, err)
				}
				if _, err := q.DiscardDead(ctx, id); !errors.Is(err, ErrUnknownDeadLetter) {
					t.Errorf("DiscardDead(%q): %v, want ErrUnknownDeadLetter", id, err)
				}
			}
			if dead, err := q.DeadEntries(ctx, 10); err != nil || len(dead) != 0 {
				t.Errorf("dead letters left: %+v, %v", dead, err)
			}

			recent, err := q.RecentCalls(ctx, 10)
			if err != nil || len(recent) != 2 || recent[0].Call.ID != "b" || recent[0].State != stateDead || recent[1].State != stateEnded {
				t.Errorf("RecentCalls = %+v, %v, want b dead then a ended", recent, err)
			}
		})
	}
}

// TestQueueRetryDeadScript runs the retry script on a redis-server and on a
// Redis Cluster, which refuses scripts whose keys cross slots.
func TestQueueRetryDeadScript(t *testing.T) { redistest.Each(t, testQueueRetryDeadScript) }

func testQueueRetryDeadScript(t *testing.T, cc redis.UniversalClient) {
	q, err := NewQueue(QueueOptions{Redis: cc, Dialer: &fakeDialer{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	q.giveUp(ctx, "0-1", Call{ID: "c1", Number: "+447700900001"}, 5, errors.New("busy"))
	dead, err := q.DeadEntries(ctx, 10)
	if err != nil || len(dead) != 1 {
		t.Fatalf("DeadEntries = %+v, %v", dead, err)
	}
	if c, err := q.RetryDead(ctx, dead[0].Entry); err != nil || c.ID != "c1" {
		t.Fatalf("RetryDead = %+v, %v", c, err)
	}
	if c, err := q.Counts(ctx); err != nil || c.Queued != 1 || c.Dead != 0 {
		t.Errorf("Counts = %+v, %v, want 1 queued", c, err)
	}
}

// TestQueueCallStatuses: the calls of allowed decisions are read in one
// round trip, queued before a worker takes them and ended after; refused
// decisions have no call. On a Redis Cluster the calls' keys share the
// {calls} slot, so one round trip still reads them all.
func TestQueueCallStatuses(t *testing.T) { redistest.Each(t, testQueueCallStatuses) }

func testQueueCallStatuses(t *testing.T, rdb redis.UniversalClient) {
	h := newHarness(t, rdb, &Simulator{}, QueueOptions{})
	ctx := context.Background()
	h.submit(t, "a", "+447700900001", "GB")
	h.submit(t, "b", "+447700900002", "GB")
	blocked := risk.Decision{ID: "c", Action: risk.Block, Number: "+447700900003"}
	if err := h.q.Record(ctx, blocked, nil); err != nil {
		t.Fatal(err)
	}
	allowed := func(id, number string) risk.Decision {
		return risk.Decision{ID: id, Action: risk.Allow, Number: number, NumberCountry: "GB"}
	}
	ds := []risk.Decision{allowed("a", "+447700900001"), allowed("b", "+447700900002"), blocked}
	got, err := h.q.CallStatuses(ctx, ds...)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["a"].State != "queued" || got["b"].State != "queued" || got["a"].Call.Number != "+447700900001" {
		t.Errorf("before Run: got %+v, want a and b queued, no c", got)
	}
	h.run(t)
	eventually(t, "both calls ended", func() bool {
		got, err = h.q.CallStatuses(ctx, ds...)
		return err == nil && got["a"].State == "ended" && got["b"].State == "ended"
	})
	if _, ok := got["c"]; ok || got["a"].Attempts != 1 || got["a"].ProviderID == "" {
		t.Errorf("after Run: got %+v, want a and b ended once with a provider id, no c", got)
	}
	if got, err := h.q.CallStatuses(ctx); err != nil || len(got) != 0 {
		t.Errorf("no decisions: got %v, %v, want none", got, err)
	}
}
