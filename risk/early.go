package risk

import (
	"context"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Refusals before counting. Most of a hostile flood is refused by what an
// instance holds in memory: the number's type and destination, the
// country policy, the address's GeoIP facts, the deny lists (mirrored,
// see listMirror) and the handler's own reasons (form friction, a
// honeypot). Such a request need not pay for the counts other visitors
// are judged by. When those reasons alone refuse it (deflect or block),
// refuseEarly decides it in one small round trip that counts it against
// its own source (requests from its address and network, the numbers and
// blocks it asked for) and reads whether the day's budget is spent, and
// in nothing else: a refused request adds nothing to a number's, a
// block's or a country's counts, takes no lock and reserves nothing.
//
// What the visitor is shown (shown) rests only on what they sent and did
// themselves, never on other visitors' requests or on the lists, so an
// early refusal shows exactly what the whole decision would have shown.
// It also takes as long: refuseEarly waits until a duration drawn from
// recent whole decisions has passed (paces), so its timing does not tell
// a listed number or address from another.
//
// The recorded action is what the known reasons give: a request that the
// whole decision would have blocked on its counts may be recorded as
// deflected. Either places no call.

// knownRefusal scores the reasons of x known before counting on a copy of
// d. refused is true when they deflect or block it; a request with a
// visitor token is never refused here (its account's counts may vouch for
// it).
func (e *Engine) knownRefusal(s *compiled, x request, d Decision, lk lookups, now time.Time) (early Decision, refused bool) {
	sc := scorer{s: s, d: &d, now: now}
	sc.known(x.gaps, x.req, d.FlowBound, x.num, x.info, lk)
	sc.visitor(x.req, true, accountReads{})
	sc.reasons(x.req.Extra)
	return d, sc.action() != Allow
}

// refuseEarly finishes a decision that knownRefusal refused: the round
// trip of the request's own counts and the budget, the volume reasons,
// and the wait.
func (e *Engine) refuseEarly(ctx context.Context, s *compiled, x request, d Decision, start, now time.Time) (Decision, error) {
	var own ownCounts
	var budget *budgetRead
	rd := newReads(e.cluster)
	err := e.exec(ctx, rd, func(p redis.Pipeliner) {
		own = queueOwn(ctx, p, rd, e.expiring, s, x.ip, x.sub, x.num.e164, now)
		budget = queueBudgetRead(rd, s.Spend, x.num.country, now)
	})
	if err != nil {
		e.forgetSkipped(own.ip, own.net)
		return Decision{}, fmt.Errorf("risk: evaluate: %w", err)
	}
	e.settle(ctx, now, own.ip, own.net)
	sc := scorer{s: s, d: &d, now: now, waived: d.Has(CodeAllowIP)}
	sc.volume(own, ownShared(s, x.info.ASN, s.shared[x.info.ASN], x.ip.Is4(), own))
	sc.waived = false
	spentOut := budget.spentOut()
	if spentOut {
		sc.add(CodeBudgetExhausted, fmt.Sprintf("daily budget %d cannot pay for a call to %s costing %d", s.Spend.DailyBudget, x.num.country, budget.cost))
	}
	d.Action = sc.action()
	d.Visible = e.shown(s, x, d.FlowBound, true, own, accountReads{}, spentOut, now)
	if !e.replay {
		e.paces.wait(ctx, start, x.pace)
	}
	return d, nil
}

// shown is the action the visitor's answer shows (Decision.Visible). It
// rests on what the visitor sent and did, and on nothing else: the
// number's type and destination, the address's country and anonymity, the
// form and the visitor token, the volume of the visitor's own address and
// account, and whether the day's budget is spent (spentOut), which every
// visitor sees alike. The lists, the country policy, other visitors'
// requests (a number's or a block's sources, nearby numbers, rings),
// outstanding callbacks and spend caps do not enter it: an attacker who
// sees only answers cannot read them, and a request refused before
// counting shows what the whole decision would have.
//
// It also marks the visitor's source hot (hotSources) when these reasons,
// its own, say so: whether a source is hot changes what its next answers
// show (a visitor token from a hot source vouches for nothing), so it too
// rests on the visitor's own requests alone, and no allow list spares it.
func (e *Engine) shown(s *compiled, x request, bound, fits bool, own ownCounts, account accountReads, spentOut bool, now time.Time) Action {
	var d Decision
	sc := scorer{s: s, d: &d, now: now}
	sc.reasons(x.gaps)
	sc.destination(x.req.Flow, bound, x.num, x.info)
	sc.anonymity(x.info)
	sc.volume(own, ownShared(s, x.info.ASN, s.shared[x.info.ASN], x.ip.Is4(), own))
	sc.visitor(x.req, fits, account)
	if spentOut {
		sc.add(CodeBudgetExhausted, "")
	}
	sc.reasons(x.req.Extra)
	e.hot.mark(x.addr, &d, now)
	return sc.seen()
}

// paces holds how long recent whole decisions took, from the start of
// Evaluate to their answer, by how busy the engine was when they started,
// for early refusals to take as long as a whole decision started as busy.
// Drawing from all whole decisions alike would let an attacker slow many of
// them with a burst of parallel requests, then time an early refusal, one
// at a time, against whole decisions that now answer quickly.
type paces struct {
	mu   sync.Mutex
	took [paceBuckets][paceSamples]time.Duration
	n    [paceBuckets]int
	// pacing counts the early refusals waiting: they are in flight but
	// busy with nothing.
	pacing atomic.Int32
	// precise counts the waits ending in a precise sleep; late is how late
	// such a sleep wakes, a moving average in nanoseconds.
	precise atomic.Int32
	late    atomic.Int64
}

const (
	// paceBuckets groups decisions by how many were being made when they
	// started, waits aside: 1, 2 to 3, 4 to 7, 8 to 15, 16 and more.
	paceBuckets = 5
	// paceSamples is how many recent decisions of a bucket an early
	// refusal draws from.
	paceSamples = 64
	// timerSlack is how late a timer may fire on an idle process: the
	// runtime's poller sleeps in whole milliseconds.
	timerSlack = time.Millisecond
	// maxPrecise bounds the precise sleeps at once: each holds a thread.
	maxPrecise = 64
)

// paceBucket is the bucket of a decision started with busy decisions
// being made, itself included.
func paceBucket(busy int32) int { return min(bits.Len32(uint32(max(busy, 1)))-1, paceBuckets-1) }

// observe records how long a whole decision of bucket b took.
func (p *paces) observe(b int, took time.Duration) {
	p.mu.Lock()
	p.took[b][p.n[b]%paceSamples] = took
	p.n[b]++
	p.mu.Unlock()
}

// draw returns one of the recent durations of bucket b, at random, or of
// the nearest less busy bucket that has one; ok is false when none has.
func (p *paces) draw(b int) (took time.Duration, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for ; b >= 0; b-- {
		if n := min(p.n[b], paceSamples); n > 0 {
			return p.took[b][rand.IntN(n)], true
		}
	}
	return 0, false
}

// wait returns once a duration drawn for bucket b has passed since start,
// or ctx ends; with nothing to draw from, once the early refusal took
// twice what it took so far (a whole decision's round trip is a larger
// one). A timer sleeps most of the wait; it would fire up to timerSlack
// late on an idle process, where whole decisions take well under that, and
// the lateness would tell an early refusal apart: the last stretch is a
// precise sleep (preciseSleep).
func (p *paces) wait(ctx context.Context, start time.Time, b int) {
	p.pacing.Add(1)
	defer p.pacing.Add(-1)
	took, ok := p.draw(b)
	if !ok {
		took = 2 * time.Since(start)
	}
	until := start.Add(took)
	if left := time.Until(until) - timerSlack; left > 0 {
		t := time.NewTimer(left)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
	// Even a precise sleep wakes a little late (the kernel's slack, the
	// thread's wake-up): aim that much earlier, as measured.
	aim := until.Add(-time.Duration(p.late.Load()))
	if p.precise.Add(1) <= maxPrecise {
		preciseSleep(time.Until(aim))
		late := int64(time.Since(aim))
		p.late.Store(p.late.Load() + (late-p.late.Load())/16)
	} else {
		time.Sleep(time.Until(aim))
	}
	p.precise.Add(-1)
}
