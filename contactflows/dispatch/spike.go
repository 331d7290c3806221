package dispatch

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/spike"
)

// countSpikes adds d to the spike detector's minute counts on p, in the
// transaction that logs d (their keys share the {calls} tag).
func (l *DecisionLog) countSpikes(ctx context.Context, p redis.Pipeliner, d risk.Decision, now time.Time, renewed *[]string) {
	s := l.spikes()
	if s.Off() {
		return
	}
	at := d.At
	if at.IsZero() {
		at = now
	}
	spike.Count(ctx, p, d, at, s.Keep(), func(k string) bool { return l.renew(k, now, renewed) })
}
