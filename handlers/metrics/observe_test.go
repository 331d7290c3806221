package metrics

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tollgate/tollgate/contactflows/dispatch"
)

// fakeDialer is a dispatch.Dialer made of functions.
type fakeDialer struct {
	dial       func(context.Context, dispatch.Call) (dispatch.Result, error)
	idempotent func() bool
}

var _ dispatch.IdempotentDialer = fakeDialer{}

func (f fakeDialer) Dial(ctx context.Context, c dispatch.Call) (dispatch.Result, error) {
	return f.dial(ctx, c)
}

func (f fakeDialer) Idempotent() bool { return f.idempotent() }

func TestDialerCountsResults(t *testing.T) {
	m := New()
	errs := []error{nil, errors.New("throttled"), dispatch.Permanent(errors.New("bad number")),
		dispatch.MaybePlaced(errors.New("reset")), nil}
	i := 0
	d := m.Dialer("connect", fakeDialer{
		dial: func(context.Context, dispatch.Call) (dispatch.Result, error) {
			err := errs[i]
			i++
			return dispatch.Result{ProviderID: "p"}, err
		},
		idempotent: func() bool { return true },
	})
	for range errs {
		d.Dial(context.Background(), dispatch.Call{ID: "c"})
	}
	for result, want := range map[string]float64{dialPlaced: 2, dialFailed: 1, dialPermanent: 1, dialMaybePlaced: 1} {
		if got := testutil.ToFloat64(m.dials.WithLabelValues("connect", result)); got != want {
			t.Errorf("dials %s: got %v, want %v", result, got, want)
		}
	}
	if !d.Idempotent() {
		t.Error("a wrapped idempotent dialer: got Idempotent false, want true")
	}
	if m.Dialer("simulator", &dispatch.Simulator{}).Idempotent() {
		t.Error("a wrapped simulator: got Idempotent true, want false")
	}
}

func TestStoreCollector(t *testing.T) {
	m := New()
	s := fakeStore()
	if err := m.Register(s); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP tollgate_queue_oldest_age_seconds Age of the oldest call on the queue, waiting or being dialed; 0 when empty.
# TYPE tollgate_queue_oldest_age_seconds gauge
tollgate_queue_oldest_age_seconds 30
# HELP tollgate_queue_dead_letters Dead letters kept: calls given up (about the newest 10,000).
# TYPE tollgate_queue_dead_letters gauge
tollgate_queue_dead_letters 4
# HELP tollgate_budget_spent_today Estimated cost of the calls placed today (UTC), in minor units of the account's currency.
# TYPE tollgate_budget_spent_today gauge
tollgate_budget_spent_today 950
# HELP tollgate_store_read_success 1 when this scrape read the queue and the spend from Redis, 0 when a read failed.
# TYPE tollgate_store_read_success gauge
tollgate_store_read_success 1
`
	names := []string{"tollgate_queue_oldest_age_seconds", "tollgate_queue_dead_letters", "tollgate_budget_spent_today", "tollgate_store_read_success"}
	if err := testutil.GatherAndCompare(m.Gatherer(), strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}

	s.Counts = func(context.Context) (dispatch.QueueCounts, error) {
		return dispatch.QueueCounts{}, errors.New("down")
	}
	s.OldestQueued = func(context.Context) (time.Time, error) { return time.Time{}, nil }
	want = `
# HELP tollgate_queue_oldest_age_seconds Age of the oldest call on the queue, waiting or being dialed; 0 when empty.
# TYPE tollgate_queue_oldest_age_seconds gauge
tollgate_queue_oldest_age_seconds 0
# HELP tollgate_budget_spent_today Estimated cost of the calls placed today (UTC), in minor units of the account's currency.
# TYPE tollgate_budget_spent_today gauge
tollgate_budget_spent_today 950
# HELP tollgate_store_read_success 1 when this scrape read the queue and the spend from Redis, 0 when a read failed.
# TYPE tollgate_store_read_success gauge
tollgate_store_read_success 0
`
	if err := testutil.GatherAndCompare(m.Gatherer(), strings.NewReader(want), names...); err != nil {
		t.Errorf("a failed read: %v", err)
	}
}

func TestObserveRequestBoundsLabels(t *testing.T) {
	m := New()
	m.ObserveRequest("BREW", "", 404, time.Millisecond)
	families, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range families {
		if f.GetName() != "tollgate_http_request_duration_seconds" {
			continue
		}
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				got = append(got, l.GetName()+"="+l.GetValue())
			}
		}
	}
	if want := "code=404 method=other route=unmatched"; strings.Join(got, " ") != want {
		t.Errorf("labels: got %q, want %q", strings.Join(got, " "), want)
	}
}
