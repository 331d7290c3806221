package contactflows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// releases records release calls.
type releases struct {
	mu  sync.Mutex
	ids []string
	all chan string
}

func newReleases() *releases { return &releases{all: make(chan string, 1000)} }

func (r *releases) release(ctx context.Context, number, id string) error {
	r.mu.Lock()
	r.ids = append(r.ids, number+"/"+id)
	r.mu.Unlock()
	r.all <- id
	return nil
}

// wait waits for n more releases.
func (r *releases) wait(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-r.all:
		case <-time.After(5 * time.Second):
			t.Fatal("timed out waiting for releases")
		}
	}
}

func (r *releases) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(slices.Values(r.ids))
}

func TestDispatcherDialsAndReleases(t *testing.T) {
	outcomes := []string{OutcomeAnswered, OutcomeNoAnswer, OutcomeBusy}
	sim := &Simulator{OutcomeFunc: func(c Call) (string, error) {
		if c.ID == "c3" {
			return "", errors.New("carrier down")
		}
		return outcomes[len(c.ID)%len(outcomes)], nil
	}}
	rel := newReleases()
	d := NewDispatcher(sim, rel.release, nil, 2)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()

	for i := range 4 {
		if err := d.Submit(Call{ID: fmt.Sprintf("c%d", i), Number: "+447700900123"}); err != nil {
			t.Fatalf("Submit: %v", err)
		}
	}
	rel.wait(t, 4)
	cancel()
	<-done

	if got, want := sim.Count(), 4; got != want {
		t.Errorf("calls dialed = %d, want %d", got, want)
	}
	want := []string{"+447700900123/c0", "+447700900123/c1", "+447700900123/c2", "+447700900123/c3"}
	if got := rel.got(); !slices.Equal(got, want) {
		t.Errorf("released = %v, want %v (every call, failed or not)", got, want)
	}
	if got, want := d.Submit(Call{ID: "late"}), ErrDispatcherClosed; !errors.Is(got, want) {
		t.Errorf("Submit after Run returned = %v, want %v", got, want)
	}
}

func TestDispatcherSubmitWhenFull(t *testing.T) {
	d := NewDispatcher(&Simulator{}, nil, nil, 1)
	for i := range QueuePerWorker {
		if err := d.Submit(Call{ID: fmt.Sprint(i)}); err != nil {
			t.Fatalf("Submit %d: %v", i, err)
		}
	}
	if got, want := d.Submit(Call{ID: "one too many"}), ErrQueueFull; !errors.Is(got, want) {
		t.Errorf("Submit on a full queue = %v, want %v", got, want)
	}
}

func TestDispatcherShutdownReleasesQueuedCalls(t *testing.T) {
	sim := &Simulator{}
	rel := newReleases()
	d := NewDispatcher(sim, rel.release, nil, 1)
	for i := range 3 {
		if err := d.Submit(Call{ID: fmt.Sprint(i), Number: "+15005550006"}); err != nil {
			t.Fatalf("Submit: %v", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d.Run(ctx)

	if got, want := sim.Count(), 0; got != want {
		t.Errorf("calls dialed after cancel = %d, want %d", got, want)
	}
	want := []string{"+15005550006/0", "+15005550006/1", "+15005550006/2"}
	if got := rel.got(); !slices.Equal(got, want) {
		t.Errorf("released = %v, want %v", got, want)
	}
}

func TestDispatcherCancelsCallInProgress(t *testing.T) {
	sim := &Simulator{Duration: time.Hour}
	rel := newReleases()
	d := NewDispatcher(sim, rel.release, nil, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	if err := d.Submit(Call{ID: "long", Number: "+15005550006"}); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	for sim.Count() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if got, want := rel.got(), []string{"+15005550006/long"}; !slices.Equal(got, want) {
		t.Errorf("released = %v, want %v", got, want)
	}
}

// A Dialer that panics must neither take the process down nor keep the
// number locked: the call is released and the worker dials the next one.
func TestDispatcherSurvivesPanickingDialer(t *testing.T) {
	sim := &Simulator{OutcomeFunc: func(c Call) (string, error) {
		if c.ID == "boom" {
			panic("provider SDK bug")
		}
		return OutcomeAnswered, nil
	}}
	rel := newReleases()
	d := NewDispatcher(sim, rel.release, nil, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	for _, id := range []string{"boom", "next"} {
		if err := d.Submit(Call{ID: id, Number: "+15005550006"}); err != nil {
			t.Fatalf("Submit(%s): %v", id, err)
		}
	}
	rel.wait(t, 2)
	cancel()
	<-done
	if got, want := rel.got(), []string{"+15005550006/boom", "+15005550006/next"}; !slices.Equal(got, want) {
		t.Errorf("released = %v, want %v", got, want)
	}
	if got, want := sim.Count(), 2; got != want {
		t.Errorf("calls dialed = %d, want %d", got, want)
	}
}

// The releases of calls dropped at shutdown share one timeout: a Redis that
// does not answer must not hold shutdown up for a timeout per queued call.
func TestDispatcherShutdownReleasesShareOneTimeout(t *testing.T) {
	var tried sync.WaitGroup
	release := func(ctx context.Context, number, id string) error {
		defer tried.Done()
		<-ctx.Done() // Redis does not answer
		return ctx.Err()
	}
	d := NewDispatcher(&Simulator{}, release, nil, 1)
	d.releaseTimeout = 50 * time.Millisecond
	for i := range QueuePerWorker {
		if err := d.Submit(Call{ID: fmt.Sprint(i), Number: "+15005550006"}); err != nil {
			t.Fatalf("Submit: %v", err)
		}
	}
	tried.Add(QueuePerWorker)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	d.Run(ctx)
	if got, limit := time.Since(start), time.Second; got > limit {
		t.Errorf("Run took %v to drop %d calls with a %v release timeout, want under %v", got, QueuePerWorker, d.releaseTimeout, limit)
	}
	tried.Wait() // every dropped call was still offered for release
}
