package dispatch

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
)

// Keys of the queue. They share the {calls} hash tag, so in Cluster mode
// the decision log, the stream, the retry schedule, the dead letters and
// the call records live in one slot: a decision and its call are written
// in one transaction, and the scripts never cross slots.
const (
	queueKey       = "tg:{calls}:queue"
	retryKey       = "tg:{calls}:retry"
	deadKey        = "tg:{calls}:dead"
	groupName      = "dispatch"
	decisionLogKey = "tg:{calls}:decisions"
)

func callKey(id string) string { return "tg:{calls}:c:" + id }

// Call states kept in a call's record.
const (
	stateQueued  = "queued"
	stateDialing = "dialing"
	stateRetry   = "retry"
	statePlaced  = "placed"
	stateEnded   = "ended"
	stateDead    = "dead"
)

// Errors of the queue.
var (
	// ErrUnknownCall means no call with that id is on record: it never was
	// queued, no worker took it yet, or its record expired.
	ErrUnknownCall = errors.New("dispatch: unknown call")
	// ErrNotRecorded wraps a Record error after which nothing was written
	// for sure: Redis refused the transaction or could not be reached.
	// Other Record errors leave it unknown whether the call was queued.
	ErrNotRecorded = errors.New("dispatch: not recorded")
)

// QueueOptions configure a Queue. Zero values take the defaults named.
type QueueOptions struct {
	// Redis holds the queue. Required.
	Redis redis.UniversalClient
	// Dialer places the calls. Required.
	Dialer Dialer
	// Release frees a number's outstanding-callback hold once its call
	// ended or was given up. Nil does nothing.
	Release func(ctx context.Context, number, id string) error
	// Placed is told of every call a provider accepted, for caps and spend.
	// Nil does nothing.
	Placed func(ctx context.Context, c risk.PlacedCall) error
	// Budget, when set, keeps the calls' reservations in the daily budget:
	// asked before every dial whether the call still fits (it may not when
	// the budget was lowered since), told of every call given up. Nil: no
	// budget. *risk.Engine satisfies it.
	Budget Budget
	// Logger receives a line per call event; nil discards.
	Logger *slog.Logger
	// Spikes returns the spike settings in force, e.g.
	// (*risk.SettingsStore).SpikeSettings: Record counts each decision for spike
	// detection unless they turn it off. Nil means risk.DefaultSpikes.
	Spikes func() risk.Spikes

	// Workers is how many calls are dialed at once by this process; 4.
	Workers int
	// RatePerMinute caps calls placed per minute across every process
	// sharing the Redis; 0 means no cap.
	RatePerMinute int
	// CountryRatePerMinute caps calls placed per minute to each destination
	// country; 0 means no cap.
	CountryRatePerMinute int
	// Rates, when set, is asked before every dial for the global and
	// per-country rates in calls per minute (0: no cap), in place of
	// RatePerMinute and CountryRatePerMinute, so a saved change applies
	// without a restart.
	Rates func() (global, perCountry int)
	// MaxAttempts is how many times a call is dialed before it goes to the
	// dead letters; 5.
	MaxAttempts int
	// BackoffBase is the wait before the first retry, doubled for each
	// later one; 2s.
	BackoffBase time.Duration
	// BackoffMax caps the wait between retries; 5m.
	BackoffMax time.Duration
	// DialTimeout bounds one Dial; 30s.
	DialTimeout time.Duration
	// ClaimIdle is how long a delivered call may stay unacknowledged before
	// another worker takes it over, as after a crash; 1m. It must exceed
	// DialTimeout.
	ClaimIdle time.Duration
	// RecordTTL is how long a call's record (state, attempts, last error)
	// is kept from the first dial; 7 days.
	RecordTTL time.Duration
	// DecisionLogLen is about how many decisions the decision log keeps;
	// 100,000.
	DecisionLogLen int64
	// DecisionRetention is how long decision records are kept; 30 days.
	// Decision log entries and dead letters older than it are deleted (on
	// every write and every minute while Run runs), and call records and
	// the dashboard's top sets, which hold numbers and addresses, expire no
	// later: RecordTTL is cut to it.
	DecisionRetention time.Duration
	// DeadLetterLen is about how many dead letters are kept; 10,000.
	DeadLetterLen int64
	// Consumer names this process in the consumer group; host name and
	// process id.
	Consumer string
}

// Budget keeps the reservations allowed calls hold in the daily budget;
// *risk.Engine satisfies it.
type Budget interface {
	// Affordable reports whether call id to country, requested then,
	// still fits the budget in force.
	Affordable(ctx context.Context, id, country string, requested time.Time) (bool, error)
	// Unreserve releases call id's reservation, if it holds one.
	Unreserve(ctx context.Context, id string, requested time.Time) error
}

var _ Budget = (*risk.Engine)(nil)

// Queue is the durable call queue: allowed callbacks go into a Redis stream
// read through a consumer group, and the workers Run starts place them
// through the Dialer at the configured rates, retrying transient failures
// with exponential backoff and moving calls that keep failing to a
// dead-letter stream. Each call is placed at most once: its id is the
// idempotency key, a worker's stale deliveries are reclaimed, and a call
// whose worker died while dialing is dialed again only by an
// IdempotentDialer.
type Queue struct {
	o          QueueOptions
	limiter    *redis_rate.Limiter
	idempotent bool
	log        *slog.Logger
	now        func() time.Time
	decisions  *DecisionLog
}

// NewQueue returns a Queue for o.
func NewQueue(o QueueOptions) (*Queue, error) {
	if o.Redis == nil || o.Dialer == nil {
		return nil, errors.New("dispatch: QueueOptions.Redis and Dialer are required")
	}
	o.Workers = cmp.Or(o.Workers, 4)
	o.MaxAttempts = cmp.Or(o.MaxAttempts, 5)
	o.BackoffBase = cmp.Or(o.BackoffBase, 2*time.Second)
	o.BackoffMax = cmp.Or(o.BackoffMax, 5*time.Minute)
	o.DialTimeout = cmp.Or(o.DialTimeout, 30*time.Second)
	o.ClaimIdle = cmp.Or(o.ClaimIdle, time.Minute)
	o.RecordTTL = cmp.Or(o.RecordTTL, 7*24*time.Hour)
	o.DecisionLogLen = cmp.Or(o.DecisionLogLen, 100_000)
	o.DecisionRetention = cmp.Or(o.DecisionRetention, DefaultDecisionRetention)
	o.RecordTTL = min(o.RecordTTL, o.DecisionRetention)
	o.DeadLetterLen = cmp.Or(o.DeadLetterLen, 10_000)
	if o.Consumer == "" {
		host, _ := os.Hostname()
		o.Consumer = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if o.ClaimIdle <= o.DialTimeout {
		return nil, fmt.Errorf("dispatch: ClaimIdle (%s) must exceed DialTimeout (%s)", o.ClaimIdle, o.DialTimeout)
	}
	if o.RatePerMinute < 0 || o.CountryRatePerMinute < 0 {
		return nil, errors.New("dispatch: dial rates must not be negative")
	}
	if o.Rates == nil {
		global, perCountry := o.RatePerMinute, o.CountryRatePerMinute
		o.Rates = func() (int, int) { return global, perCountry }
	}
	if o.Release == nil {
		o.Release = func(context.Context, string, string) error { return nil }
	}
	if o.Spikes == nil {
		def := risk.DefaultSpikes()
		o.Spikes = func() risk.Spikes { return def }
	}
	if o.Placed == nil {
		o.Placed = func(context.Context, risk.PlacedCall) error { return nil }
	}
	q := &Queue{o: o, limiter: redis_rate.NewLimiter(o.Redis), log: o.Logger, now: time.Now}
	if q.log == nil {
		q.log = slog.New(slog.DiscardHandler)
	}
	q.decisions = &DecisionLog{rdb: o.Redis, maxLen: o.DecisionLogLen, retention: o.DecisionRetention, spikes: o.Spikes,
		now: func() time.Time { return q.now() }}
	if d, ok := o.Dialer.(IdempotentDialer); ok {
		q.idempotent = d.Idempotent()
	}
	return q, nil
}

// DecisionLog is the log the queue writes every decision to.
func (q *Queue) DecisionLog() *DecisionLog { return q.decisions }

// DefaultDecisionRetention is how long decision records are kept when
// QueueOptions.DecisionRetention is zero.
const DefaultDecisionRetention = 30 * 24 * time.Hour

// expireRecords deletes the decision log entries and dead letters older
// than DecisionRetention, for when nothing new is written to trim them.
func (q *Queue) expireRecords(ctx context.Context) {
	from := q.decisions.retainedFrom()
	_, err := q.o.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XTrimMinID(ctx, decisionLogKey, from)
		p.XTrimMinID(ctx, deadKey, from)
		return nil
	})
	if err != nil && ctx.Err() == nil {
		q.log.Error("deleting expired decision records", slog.Any("err", err))
	}
}

// Record writes decision d to the decision log and, when call is not nil,
// queues it, in one transaction on one node: an allowed request and a
// refused one cost the same round trip, and a decision is logged and its
// call queued together or not at all. The call's record is created when a
// worker first takes it.
func (q *Queue) Record(ctx context.Context, d risk.Decision, call *Call) error {
	dj, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("dispatch: encoding decision: %w", err)
	}
	var cj []byte
	if call != nil {
		if cj, err = json.Marshal(call); err != nil {
			return fmt.Errorf("dispatch: encoding call: %w", err)
		}
	}
	var renewed []string
	err = retryTryAgain(ctx, recordTryAgainMax, func() error {
		_, err := q.o.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
			renewed = q.decisions.write(ctx, p, d, dj)
			if call != nil {
				p.XAdd(ctx, &redis.XAddArgs{Stream: queueKey, Values: []any{"id", call.ID, "call", cj}})
			}
			return nil
		})
		return err
	})
	var rerr redis.Error
	var nerr *net.OpError
	switch {
	case err == nil:
		q.decisions.written(renewed)
		return nil
	case errors.As(err, &rerr), errors.As(err, &nerr) && nerr.Op == "dial", errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, redis.ErrClosed):
		return fmt.Errorf("%w: decision %s: %w", ErrNotRecorded, d.ID, err)
	}
	return fmt.Errorf("dispatch: recording decision %s: %w", d.ID, err)
}

// End records that call id ended with outcome, as a provider's status
// callback or the call-end API reports it, and releases the number's hold.
// Ending a call twice is not an error; the second report changes nothing
// in the call's record but releases the hold again: the first report's
// end may have been written and its answer lost (a deadline), before the
// release. A release frees the hold only while this call holds it.
func (q *Queue) End(ctx context.Context, id, outcome string) (Call, error) {
	res, err := endScript.Run(ctx, q.o.Redis, []string{callKey(id)}, outcome).StringSlice()
	if err != nil {
		return Call{}, fmt.Errorf("dispatch: ending call %s: %w", id, err)
	}
	if len(res) != 2 {
		return Call{}, ErrUnknownCall
	}
	var c Call
	if err := json.Unmarshal([]byte(res[1]), &c); err != nil {
		return Call{}, fmt.Errorf("dispatch: call %s record: %w", id, err)
	}
	if res[0] != stateEnded {
		q.log.Info("call ended", slog.String("id", id), slog.String("number", risk.MaskNumber(c.Number)), slog.String("outcome", outcome))
	}
	q.release(ctx, c)
	return c, nil
}

// Status is a call's record as the queue keeps it.
type Status struct {
	// Call is the call as queued.
	Call Call
	// State is queued, dialing, retry, placed, ended or dead.
	State string
	// Attempts counts the dials so far.
	Attempts int
	// LastError is the last dial error, empty when there was none.
	LastError string
	// ProviderID is the provider's id once the call was placed.
	ProviderID string
	// Outcome is how the call ended, when known.
	Outcome string
}

// Status returns the record of call id, or ErrUnknownCall.
func (q *Queue) Status(ctx context.Context, id string) (Status, error) {
	m, err := q.o.Redis.HGetAll(ctx, callKey(id)).Result()
	if err != nil {
		return Status{}, fmt.Errorf("dispatch: reading call %s: %w", id, err)
	}
	if m["call"] == "" {
		return Status{}, ErrUnknownCall
	}
	s := Status{State: m["state"], LastError: m["last_error"], ProviderID: m["provider_id"], Outcome: m["outcome"]}
	s.Attempts, _ = strconv.Atoi(m["attempts"])
	if err := json.Unmarshal([]byte(m["call"]), &s.Call); err != nil {
		return Status{}, fmt.Errorf("dispatch: call %s record: %w", id, err)
	}
	return s, nil
}

// DeadLetter is a call given up on.
type DeadLetter struct {
	// Call is the call as queued.
	Call Call
	// Attempts counts the dials made.
	Attempts int
	// Error is the last error.
	Error string
	// At is when the call was given up.
	At time.Time
}

// DeadLetters returns up to n of the most recent dead letters, newest first.
func (q *Queue) DeadLetters(ctx context.Context, n int64) ([]DeadLetter, error) {
	msgs, err := q.o.Redis.XRevRangeN(ctx, deadKey, "+", "-", n).Result()
	if err != nil {
		return nil, fmt.Errorf("dispatch: reading dead letters: %w", err)
	}
	out := make([]DeadLetter, 0, len(msgs))
	for _, m := range msgs {
		var dl DeadLetter
		raw, _ := m.Values["call"].(string)
		if err := json.Unmarshal([]byte(raw), &dl.Call); err != nil {
			continue
		}
		dl.Attempts, _ = strconv.Atoi(fmt.Sprint(m.Values["attempts"]))
		dl.Error, _ = m.Values["error"].(string)
		if ms, err := strconv.ParseInt(fmt.Sprint(m.Values["at"]), 10, 64); err == nil {
			dl.At = time.UnixMilli(ms)
		}
		out = append(out, dl)
	}
	return out, nil
}

// release frees c's number hold, logging a failure: the hold's TTL is the
// backstop.
func (q *Queue) release(ctx context.Context, c Call) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := q.o.Release(ctx, c.Number, c.ID); err != nil {
		q.log.Error("release failed; the hold expires on its own",
			slog.String("id", c.ID), slog.String("number", risk.MaskNumber(c.Number)), slog.Any("err", err))
	}
}
