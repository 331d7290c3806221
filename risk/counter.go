package risk

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// counter is one sliding-window counter of a decision. Each window keeps
// a count per bucket of its own length, in a key that expires after two
// buckets; the estimate is the current bucket plus the previous one weighted
// by how much of it the sliding window still covers. Plain commands do it,
// so the decision needs no script: INCR and PEXPIRE per window, and the
// previous buckets read with the decision's other reads (rd).
type counter struct {
	limits []Limit
	cur    []*redis.IntCmd
	rd     *reads
	prev   []int
	counts []int64
}

// queueCounter adds the commands of a counter to p and its reads to rd.
func queueCounter(ctx context.Context, p redis.Pipeliner, rd *reads, tag string, ls []Limit, now time.Time) *counter {
	if len(ls) == 0 {
		return nil
	}
	c := &counter{limits: ls, cur: make([]*redis.IntCmd, len(ls)), rd: rd, prev: make([]int, len(ls))}
	ms := now.UnixMilli()
	for i, l := range ls {
		w := time.Duration(l.Window).Milliseconds()
		bucket := ms / w
		k := windowKey(tag, w, bucket)
		c.cur[i] = p.Incr(ctx, k)
		p.PExpire(ctx, k, 2*time.Duration(l.Window))
		c.prev[i] = rd.add(windowKey(tag, w, bucket-1))
	}
	return c
}

func windowKey(tag string, windowMS, bucket int64) string {
	return "tg:" + tag + ":w" + strconv.FormatInt(windowMS, 10) + ":" + strconv.FormatInt(bucket, 10)
}

// estimate computes the sliding counts once the pipeline ran.
func (c *counter) estimate(now time.Time) {
	if c == nil {
		return
	}
	ms := now.UnixMilli()
	c.counts = make([]int64, len(c.limits))
	for i, l := range c.limits {
		w := time.Duration(l.Window).Milliseconds()
		covered := 1 - float64(ms%w)/float64(w)
		p := c.rd.int(c.prev[i])
		c.counts[i] = c.cur[i].Val() + int64(float64(p)*covered+0.5)
	}
}
