package dispatch

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/risk/redistest"
)

// fakeBudget answers Affordable from a set of ids that no longer fit and
// records what it releases.
type fakeBudget struct {
	mu         sync.Mutex
	over       map[string]bool
	unreserved []string
}

func (b *fakeBudget) Affordable(_ context.Context, id, _ string, _ time.Time) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.over[id], nil
}

func (b *fakeBudget) Unreserve(_ context.Context, id string, _ time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.unreserved = append(b.unreserved, id)
	return nil
}

func (b *fakeBudget) released() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Sorted(slices.Values(b.unreserved))
}

// TestQueueChecksTheBudgetBeforeEachDial gives up, without dialling, a
// call whose reservation no longer fits the budget (lowered since it was
// allowed) and releases its reservation, and releases the reservation of
// a call given up for dial failures.
func TestQueueChecksTheBudgetBeforeEachDial(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		d := &fakeDialer{dial: func(_ context.Context, c Call) (Result, error) {
			if c.ID == "broken" {
				return Result{}, Permanent(errors.New("number not reachable"))
			}
			return Result{ProviderID: "p-" + c.ID, Outcome: contactflows.OutcomeAnswered}, nil
		}}
		b := &fakeBudget{over: map[string]bool{"over": true}}
		h := newHarness(t, rdb, d, QueueOptions{Workers: 2, Budget: b})
		h.run(t)
		h.submit(t, "fits", "+447700900001", "GB")
		h.submit(t, "over", "+447700900002", "GB")
		h.submit(t, "broken", "+447700900003", "GB")
		eventually(t, "three releases", func() bool { return len(h.releases()) == 3 })
		if n, _ := d.count("over"); n != 0 {
			t.Errorf("the call over the budget was dialled %d times, want 0", n)
		}
		if got := state(t, h.q, "over").State; got != stateDead {
			t.Errorf("the call over the budget: state %q, want %q", got, stateDead)
		}
		if got, want := b.released(), []string{"broken", "over"}; !slices.Equal(got, want) {
			t.Errorf("reservations released: %v, want %v", got, want)
		}
	})
}
