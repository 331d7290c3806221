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

// spendReads are the reads of a decision's spend checks: handles in rd,
// -1 for what is not read.
type spendReads struct {
	rd               *reads
	hour, day, spent int
}

// queueSpend adds to rd the reads the spend caps need, when any is set.
func queueSpend(rd *reads, sp Spend, e164 string, now time.Time) spendReads {
	r := spendReads{rd: rd, hour: -1, day: -1, spent: -1}
	if sp.NumberPerHour > 0 || sp.NumberPerDay > 0 {
		r.hour, r.day = rd.add(placedHourKey(e164, now)), rd.add(placedDayKey(e164, now))
	}
	if sp.DailyBudget > 0 {
		r.spent = rd.add(spendKey(now))
	}
	return r
}

// spend adds the reasons of caps the request would go past.
func (sc scorer) spend(r spendReads, country string) (budgetSpent bool) {
	sp := sc.s.Spend
	if r.hour >= 0 {
		hour, day := r.rd.int(r.hour), r.rd.int(r.day)
		switch {
		case sp.NumberPerDay > 0 && day >= int64(sp.NumberPerDay):
			sc.add(CodeNumberCapDay, fmt.Sprintf("%d calls placed to this number today (cap %d)", day, sp.NumberPerDay))
		case sp.NumberPerHour > 0 && hour >= int64(sp.NumberPerHour):
			sc.add(CodeNumberCapHour, fmt.Sprintf("%d calls placed to this number this hour (cap %d)", hour, sp.NumberPerHour))
		}
	}
	if r.spent >= 0 {
		spent := r.rd.int(r.spent)
		if cost := sp.cost(country); spent+cost > sp.DailyBudget {
			sc.add(CodeBudgetExhausted, fmt.Sprintf("daily budget %d spent (%d so far, a call to %s costs %d)", sp.DailyBudget, spent, country, cost))
			return true
		}
	}
	return false
}

// RecordPlaced counts a call a provider accepted to number in country
// against the per-number caps and the daily budget.
func (e *Engine) RecordPlaced(ctx context.Context, number, country string) error {
	now := e.now()
	cost := e.active.Load().Spend.cost(country)
	hour, day, spent := placedHourKey(number, now), placedDayKey(number, now), spendKey(now)
	err := e.exec(ctx, nil, func(p redis.Pipeliner) {
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
