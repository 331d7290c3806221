package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/risk"
)

// Store is a collector reading the call queue and the day's spend from
// Redis at scrape time, within Timeout. A read that fails leaves its
// metrics out of that scrape and sets tollgate_store_read_success to 0.
// Its fields are the reads; NewStore fills them from a queue and an engine.
type Store struct {
	// Counts returns how many calls are queued, dialing, retrying and dead.
	Counts func(ctx context.Context) (dispatch.QueueCounts, error)
	// OldestQueued returns when the oldest call on the queue was queued,
	// or the zero time for none.
	OldestQueued func(ctx context.Context) (time.Time, error)
	// SpentToday returns the estimated cost of today's calls, minor units.
	SpentToday func(ctx context.Context) (int64, error)
	// DailyBudget returns the daily budget in force, minor units; 0 is none.
	DailyBudget func() int64
	// Timeout bounds one scrape's reads; 0 means 2 seconds.
	Timeout time.Duration
	// Now is the clock ages are measured by; nil is time.Now.
	Now func() time.Time
}

var _ prometheus.Collector = (*Store)(nil)

// NewStore returns the Store collector of q and e.
func NewStore(q *dispatch.Queue, e *risk.Engine) *Store {
	return &Store{
		Counts: q.Counts, OldestQueued: q.OldestQueued, SpentToday: e.SpentToday,
		DailyBudget: func() int64 { return e.SettingsStore().Settings().Spend.DailyBudget },
	}
}

var (
	descQueueCalls = prometheus.NewDesc(namespace+"_queue_calls",
		"Calls in the queue now, by state: queued (no worker took it yet), dialing, retrying (waiting for a retry).", []string{"state"}, nil)
	descDeadLetters = prometheus.NewDesc(namespace+"_queue_dead_letters",
		"Dead letters kept: calls given up (about the newest 10,000).", nil, nil)
	descOldestAge = prometheus.NewDesc(namespace+"_queue_oldest_age_seconds",
		"Age of the oldest call on the queue, waiting or being dialed; 0 when empty.", nil, nil)
	descSpent = prometheus.NewDesc(namespace+"_budget_spent_today",
		"Estimated cost of the calls placed today (UTC), in minor units of the account's currency.", nil, nil)
	descBudget = prometheus.NewDesc(namespace+"_budget_daily",
		"Daily call budget in force, in minor units; 0 means no budget.", nil, nil)
	descReadOK = prometheus.NewDesc(namespace+"_store_read_success",
		"1 when this scrape read the queue and the spend from Redis, 0 when a read failed.", nil, nil)
)

// Describe sends the descriptions of the Store's metrics.
func (s *Store) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descQueueCalls, descDeadLetters, descOldestAge, descSpent, descBudget, descReadOK} {
		ch <- d
	}
}

// Collect reads Redis and sends the metrics it could read.
func (s *Store) Collect(ch chan<- prometheus.Metric) {
	timeout, now := s.Timeout, s.Now
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	if now == nil {
		now = time.Now
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ok := 1.0
	if c, err := s.Counts(ctx); err != nil {
		ok = 0
	} else {
		ch <- prometheus.MustNewConstMetric(descQueueCalls, prometheus.GaugeValue, float64(c.Queued), "queued")
		ch <- prometheus.MustNewConstMetric(descQueueCalls, prometheus.GaugeValue, float64(c.Dialing), "dialing")
		ch <- prometheus.MustNewConstMetric(descQueueCalls, prometheus.GaugeValue, float64(c.Retrying), "retrying")
		ch <- prometheus.MustNewConstMetric(descDeadLetters, prometheus.GaugeValue, float64(c.Dead))
	}
	if t, err := s.OldestQueued(ctx); err != nil {
		ok = 0
	} else {
		age := 0.0
		if !t.IsZero() {
			age = max(now().Sub(t).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(descOldestAge, prometheus.GaugeValue, age)
	}
	if spent, err := s.SpentToday(ctx); err != nil {
		ok = 0
	} else {
		ch <- prometheus.MustNewConstMetric(descSpent, prometheus.GaugeValue, float64(spent))
	}
	ch <- prometheus.MustNewConstMetric(descBudget, prometheus.GaugeValue, float64(s.DailyBudget()))
	ch <- prometheus.MustNewConstMetric(descReadOK, prometheus.GaugeValue, ok)
}
