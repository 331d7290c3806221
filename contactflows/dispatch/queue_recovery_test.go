package dispatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk/redistest"
)

// strand leaves call id delivered to a consumer that never acknowledges
// it, as a worker killed before it acknowledged would.
func strand(t *testing.T, h *harness, id string) {
	t.Helper()
	ctx := context.Background()
	if err := h.q.ensureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	h.submit(t, id, "+447700900001", "GB")
	msgs, err := h.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: groupName, Consumer: "killed", Streams: []string{queueKey, ">"}, Count: 10}).Result()
	if err != nil || len(msgs[0].Messages) != 1 {
		t.Fatalf("stranding the call: %v %v", msgs, err)
	}
}

func TestQueueReclaimsKilledWorkersCalls(t *testing.T) {
	reclaim := QueueOptions{ClaimIdle: 400 * time.Millisecond, DialTimeout: 100 * time.Millisecond}

	t.Run("killed before dialing: dialed once", func(t *testing.T) {
		redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
			d := &fakeDialer{}
			h := newHarness(t, rdb, d, reclaim)
			strand(t, h, "k1")
			h.run(t)
			eventually(t, "the stranded call placed", func() bool { return state(t, h.q, "k1").State == stateEnded })
			time.Sleep(2 * reclaim.ClaimIdle)
			if n, _ := d.count("k1"); n != 1 {
				t.Errorf("dialed %d times, want 1", n)
			}
		})
	})

	// A worker killed while dialing left the call in state dialing with an
	// expired lease: the call may have been placed.
	dialing := func(t *testing.T, rdb redis.UniversalClient, d *fakeDialer) *harness {
		h := newHarness(t, rdb, d, reclaim)
		strand(t, h, "k2")
		rdb.HSet(context.Background(), callKey("k2"), "call", `{"id":"k2","number":"+447700900001"}`,
			"state", stateDialing, "owner", "killed", "lease", time.Now().UnixMilli()-1, "attempts", 1)
		h.run(t)
		return h
	}
	t.Run("killed while dialing: not dialed again", func(t *testing.T) {
		redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
			d := &fakeDialer{}
			h := dialing(t, rdb, d)
			eventually(t, "the call given up", func() bool { return state(t, h.q, "k2").State == stateDead })
			if n, _ := d.count("k2"); n != 0 {
				t.Errorf("dialed %d times after the crash, want 0", n)
			}
			if got, want := h.releases(), []string{"k2"}; !slices.Equal(got, want) {
				t.Errorf("released %v, want %v", got, want)
			}
		})
	})
	t.Run("killed while dialing, idempotent dialer: dialed again", func(t *testing.T) {
		redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
			d := &fakeDialer{idempotent: true}
			h := dialing(t, rdb, d)
			eventually(t, "the call placed", func() bool { return state(t, h.q, "k2").State == stateEnded })
			if n, _ := d.count("k2"); n != 1 {
				t.Errorf("dialed %d times after the crash, want 1 (same idempotency key)", n)
			}
		})
	})
}

func TestQueueLeavesALiveWorkersCallAlone(t *testing.T) {
	redistest.Each(t, testQueueLeavesALiveWorkersCallAlone)
}

func testQueueLeavesALiveWorkersCallAlone(t *testing.T, rdb redis.UniversalClient) {
	d := &fakeDialer{}
	h := newHarness(t, rdb, d, QueueOptions{ClaimIdle: 300 * time.Millisecond, DialTimeout: 100 * time.Millisecond})
	strand(t, h, "live")
	// Another worker is dialing it now; its lease runs for a minute.
	rdb.HSet(context.Background(), callKey("live"), "call", `{"id":"live","number":"+447700900001"}`,
		"state", stateDialing, "owner", "other", "lease", time.Now().Add(time.Minute).UnixMilli())
	h.run(t)
	eventually(t, "the reclaimer to take the delivery", func() bool {
		p, err := rdb.XPendingExt(context.Background(), &redis.XPendingExtArgs{Stream: queueKey, Group: groupName, Start: "-", End: "+", Count: 1}).Result()
		return err == nil && len(p) == 1 && p[0].Consumer == "test-reclaim"
	})
	if n, _ := d.count("live"); n != 0 {
		t.Errorf("dialed %d times while another worker held it, want 0", n)
	}
	if s := state(t, h.q, "live"); s.State != stateDialing {
		t.Errorf("state = %q, want dialing", s.State)
	}
}

func TestQueueRateLimits(t *testing.T) {
	redistest.Each(t, testQueueRateLimits)
}

func testQueueRateLimits(t *testing.T, rdb redis.UniversalClient) {
	d := &fakeDialer{}
	// 3 a minute per country, 5 a minute in all: of 4 GB and 4 US calls,
	// 3 GB and 2 US, or 2 GB and 3 US, go out in the first minute.
	h := newHarness(t, rdb, d, QueueOptions{Workers: 4, CountryRatePerMinute: 3, RatePerMinute: 5})
	h.run(t)
	for i := range 4 {
		h.submit(t, fmt.Sprintf("gb%d", i), fmt.Sprintf("+44770090%04d", i), "GB")
		h.submit(t, fmt.Sprintf("us%d", i), fmt.Sprintf("+1202555%04d", i), "US")
	}
	eventually(t, "5 calls placed", func() bool { _, n := d.count(""); return n == 5 })
	time.Sleep(500 * time.Millisecond)
	_, total := d.count("")
	var gb, us int
	for i := range 4 {
		n, _ := d.count(fmt.Sprintf("gb%d", i))
		gb += n
		n, _ = d.count(fmt.Sprintf("us%d", i))
		us += n
	}
	if total != 5 || gb > 3 || us > 3 {
		t.Errorf("placed %d calls (%d GB, %d US) in the first minute; want 5, at most 3 per country", total, gb, us)
	}
}

// Calls over the dial rate wait in the retry schedule, not in a worker:
// nothing stays pending to be reclaimed as if its worker had died.
func TestQueueRateLimitedCallsWaitInTheSchedule(t *testing.T) {
	redistest.Each(t, testQueueRateLimitedCallsWaitInTheSchedule)
}

func testQueueRateLimitedCallsWaitInTheSchedule(t *testing.T, rdb redis.UniversalClient) {
	d := &fakeDialer{}
	h := newHarness(t, rdb, d, QueueOptions{Workers: 2, RatePerMinute: 1})
	h.run(t)
	for i := range 3 {
		h.submit(t, fmt.Sprintf("w%d", i), fmt.Sprintf("+44770090%04d", i), "GB")
	}
	eventually(t, "one call placed, two waiting", func() bool {
		_, n := d.count("")
		return n == 1 && rdb.ZCard(context.Background(), retryKey).Val() == 2
	})
	pending, err := rdb.XPending(context.Background(), queueKey, groupName).Result()
	if err != nil || pending.Count != 0 {
		t.Errorf("pending deliveries = %+v, %v; want none", pending, err)
	}
}

// A dial that may have placed the call is not dialed again unless the
// dialer is idempotent.
func TestQueueMaybePlaced(t *testing.T) {
	for _, idempotent := range []bool{false, true} {
		t.Run(fmt.Sprint("idempotent=", idempotent), func(t *testing.T) {
			redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) { testQueueMaybePlaced(t, rdb, idempotent) })
		})
	}
}

func testQueueMaybePlaced(t *testing.T, rdb redis.UniversalClient, idempotent bool) {
	var mu sync.Mutex
	first := true
	d := &fakeDialer{idempotent: idempotent, dial: func(ctx context.Context, c Call) (Result, error) {
		mu.Lock()
		defer mu.Unlock()
		if first {
			first = false
			return Result{}, MaybePlaced(errors.New("read tcp: i/o timeout"))
		}
		return Result{ProviderID: "p1"}, nil
	}}
	h := newHarness(t, rdb, d, QueueOptions{})
	h.run(t)
	h.submit(t, "m1", "+447700900001", "GB")
	want, dials := stateDead, 1
	if idempotent {
		want, dials = statePlaced, 2
	}
	eventually(t, "the call settled", func() bool { return state(t, h.q, "m1").State == want })
	if n, _ := d.count("m1"); n != dials {
		t.Errorf("dialed %d times, want %d", n, dials)
	}
}
