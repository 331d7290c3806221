package dispatch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// fakeDialer is a Dialer of function fields; it counts dials per call id.
type fakeDialer struct {
	dial       func(ctx context.Context, c Call) (Result, error)
	idempotent bool

	mu    sync.Mutex
	dials map[string]int
}

var _ IdempotentDialer = (*fakeDialer)(nil)

func (f *fakeDialer) Dial(ctx context.Context, c Call) (Result, error) {
	f.mu.Lock()
	if f.dials == nil {
		f.dials = map[string]int{}
	}
	f.dials[c.ID]++
	f.mu.Unlock()
	if f.dial == nil {
		return Result{ProviderID: "p-" + c.ID, Outcome: contactflows.OutcomeAnswered}, nil
	}
	return f.dial(ctx, c)
}

func (f *fakeDialer) Idempotent() bool { return f.idempotent }

// count returns how often id was dialed, and all dials.
func (f *fakeDialer) count(id string) (n, total int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range f.dials {
		total += v
	}
	return f.dials[id], total
}

// harness runs a Queue on a real redis-server and records releases and
// placed calls.
type harness struct {
	q        *Queue
	rdb      redis.UniversalClient
	mu       sync.Mutex
	released []string
	placed   []string
}

func newHarness(t *testing.T, rdb redis.UniversalClient, d Dialer, o QueueOptions) *harness {
	t.Helper()
	h := &harness{rdb: rdb}
	o.Redis, o.Dialer = rdb, d
	o.Release = func(_ context.Context, number, id string) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.released = append(h.released, id)
		return nil
	}
	o.Placed = func(_ context.Context, c risk.PlacedCall) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.placed = append(h.placed, c.Number)
		return nil
	}
	o.BackoffBase = cmp.Or(o.BackoffBase, 20*time.Millisecond)
	o.Consumer = cmp.Or(o.Consumer, "test")
	q, err := NewQueue(o)
	if err != nil {
		t.Fatal(err)
	}
	h.q = q
	return h
}

// run starts the queue's workers until the test ends.
func (h *harness) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.q.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func (h *harness) releases() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Sorted(slices.Values(h.released))
}

// submit records an allowed decision with its call.
func (h *harness) submit(t *testing.T, id, number, country string) {
	t.Helper()
	d := risk.Decision{ID: id, Action: risk.Allow, Number: number, NumberCountry: country}
	c := &Call{ID: id, Number: number, Country: country, RequestedAt: time.Now()}
	if err := h.q.Record(context.Background(), d, c); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond every 10ms for up to 10s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// state returns call id's record; a call no worker took yet has none.
func state(t *testing.T, q *Queue, id string) Status {
	t.Helper()
	s, err := q.Status(context.Background(), id)
	if err != nil && !errors.Is(err, ErrUnknownCall) {
		t.Fatalf("Status(%s): %v", id, err)
	}
	return s
}

func TestQueuePlacesEachCallOnce(t *testing.T) {
	redistest.Each(t, testQueuePlacesEachCallOnce)
}

func testQueuePlacesEachCallOnce(t *testing.T, rdb redis.UniversalClient) {
	d := &fakeDialer{}
	h := newHarness(t, rdb, d, QueueOptions{Workers: 4})
	h.run(t)
	var ids []string
	for i := range 40 {
		id := fmt.Sprintf("c%02d", i)
		ids = append(ids, id)
		h.submit(t, id, fmt.Sprintf("+44770090%04d", i), "GB")
	}
	eventually(t, "40 releases", func() bool { return len(h.releases()) == 40 })
	for _, id := range ids {
		if n, _ := d.count(id); n != 1 {
			t.Errorf("%s dialed %d times, want 1", id, n)
		}
		if got, want := state(t, h.q, id).State, stateEnded; got != want {
			t.Errorf("%s state = %q, want %q", id, got, want)
		}
	}
	if got, want := h.releases(), ids; !slices.Equal(got, want) {
		t.Errorf("released %v, want %v", got, want)
	}
	if n := rdb.XLen(context.Background(), queueKey).Val(); n != 0 {
		t.Errorf("stream holds %d entries after every call settled, want 0", n)
	}
}

func TestQueueRecordLogsEveryDecisionAndQueuesOnlyCalls(t *testing.T) {
	redistest.Each(t, testQueueRecordLogsEveryDecisionAndQueuesOnlyCalls)
}

func testQueueRecordLogsEveryDecisionAndQueuesOnlyCalls(t *testing.T, rdb redis.UniversalClient) {
	h := newHarness(t, rdb, &fakeDialer{}, QueueOptions{})
	ctx := context.Background()
	for _, a := range []risk.Action{risk.Block, risk.Deflect} {
		if err := h.q.Record(ctx, risk.Decision{ID: string(a), Action: a}, nil); err != nil {
			t.Fatal(err)
		}
	}
	h.submit(t, "allowed", "+447700900001", "GB")
	log := rdb.XRange(ctx, decisionLogKey, "-", "+").Val()
	var got []string
	for _, m := range log {
		got = append(got, fmt.Sprint(m.Values["id"], "/", m.Values["action"]))
	}
	if want := []string{"block/block", "deflect/deflect", "allowed/allow"}; !slices.Equal(got, want) {
		t.Errorf("decision log = %v, want %v", got, want)
	}
	ds, err := h.q.DecisionLog().Decisions(ctx, 2)
	if err != nil || len(ds) != 2 || ds[0].ID != "allowed" || ds[1].Action != risk.Deflect {
		t.Errorf("Decisions = %+v, %v; want the newest two, newest first", ds, err)
	}
	if n := rdb.XLen(ctx, queueKey).Val(); n != 1 {
		t.Errorf("queue holds %d calls, want 1", n)
	}
	h.run(t)
	eventually(t, "the call placed", func() bool { return state(t, h.q, "allowed").State == stateEnded })
	if ttl := rdb.PTTL(ctx, callKey("allowed")).Val(); ttl <= 0 {
		t.Errorf("call record TTL = %v, want one", ttl)
	}
}

func TestQueueRetriesTransientFailures(t *testing.T) {
	redistest.Each(t, testQueueRetriesTransientFailures)
}

func testQueueRetriesTransientFailures(t *testing.T, rdb redis.UniversalClient) {
	var mu sync.Mutex
	fails := 2
	d := &fakeDialer{dial: func(ctx context.Context, c Call) (Result, error) {
		mu.Lock()
		defer mu.Unlock()
		if fails > 0 {
			fails--
			return Result{}, errors.New("carrier busy")
		}
		return Result{ProviderID: "p1"}, nil
	}}
	h := newHarness(t, rdb, d, QueueOptions{MaxAttempts: 5})
	h.run(t)
	h.submit(t, "r1", "+447700900001", "GB")
	eventually(t, "the call placed", func() bool { return state(t, h.q, "r1").State == statePlaced })
	s := state(t, h.q, "r1")
	if s.Attempts != 3 || s.ProviderID != "p1" || s.LastError != "carrier busy" {
		t.Errorf("status = %+v, want 3 attempts, provider id p1, last error kept", s)
	}
	if got := h.releases(); len(got) != 0 {
		t.Errorf("released %v while the provider has not reported the end", got)
	}
	if got, want := len(h.placed), 1; got != want {
		t.Errorf("placed reported %d times, want %d", got, want)
	}

	c, err := h.q.End(context.Background(), "r1", "completed")
	if err != nil || c.Number != "+447700900001" {
		t.Fatalf("End = %+v, %v", c, err)
	}
	if _, err := h.q.End(context.Background(), "r1", "completed"); err != nil {
		t.Errorf("second End: %v", err)
	}
	// The second report releases again: the first one's answer may have
	// been lost after the end was written, before its release.
	if got, want := h.releases(), []string{"r1", "r1"}; !slices.Equal(got, want) {
		t.Errorf("released %v, want %v: once per report", got, want)
	}
	if got, want := state(t, h.q, "r1").Outcome, "completed"; got != want {
		t.Errorf("outcome = %q, want %q", got, want)
	}
	if _, err := h.q.End(context.Background(), "nope", "completed"); !errors.Is(err, ErrUnknownCall) {
		t.Errorf("End of an unknown call: %v, want ErrUnknownCall", err)
	}
}

func TestQueueDeadLetters(t *testing.T) {
	redistest.Each(t, testQueueDeadLetters)
}

func testQueueDeadLetters(t *testing.T, rdb redis.UniversalClient) {
	d := &fakeDialer{dial: func(ctx context.Context, c Call) (Result, error) {
		if c.ID == "perm" {
			return Result{}, Permanent(errors.New("number rejected"))
		}
		return Result{}, errors.New("timeout talking to carrier")
	}}
	h := newHarness(t, rdb, d, QueueOptions{MaxAttempts: 3})
	h.run(t)
	h.submit(t, "perm", "+447700900001", "GB")
	h.submit(t, "flaky", "+447700900002", "GB")
	eventually(t, "two dead letters", func() bool { return len(h.releases()) == 2 })

	dead, err := h.q.DeadLetters(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]DeadLetter{}
	for _, dl := range dead {
		got[dl.Call.ID] = dl
	}
	if dl := got["perm"]; dl.Attempts != 1 || dl.Error != "number rejected" || dl.Call.Number != "+447700900001" {
		t.Errorf("permanent failure dead letter = %+v, want 1 attempt and its error", dl)
	}
	if dl := got["flaky"]; dl.Attempts != 3 || dl.Error != "timeout talking to carrier" || dl.At.IsZero() {
		t.Errorf("transient failure dead letter = %+v, want 3 attempts and the last error", dl)
	}
	for id, want := range map[string]int{"perm": 1, "flaky": 3} {
		if n, _ := d.count(id); n != want {
			t.Errorf("%s dialed %d times, want %d", id, n, want)
		}
		if s := state(t, h.q, id); s.State != stateDead {
			t.Errorf("%s state = %q, want dead", id, s.State)
		}
	}
}

func TestNewQueueValidates(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	for name, o := range map[string]QueueOptions{
		"no redis":                 {Dialer: &fakeDialer{}},
		"no dialer":                {Redis: rdb},
		"claim idle below timeout": {Redis: rdb, Dialer: &fakeDialer{}, ClaimIdle: time.Second, DialTimeout: 2 * time.Second},
		"negative rate":            {Redis: rdb, Dialer: &fakeDialer{}, RatePerMinute: -1},
	} {
		if _, err := NewQueue(o); err == nil {
			t.Errorf("%s: NewQueue succeeded", name)
		}
	}
}

func TestBackoffDoublesWithinBounds(t *testing.T) {
	q := &Queue{o: QueueOptions{BackoffBase: time.Second, BackoffMax: 10 * time.Second}}
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 30: 10 * time.Second} {
		got := q.backoff(attempt)
		if got < want*8/10 || got > want*12/10 {
			t.Errorf("backoff(%d) = %v, want %v ±20%%", attempt, got, want)
		}
	}
}

// TestQueueWithRateLimits places calls with rate limits on a redis-server
// and on a 3-master Redis Cluster, where the queue's keys share one hash tag
// and the rate limits live in other slots.
func TestQueueWithRateLimits(t *testing.T) { redistest.Each(t, testQueueWithRateLimits) }

func testQueueWithRateLimits(t *testing.T, cc redis.UniversalClient) {
	d := &fakeDialer{}
	q, err := NewQueue(QueueOptions{Redis: cc, Dialer: d, RatePerMinute: 100, CountryRatePerMinute: 100, Consumer: "cluster"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for i := range 10 {
		id := fmt.Sprintf("cl%d", i)
		c := &Call{ID: id, Number: fmt.Sprintf("+44770090%04d", i), Country: "GB"}
		if err := q.Record(ctx, risk.Decision{ID: id, Action: risk.Allow}, c); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "10 calls placed", func() bool { _, n := d.count(""); return n == 10 })
	for i := range 10 {
		if s := state(t, q, fmt.Sprintf("cl%d", i)); s.State != stateEnded || s.Attempts != 1 {
			t.Errorf("cl%d: %+v, want ended after one attempt", i, s)
		}
	}
}

// A report of the call's end that arrives before the worker recorded the
// dial's result wins: the call stays ended.
func TestQueueEndBeforeTheDialReturns(t *testing.T) {
	redistest.Each(t, testQueueEndBeforeTheDialReturns)
}

func testQueueEndBeforeTheDialReturns(t *testing.T, rdb redis.UniversalClient) {
	ended := make(chan struct{})
	var h *harness
	d := &fakeDialer{dial: func(ctx context.Context, c Call) (Result, error) {
		if _, err := h.q.End(ctx, c.ID, contactflows.OutcomeFailed); err != nil {
			t.Errorf("End: %v", err)
		}
		close(ended)
		return Result{ProviderID: "p1"}, nil
	}}
	h = newHarness(t, rdb, d, QueueOptions{})
	h.run(t)
	h.submit(t, "e1", "+447700900001", "GB")
	<-ended
	eventually(t, "the dial recorded", func() bool { return state(t, h.q, "e1").ProviderID == "p1" })
	if s := state(t, h.q, "e1"); s.State != stateEnded || s.Outcome != contactflows.OutcomeFailed {
		t.Errorf("status = %+v, want ended with the reported outcome", s)
	}
	if got := h.releases(); !slices.Equal(got, []string{"e1"}) {
		t.Errorf("released %v, want e1 once", got)
	}
}

func TestQueueRecordWithoutRedisIsNotRecorded(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer rdb.Close()
	q, err := NewQueue(QueueOptions{Redis: rdb, Dialer: &fakeDialer{}})
	if err != nil {
		t.Fatal(err)
	}
	err = q.Record(context.Background(), risk.Decision{ID: "x", Action: risk.Allow}, &Call{ID: "x"})
	if !errors.Is(err, ErrNotRecorded) {
		t.Errorf("Record with Redis down: %v, want ErrNotRecorded", err)
	}
}
