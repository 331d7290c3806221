package risk

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The daily budget is reserved, not just checked: a decision that may be
// allowed reserves its call's estimated cost atomically in its own round
// trip, so simultaneous requests cannot all fit into the same remaining
// budget. The reservation is released off the request path when the
// decision is refused after all, or when its call is given up, and turned
// into spend when its call is placed. A UTC day's budget keeps three keys
// under the {calls} hash tag (budgetKey): what was spent, what is reserved,
// and the reservations by decision id (so releasing is idempotent).

// budgetKeep is how long a day's budget keys outlive their last write.
const budgetKeep = 48 * time.Hour

// reserveScript reserves ARGV[2] for decision ARGV[1] when what is spent
// and reserved leaves room for it within the budget ARGV[3]. It answers
// {1 reserved, 0 not; spent; reserved, this reservation included}.
var reserveScript = redis.NewScript(`
local spent = tonumber(redis.call('GET', KEYS[1]) or '0')
local reserved = tonumber(redis.call('GET', KEYS[2]) or '0')
local cost = tonumber(ARGV[2])
if spent + reserved + cost > tonumber(ARGV[3]) then
  return {0, spent, reserved}
end
redis.call('INCRBY', KEYS[2], cost)
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('HSET', KEYS[3], ARGV[1], cost)
redis.call('PEXPIRE', KEYS[3], ARGV[4])
return {1, spent, reserved + cost}
`)

// unreserveScript releases decision ARGV[1]'s reservation, if it holds one.
var unreserveScript = redis.NewScript(`
local cost = redis.call('HGET', KEYS[2], ARGV[1])
if not cost then
  return 0
end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('DECRBY', KEYS[1], cost)
return 1
`)

// commitScript turns decision ARGV[1]'s reservation into spend, or
// charges ARGV[2] when it holds none.
var commitScript = redis.NewScript(`
local cost = redis.call('HGET', KEYS[3], ARGV[1])
if cost then
  redis.call('HDEL', KEYS[3], ARGV[1])
  redis.call('DECRBY', KEYS[2], cost)
else
  cost = ARGV[2]
end
redis.call('INCRBY', KEYS[1], cost)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return cost
`)

// affordableScript answers 0 when the call of decision ARGV[1] no longer
// fits the budget ARGV[2]: its reservation on top of what was spent (the
// budget was lowered since), or, with no reservation (allowed in fail
// mode, or by an allow list that waived its source's refusal), its cost
// ARGV[3] on top of what was spent and reserved. Else 1.
var affordableScript = redis.NewScript(`
local budget = tonumber(ARGV[2])
if budget <= 0 then
  return 1
end
local spent = tonumber(redis.call('GET', KEYS[1]) or '0')
local cost = redis.call('HGET', KEYS[3], ARGV[1])
if cost then
  if spent + tonumber(cost) > budget then
    return 0
  end
  return 1
end
if spent + tonumber(redis.call('GET', KEYS[2]) or '0') + tonumber(ARGV[3]) > budget then
  return 0
end
return 1
`)

func budgetKeys(t time.Time) []string {
	return []string{budgetKey("spent", t), budgetKey("reserved", t), budgetKey("holds", t)}
}

// budgetHold is a decision's reservation in its pipeline.
type budgetHold struct {
	cmd  *redis.Cmd
	cost int64
}

// queueReserve adds the reservation of decision id's call to country to p.
func queueReserve(ctx context.Context, p redis.Pipeliner, sp Spend, id, country string, now time.Time) *budgetHold {
	cost := sp.cost(country)
	return &budgetHold{cost: cost, cmd: reserveScript.Eval(ctx, p, budgetKeys(now), id, cost, sp.DailyBudget, budgetKeep.Milliseconds())}
}

// reserved reports whether the hold was taken, and what was spent and
// reserved before it.
func (h *budgetHold) reserved() (ok bool, spent, reserved int64) {
	v, err := h.cmd.Int64Slice()
	if err != nil || len(v) != 3 {
		return false, 0, 0
	}
	return v[0] == 1, v[1], v[2]
}

// budget adds budget_exhausted when the hold could not be taken; ok
// reports whether it was.
func (sc scorer) budget(h *budgetHold, country string) (ok bool) {
	taken, spent, reserved := h.reserved()
	if !taken {
		sc.add(CodeBudgetExhausted, fmt.Sprintf("daily budget %d cannot pay for a call to %s costing %d (%d spent, %d reserved)", sc.s.Spend.DailyBudget, country, h.cost, spent, reserved))
	}
	return taken
}

// budgetRead reads whether the day's budget could still pay for a call,
// without reserving: what a visitor is shown when their request reserves
// nothing (shown) must still say when the budget is spent.
type budgetRead struct {
	rd              *reads
	spent, reserved int
	cost, budget    int64
}

// queueBudgetRead adds to rd the reads of today's budget, when there is
// one; nil otherwise.
func queueBudgetRead(rd *reads, sp Spend, country string, now time.Time) *budgetRead {
	if sp.DailyBudget <= 0 {
		return nil
	}
	k := budgetKeys(now)
	return &budgetRead{rd: rd, spent: rd.add(k[0]), reserved: rd.add(k[1]), cost: sp.cost(country), budget: sp.DailyBudget}
}

// spentOut reports whether the call would not fit, by reserveScript's test.
func (b *budgetRead) spentOut() bool {
	return b != nil && b.rd.int(b.spent)+b.rd.int(b.reserved)+b.cost > b.budget
}

// queueCommit adds to p what turns c's reservation into spend.
func (e *Engine) queueCommit(ctx context.Context, p redis.Pipeliner, c PlacedCall, now time.Time) {
	at := c.RequestedAt
	if at.IsZero() {
		at = now
	}
	commitScript.Eval(ctx, p, budgetKeys(at), c.ID, e.settings.active.Load().Spend.cost(c.Country), budgetKeep.Milliseconds())
}

// Unreserve releases the reservation decision id made in the daily budget
// of the day requested, if it holds one: for a call given up.
func (e *Engine) Unreserve(ctx context.Context, id string, requested time.Time) error {
	k := budgetKeys(requested)
	if err := unreserveScript.Run(ctx, e.rdb, k[1:], id).Err(); err != nil {
		return fmt.Errorf("risk: releasing a budget reservation: %w", err)
	}
	return nil
}

// Affordable reports whether the call of decision id to country,
// requested then, may still be dialled: its reservation fits the daily
// budget in force on top of what was spent; a call without a reservation
// fits on top of what is spent and reserved. With no budget, every call
// fits, without asking Redis.
func (e *Engine) Affordable(ctx context.Context, id, country string, requested time.Time) (bool, error) {
	sp := e.settings.active.Load().Spend
	if sp.DailyBudget <= 0 {
		return true, nil
	}
	n, err := affordableScript.Run(ctx, e.rdb, budgetKeys(requested), id, sp.DailyBudget, sp.cost(country)).Int64()
	if err != nil {
		return false, fmt.Errorf("risk: checking the budget before a dial: %w", err)
	}
	return n == 1, nil
}

// BudgetState is the daily budget's state for a UTC day, in minor units.
type BudgetState struct {
	// Spent is the estimated cost of the calls placed.
	Spent int64 `json:"spent"`
	// Reserved is held for calls allowed and not yet placed or given up.
	Reserved int64 `json:"reserved"`
}

// BudgetToday returns today's (UTC) spend and reservations.
func (e *Engine) BudgetToday(ctx context.Context) (BudgetState, error) {
	k := budgetKeys(e.now())
	v, err := e.rdb.MGet(ctx, k[0], k[1]).Result()
	if err != nil {
		return BudgetState{}, fmt.Errorf("risk: reading the budget: %w", err)
	}
	n := func(x any) int64 {
		s, _ := x.(string)
		i, _ := strconv.ParseInt(s, 10, 64)
		return i
	}
	return BudgetState{Spent: n(v[0]), Reserved: n(v[1])}, nil
}

// SpentToday returns the estimated cost of the calls placed today (UTC),
// in minor units.
func (e *Engine) SpentToday(ctx context.Context) (int64, error) {
	b, err := e.BudgetToday(ctx)
	return b.Spent, err
}

// alertBudget logs, once per UTC day and engine, that the daily budget is
// spent: from then on requests are deflected.
func (e *Engine) alertBudget(now time.Time, spent string) {
	day := now.Unix() / 86400
	if e.budgetAlerted.Swap(day) != day {
		e.log.Warn("ALERT: daily call budget spent; new callback requests are deflected until the UTC day ends or the budget is raised",
			"reason", CodeBudgetExhausted, "detail", spent)
	}
}
