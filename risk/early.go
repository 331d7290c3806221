package risk

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
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
	sc.known(e.geoGaps, x.req, d.FlowBound, x.num, x.info, lk)
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
	e.hot.mark(x.addr, &d, now)
	e.paces.wait(ctx, start, e.inFlight.Load())
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
func (e *Engine) shown(s *compiled, x request, bound, fits bool, own ownCounts, account accountReads, spentOut bool, now time.Time) Action {
	var d Decision
	sc := scorer{s: s, d: &d, now: now}
	sc.reasons(e.geoGaps)
	sc.destination(x.req.Flow, bound, x.num, x.info)
	sc.anonymity(x.info)
	sc.volume(own, ownShared(s, x.info.ASN, s.shared[x.info.ASN], x.ip.Is4(), own))
	sc.visitor(x.req, fits, account)
	if spentOut {
		sc.add(CodeBudgetExhausted, "")
	}
	sc.reasons(x.req.Extra)
	var seen tally
	for _, r := range d.Reasons {
		if !hidden(r.Code) {
			seen.add(r)
		}
	}
	return seen.action(s)
}

// paces holds how long recent whole decisions took, from the start of
// Evaluate to their answer, for early refusals to take as long.
type paces struct {
	mu   sync.Mutex
	took [paceSamples]time.Duration
	n    int
}

const (
	// paceSamples is how many recent decisions an early refusal draws from.
	paceSamples = 256
	// paceDefault is what an early refusal takes before any whole decision
	// was timed.
	paceDefault = 2 * time.Millisecond
	// timerSlack is how late a timer may fire on an idle process: the
	// runtime's poller sleeps in whole milliseconds.
	timerSlack = time.Millisecond
)

// observe records how long a whole decision took.
func (p *paces) observe(took time.Duration) {
	p.mu.Lock()
	p.took[p.n%paceSamples] = took
	p.n++
	p.mu.Unlock()
}

// draw returns one of the recent durations, at random.
func (p *paces) draw() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == 0 {
		return paceDefault
	}
	return p.took[rand.IntN(min(p.n, paceSamples))]
}

// wait returns once a drawn duration has passed since start, or ctx ends.
// A timer alone would overshoot by up to timerSlack on an idle process,
// where whole decisions take well under it, and the overshoot would tell
// an early refusal apart: there, the last stretch is spun, yielding the
// processor at every turn. With more decisions in flight than processors
// (inFlight) the process is busy, its timers fire on time, and spinning
// would only take processor time from the work.
func (p *paces) wait(ctx context.Context, start time.Time, inFlight int32) {
	until := start.Add(p.draw())
	spin := inFlight <= int32(runtime.GOMAXPROCS(0))
	left := time.Until(until)
	if spin {
		left -= timerSlack
	}
	if left > 0 {
		t := time.NewTimer(left)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
	for spin && time.Now().Before(until) && ctx.Err() == nil {
		runtime.Gosched()
	}
}
