package risk

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// spendReads are the reads of a decision's per-number caps: handles in
// rd, -1 for what is not read.
type spendReads struct {
	rd        *reads
	hour, day int
}

// queueSpend adds to rd the reads the per-number caps need, when any is set.
func queueSpend(rd *reads, sp Spend, e164 string, now time.Time) spendReads {
	r := spendReads{rd: rd, hour: -1, day: -1}
	if sp.NumberPerHour > 0 || sp.NumberPerDay > 0 {
		r.hour, r.day = rd.add(placedHourKey(e164, now)), rd.add(placedDayKey(e164, now))
	}
	return r
}

// spend adds the reasons of the per-number caps the request would go past.
func (sc scorer) spend(r spendReads) {
	sp := sc.s.Spend
	if r.hour < 0 {
		return
	}
	hour, day := r.rd.int(r.hour), r.rd.int(r.day)
	switch {
	case sp.NumberPerDay > 0 && day >= int64(sp.NumberPerDay):
		sc.add(CodeNumberCapDay, fmt.Sprintf("%d calls placed to this number today (cap %d)", day, sp.NumberPerDay))
	case sp.NumberPerHour > 0 && hour >= int64(sp.NumberPerHour):
		sc.add(CodeNumberCapHour, fmt.Sprintf("%d calls placed to this number this hour (cap %d)", hour, sp.NumberPerHour))
	}
}

// PlacedCall is a call a provider accepted, as RecordPlaced counts it.
type PlacedCall struct {
	// ID is the call's id: the id of the decision that allowed it, which
	// holds its reservation in the daily budget.
	ID string
	// Number is the E.164 number called; Country its ISO region.
	Number, Country string
	// RequestedAt is when the decision was made: its reservation is in
	// that UTC day's budget.
	RequestedAt time.Time
}

// RecordPlaced counts a call a provider accepted against the per-number
// caps and turns its reservation in the daily budget into spend (a call
// allowed with no budget set is charged its estimated cost to today).
func (e *Engine) RecordPlaced(ctx context.Context, c PlacedCall) error {
	now := e.now()
	hour, day := placedHourKey(c.Number, now), placedDayKey(c.Number, now)
	err := e.exec(ctx, nil, func(p redis.Pipeliner) {
		p.Incr(ctx, hour)
		p.Expire(ctx, hour, 2*time.Hour)
		p.Incr(ctx, day)
		p.Expire(ctx, day, 48*time.Hour)
		e.queueCommit(ctx, p, c, now)
	})
	if err != nil {
		return fmt.Errorf("risk: recording a placed call: %w", err)
	}
	return nil
}
