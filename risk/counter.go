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
// so the decision needs no script: INCR and PEXPIRE per window and one MGET
// of the previous buckets, all under one hash tag.
type counter struct {
	limits []Limit
	cur    []*redis.IntCmd
	prev   *redis.SliceCmd
	counts []int64
}

// queueCounter adds the commands of a counter to p.
func queueCounter(ctx context.Context, p redis.Pipeliner, tag string, ls []Limit, now time.Time) *counter {
	if len(ls) == 0 {
		return nil
	}
	c := &counter{limits: ls, cur: make([]*redis.IntCmd, len(ls))}
	prevKeys := make([]string, len(ls))
	ms := now.UnixMilli()
	for i, l := range ls {
		w := time.Duration(l.Window).Milliseconds()
		bucket := ms / w
		k := windowKey(tag, w, bucket)
		c.cur[i] = p.Incr(ctx, k)
		p.PExpire(ctx, k, 2*time.Duration(l.Window))
		prevKeys[i] = windowKey(tag, w, bucket-1)
	}
	c.prev = p.MGet(ctx, prevKeys...)
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
	prev := c.prev.Val()
	c.counts = make([]int64, len(c.limits))
	for i, l := range c.limits {
		w := time.Duration(l.Window).Milliseconds()
		covered := 1 - float64(ms%w)/float64(w)
		var p int64
		if i < len(prev) {
			if s, ok := prev[i].(string); ok {
				p, _ = strconv.ParseInt(s, 10, 64)
			}
		}
		c.counts[i] = c.cur[i].Val() + int64(float64(p)*covered+0.5)
	}
}
