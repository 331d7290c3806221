package contactflows

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/spike"
)

// countSpikes adds d to the spike detector's minute counts on p, in the
// transaction that logs d (their keys share the {calls} tag).
func (q *Queue) countSpikes(ctx context.Context, p redis.Pipeliner, d risk.Decision) {
	s := q.o.Spikes()
	if s.Off() {
		return
	}
	at := d.At
	if at.IsZero() {
		at = q.now()
	}
	spike.Count(ctx, p, d, at, s.Keep())
}
