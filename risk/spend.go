package risk

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Placed calls are counted per number per clock hour and UTC day, under
// the number's hash tag, and their estimated cost per UTC day under one
// tag of its own. The keys expire a window after their period ends.
func placedHourKey(e164 string, t time.Time) string {
	return key(numberTag(e164), "placed:h"+strconv.FormatInt(t.Unix()/3600, 10))
}

func placedDayKey(e164 string, t time.Time) string {
	return key(numberTag(e164), "placed:d"+strconv.FormatInt(t.Unix()/86400, 10))
}

func spendKey(t time.Time) string {
	return "tg:{spend}:d" + strconv.FormatInt(t.Unix()/86400, 10)
}

// spendReads are the pipeline commands of a decision's spend checks.
type spendReads struct {
	placed *redis.SliceCmd
	spent  *redis.StringCmd
}

// queueSpend adds the reads the spend caps need, when any is set.
func queueSpend(ctx context.Context, p redis.Pipeliner, sp Spend, e164 string, now time.Time) spendReads {
	var r spendReads
	if sp.NumberPerHour > 0 || sp.NumberPerDay > 0 {
		r.placed = p.MGet(ctx, placedHourKey(e164, now), placedDayKey(e164, now))
	}
	if sp.DailyBudget > 0 {
		r.spent = p.Get(ctx, spendKey(now))
	}
	return r
}

// spend adds the reasons of caps the request would go past.
func (sc scorer) spend(r spendReads, country string) (budgetSpent bool) {
	sp := sc.s.Spend
	if r.placed != nil {
		v := r.placed.Val()
		hour, day := intOf(v, 0), intOf(v, 1)
		switch {
		case sp.NumberPerDay > 0 && day >= int64(sp.NumberPerDay):
			sc.add(CodeNumberCapDay, fmt.Sprintf("%d calls placed to this number today (cap %d)", day, sp.NumberPerDay))
		case sp.NumberPerHour > 0 && hour >= int64(sp.NumberPerHour):
			sc.add(CodeNumberCapHour, fmt.Sprintf("%d calls placed to this number this hour (cap %d)", hour, sp.NumberPerHour))
		}
	}
	if r.spent != nil {
		spent, _ := strconv.ParseInt(r.spent.Val(), 10, 64)
		if cost := sp.cost(country); spent+cost > sp.DailyBudget {
			sc.add(CodeBudgetExhausted, fmt.Sprintf("daily budget %d spent (%d so far, a call to %s costs %d)", sp.DailyBudget, spent, country, cost))
			return true
		}
	}
	return false
}

func intOf(v []any, i int) int64 {
	if i >= len(v) {
		return 0
	}
	s, _ := v[i].(string)
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// RecordPlaced counts a call a provider accepted to number in country
// against the per-number caps and the daily budget.
func (e *Engine) RecordPlaced(ctx context.Context, number, country string) error {
	now := e.now()
	cost := e.active.Load().Spend.cost(country)
	hour, day, spent := placedHourKey(number, now), placedDayKey(number, now), spendKey(now)
	err := e.exec(ctx, func(p redis.Pipeliner) {
		p.Incr(ctx, hour)
		p.Expire(ctx, hour, 2*time.Hour)
		p.Incr(ctx, day)
		p.Expire(ctx, day, 48*time.Hour)
		p.IncrBy(ctx, spent, cost)
		p.Expire(ctx, spent, 48*time.Hour)
	})
	if err != nil {
		return fmt.Errorf("risk: recording a placed call: %w", err)
	}
	return nil
}

// SpentToday returns the estimated cost of the calls placed today (UTC),
// in minor units.
func (e *Engine) SpentToday(ctx context.Context) (int64, error) {
	n, err := e.rdb.Get(ctx, spendKey(e.now())).Int64()
	if err == redis.Nil {
		return 0, nil
	}
	return n, err
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
