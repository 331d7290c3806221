package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
)

// Run places queued calls until ctx is done: Workers workers read the
// stream, one goroutine reclaims deliveries left unacknowledged longer
// than ClaimIdle, one puts retries back when they are due, and one deletes
// decision records older than DecisionRetention. Once ctx is done, dials in
// progress finish (each within DialTimeout), and calls delivered to this
// process but not acknowledged are handed back to the stream for any
// instance to read at once, before Run returns. It returns an error only
// when the consumer group cannot be created at start.
func (q *Queue) Run(ctx context.Context) error {
	if err := q.ensureGroup(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	for i := range q.o.Workers {
		consumer := fmt.Sprintf("%s-%d", q.o.Consumer, i)
		wg.Go(func() { q.work(ctx, consumer) })
	}
	wg.Go(func() { every(ctx, q.o.ClaimIdle/4, q.reclaim) })
	wg.Go(func() { every(ctx, 250*time.Millisecond, q.moveDue) })
	wg.Go(func() { every(ctx, time.Minute, q.expireRecords) })
	wg.Wait()
	q.handBack()
	return nil
}

// ensureGroup creates the stream and its consumer group when missing.
func (q *Queue) ensureGroup(ctx context.Context) error {
	err := q.o.Redis.XGroupCreateMkStream(ctx, queueKey, groupName, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("dispatch: creating consumer group: %w", err)
	}
	return nil
}

// every runs f every d until ctx is done.
func every(ctx context.Context, d time.Duration, f func(context.Context)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f(ctx)
		}
	}
}

// sleep waits d or until ctx is done, reporting whether it waited it all.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// work reads calls for consumer and places them until ctx is done.
func (q *Queue) work(ctx context.Context, consumer string) {
	for ctx.Err() == nil {
		streams, err := q.o.Redis.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: groupName, Consumer: consumer, Streams: []string{queueKey, ">"},
			Count: 1, Block: time.Second,
		}).Result()
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, redis.Nil):
			continue
		case err != nil:
			if strings.HasPrefix(err.Error(), "NOGROUP") {
				err = q.ensureGroup(ctx)
			}
			if err != nil {
				q.log.Error("reading the call queue", slog.Any("err", err))
			}
			sleep(ctx, time.Second)
			continue
		}
		for _, s := range streams {
			for _, m := range s.Messages {
				q.process(ctx, consumer, m)
			}
		}
	}
}

// reclaim takes over deliveries idle longer than ClaimIdle, those of a
// worker that died or lost Redis, and processes them.
func (q *Queue) reclaim(ctx context.Context) {
	consumer := q.o.Consumer + "-reclaim"
	start := "0-0"
	for ctx.Err() == nil {
		msgs, next, err := q.o.Redis.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: queueKey, Group: groupName, Consumer: consumer,
			MinIdle: q.o.ClaimIdle, Start: start, Count: 16,
		}).Result()
		if err != nil {
			if ctx.Err() == nil && !strings.HasPrefix(err.Error(), "NOGROUP") {
				q.log.Error("reclaiming stale calls", slog.Any("err", err))
			}
			return
		}
		for _, m := range msgs {
			q.log.Warn("reclaimed a call left by a stopped worker", slog.String("entry", m.ID))
			q.process(ctx, consumer, m)
		}
		if next == "0-0" || len(msgs) == 0 {
			break
		}
		start = next
	}
	q.forgetConsumers(ctx)
}

// forgetConsumers deletes the consumers of stopped processes: those with
// nothing pending, idle for a day.
func (q *Queue) forgetConsumers(ctx context.Context) {
	consumers, err := q.o.Redis.XInfoConsumers(ctx, queueKey, groupName).Result()
	if err != nil {
		return
	}
	for _, c := range consumers {
		if c.Pending == 0 && c.Idle > 24*time.Hour && !strings.HasPrefix(c.Name, q.o.Consumer+"-") {
			q.o.Redis.XGroupDelConsumer(ctx, queueKey, groupName, c.Name)
		}
	}
}

// moveDue puts due retries back on the stream.
func (q *Queue) moveDue(ctx context.Context) {
	err := moveDueScript.Run(ctx, q.o.Redis, []string{retryKey, queueKey}, q.now().UnixMilli(), callKey("")).Err()
	if err != nil && ctx.Err() == nil {
		q.log.Error("moving due retries", slog.Any("err", err))
	}
}

// process places the call of stream entry m, read by consumer. Errors
// talking to Redis leave the entry pending, to be reclaimed.
func (q *Queue) process(ctx context.Context, consumer string, m redis.XMessage) {
	id, _ := m.Values["id"].(string)
	raw, _ := m.Values["call"].(string)
	var c Call
	if err := json.Unmarshal([]byte(raw), &c); err != nil || c.ID != id {
		q.log.Error("queue entry holds no readable call; dropped", slog.String("entry", m.ID))
		q.settle(ctx, m.ID, nil)
		return
	}
	state, err := q.o.Redis.HGet(ctx, callKey(id), "state").Result()
	switch {
	case errors.Is(err, redis.Nil):
	case err != nil:
		q.log.Error("reading a queued call", slog.String("id", id), slog.Any("err", err))
		return
	case state == statePlaced || state == stateEnded || state == stateDead:
		q.settle(ctx, m.ID, nil)
		return
	}
	// Over the dial rate, the call waits in the retry schedule rather than
	// in this worker, whose pending delivery would otherwise go stale and
	// be reclaimed while it waits.
	if wait, err := q.turn(ctx, c.Country); err != nil || wait > 0 {
		if err != nil {
			q.log.Error("dial rate limiter", slog.String("id", id), slog.Any("err", err))
			wait = time.Second
		}
		due := q.now().Add(wait).UnixMilli()
		q.settle(ctx, m.ID, func(p redis.Pipeliner) {
			k := callKey(id)
			p.HSetNX(ctx, k, "call", raw)
			p.HSetNX(ctx, k, "state", stateQueued)
			p.HSetNX(ctx, k, "attempts", 0)
			p.PExpire(ctx, k, q.o.RecordTTL)
			p.ZAdd(ctx, retryKey, redis.Z{Score: float64(due), Member: id})
		})
		return
	}

	// Before the claim, so a call whose check failed is still just queued.
	if q.o.Budget != nil {
		ok, err := q.o.Budget.Affordable(ctx, c.ID, c.Country, c.RequestedAt)
		switch {
		case err != nil:
			// Not known to fit: the entry stays pending, to be reclaimed
			// and checked again.
			q.log.Error("checking the daily budget before a dial", slog.String("id", id), slog.Any("err", err))
			return
		case !ok:
			q.log.Warn("call not placed: it does not fit the daily budget in force", slog.String("id", id), slog.String("number", risk.MaskNumber(c.Number)))
			q.giveUp(ctx, m.ID, c, 0, errBudgetLowered)
			return
		}
	}

	// The lease outlasts the dial, bounded by DialTimeout, by a margin for
	// recording its result: 5s, or DialTimeout when that is shorter, so a
	// short DialTimeout also means a prompt recovery after a crash.
	lease := q.o.DialTimeout + min(5*time.Second, q.o.DialTimeout)
	idem := "0"
	if q.idempotent {
		idem = "1"
	}
	res, err := claimScript.Run(ctx, q.o.Redis, []string{callKey(id)},
		lease.Milliseconds(), consumer, idem, raw, q.o.RecordTTL.Milliseconds()).Slice()
	if err != nil || len(res) != 2 {
		q.log.Error("claiming a queued call", slog.String("id", id), slog.Any("err", err))
		return
	}
	verdict, _ := res[0].(string)
	attempt, _ := res[1].(int64)
	log := q.log.With(slog.String("id", c.ID), slog.String("number", risk.MaskNumber(c.Number)))
	switch verdict {
	case "go":
	case "done":
		q.settle(ctx, m.ID, nil)
		return
	case "busy":
		return
	case "unknown":
		log.Error("a worker stopped while dialing this call; it may have been placed, so it is not dialed again")
		q.giveUp(ctx, m.ID, c, int(attempt), MaybePlaced(errors.New("worker stopped while dialing; the call may have been placed and was not dialed again")))
		return
	}

	// The dial outlives ctx: a call half-placed at shutdown would otherwise
	// have an unknown outcome.
	dialCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), q.o.DialTimeout)
	r, err := q.dial(dialCtx, c)
	cancel()
	switch {
	case err == nil:
		state := statePlaced
		if r.Outcome != "" {
			state = stateEnded
		}
		var found *redis.Cmd
		q.settle(ctx, m.ID, func(p redis.Pipeliner) {
			found = finishScript.Eval(ctx, p, []string{callKey(id)}, state, r.ProviderID, r.Outcome)
			countPlaced(ctx, p, q.now())
		})
		log.Info("call placed", slog.String("provider_id", r.ProviderID), slog.Int64("attempt", attempt), slog.String("outcome", r.Outcome))
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if err := q.o.Placed(pctx, risk.PlacedCall{ID: c.ID, Number: c.Number, Country: c.Country, RequestedAt: c.RequestedAt}); err != nil {
			log.Error("recording a placed call for caps and spend", slog.Any("err", err))
		}
		cancel()
		// A report of the end may have come while the dial returned; it
		// released the hold then.
		if prev, _ := found.Text(); r.Outcome != "" && prev != stateEnded {
			q.release(ctx, c)
		}
	case IsPermanent(err) || int(attempt) >= q.o.MaxAttempts:
		log.Error("call given up", slog.Int64("attempts", attempt), slog.Any("err", err))
		q.giveUp(ctx, m.ID, c, int(attempt), err)
	case IsMaybePlaced(err) && !q.idempotent:
		log.Error("the provider may have placed this call; it is not dialed again", slog.Any("err", err))
		q.giveUp(ctx, m.ID, c, int(attempt), fmt.Errorf("the call may have been placed and was not dialed again: %w", err))
	default:
		wait := q.backoff(int(attempt))
		log.Warn("call failed; will retry", slog.Int64("attempt", attempt), slog.Duration("in", wait), slog.Any("err", err))
		due := q.now().Add(wait).UnixMilli()
		q.settle(ctx, m.ID, func(p redis.Pipeliner) {
			p.HSet(ctx, callKey(id), "state", stateRetry, "last_error", err.Error())
			p.ZAdd(ctx, retryKey, redis.Z{Score: float64(due), Member: id})
		})
	}
}

// dial calls the Dialer, turning a panic into an error carrying its stack.
func (q *Queue) dial(ctx context.Context, c Call) (r Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("dispatch: dialer panicked: %v\n%s", v, debug.Stack())
		}
	}()
	return q.o.Dialer.Dial(ctx, c)
}

// errBudgetLowered is why a call whose reservation no longer fits the
// daily budget is given up.
var errBudgetLowered = errors.New("the call does not fit the daily budget in force (lowered since it was allowed, or allowed without a reservation); not placed")

// giveUp moves c to the dead letters with err and releases its hold. Its
// reservation in the daily budget is released, or, when the call may
// have been placed (IsMaybePlaced), charged as placed.
func (q *Queue) giveUp(ctx context.Context, entry string, c Call, attempts int, err error) {
	cj, _ := json.Marshal(c)
	q.settle(ctx, entry, func(p redis.Pipeliner) {
		// A call given up before any dial has no record yet.
		p.HSetNX(ctx, callKey(c.ID), "call", cj)
		p.HSetNX(ctx, callKey(c.ID), "attempts", attempts)
		p.HSet(ctx, callKey(c.ID), "state", stateDead, "last_error", err.Error())
		p.PExpire(ctx, callKey(c.ID), q.o.RecordTTL)
		p.XAdd(ctx, &redis.XAddArgs{
			Stream: deadKey, MaxLen: q.o.DeadLetterLen, Approx: true,
			Values: []any{"id", c.ID, "call", cj, "attempts", attempts, "error", err.Error(), "at", q.now().UnixMilli()},
		})
		p.XTrimMinID(ctx, deadKey, q.decisions.retainedFrom())
	})
	q.release(ctx, c)
	switch {
	case IsMaybePlaced(err):
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := q.o.Placed(pctx, risk.PlacedCall{ID: c.ID, Number: c.Number, Country: c.Country, RequestedAt: c.RequestedAt}); err != nil {
			q.log.Error("charging a call that may have been placed to caps and spend", slog.String("id", c.ID), slog.Any("err", err))
		}
	case q.o.Budget != nil:
		if err := q.o.Budget.Unreserve(context.WithoutCancel(ctx), c.ID, c.RequestedAt); err != nil {
			q.log.Error("releasing a given-up call's budget reservation; it lapses with the day", slog.String("id", c.ID), slog.Any("err", err))
		}
	}
}

// settle acknowledges and deletes stream entry together with what also
// adds, in one transaction, so a call's new state and the end of its
// delivery are never seen apart. While the {calls} slot migrates between
// cluster nodes the transaction is sent again, for up to
// settleTryAgainFor: a call dialed but left unsettled would be given up as
// maybe placed when reclaimed.
func (q *Queue) settle(ctx context.Context, entry string, also func(redis.Pipeliner)) {
	ctx = context.WithoutCancel(ctx)
	err := retryTryAgain(ctx, settleTryAgainFor, func() error {
		_, err := q.o.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
			if also != nil {
				also(p)
			}
			p.XAck(ctx, queueKey, groupName, entry)
			p.XDel(ctx, queueKey, entry)
			return nil
		})
		return err
	})
	if err != nil {
		q.log.Error("settling a call; its entry stays pending and is reclaimed", slog.String("entry", entry), slog.Any("err", err))
	}
}

// backoff is the wait before the retry following attempt: BackoffBase
// doubled per attempt, at most BackoffMax, with ±20% jitter so failed
// calls do not retry in step.
func (q *Queue) backoff(attempt int) time.Duration {
	d := q.o.BackoffBase
	for i := 1; i < attempt && d < q.o.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, q.o.BackoffMax)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// turn takes one unit of the country's and the global dial rate, or says
// how long to wait for it. A country unit taken when the global rate then
// refuses is lost, which errs on the side of calling less.
func (q *Queue) turn(ctx context.Context, country string) (time.Duration, error) {
	global, perCountry := q.o.Rates()
	if perCountry > 0 && country != "" {
		if wait, err := q.take(ctx, "tg:dial:country:"+country, perCountry); err != nil || wait > 0 {
			return wait, err
		}
	}
	if global > 0 {
		return q.take(ctx, "tg:dial:all", global)
	}
	return 0, nil
}

// take takes one unit of perMinute under key, or says how long to wait.
func (q *Queue) take(ctx context.Context, key string, perMinute int) (time.Duration, error) {
	res, err := q.limiter.Allow(ctx, key, redis_rate.PerMinute(perMinute))
	if err != nil || res.Allowed > 0 {
		return 0, err
	}
	return res.RetryAfter, nil
}
