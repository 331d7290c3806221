package risk

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// counter is one sliding-window counter of a decision. Each window keeps
// a count per bucket of its own length, in a key that expires two buckets
// after the request that created it; the estimate is the current bucket
// plus the previous one weighted by how much of it the sliding window still
// covers. One batch operation does it, all under one hash tag: INCR of each
// current bucket (and PEXPIRE when that created it) and one MGET of the
// previous buckets.
type counter struct {
	limits []Limit
	counts []int64
}

// counter adds the operation of a counter over the windows ls to b.
func (b *batch) counter(tag string, ls []Limit, now time.Time) *counter {
	if len(ls) == 0 {
		return nil
	}
	c := &counter{limits: ls}
	m := len(ls)
	keys := make([]string, 2*m)
	args := make([]any, 2, 2+m)
	args[0], args[1] = "c", m
	ms := now.UnixMilli()
	for i, l := range ls {
		w := time.Duration(l.Window).Milliseconds()
		bucket := ms / w
		keys[i] = windowKey(tag, w, bucket)
		keys[m+i] = windowKey(tag, w, bucket-1)
		args = append(args, 2*w)
	}
	b.add(keys, args, func(v any) { c.estimate(v, ms) })
	return c
}

func windowKey(tag string, windowMS, bucket int64) string {
	return "tg:" + tag + ":w" + strconv.FormatInt(windowMS, 10) + ":" + strconv.FormatInt(bucket, 10)
}

// estimate computes the sliding counts from the operation's reply: the
// current buckets' counts, then the previous buckets' values (nil when
// missing).
func (c *counter) estimate(reply any, ms int64) {
	v, _ := reply.([]any)
	m := len(c.limits)
	c.counts = make([]int64, m)
	for i, l := range c.limits {
		w := time.Duration(l.Window).Milliseconds()
		covered := 1 - float64(ms%w)/float64(w)
		var cur, p int64
		if i < len(v) {
			cur, _ = v[i].(int64)
		}
		if m+i < len(v) {
			if s, ok := v[m+i].(string); ok {
				p, _ = strconv.ParseInt(s, 10, 64)
			}
		}
		c.counts[i] = cur + int64(float64(p)*covered+0.5)
	}
}

// distinct adds the count of distinct members seen in the window l to b,
// keeping at most distinctCap(l) of the newest: member is added with now as
// its score, older members dropped, and the set expires a window after its
// last addition.
func (b *batch) distinct(key, member string, l Limit, now time.Time) *redis.IntCmd {
	cmd := redis.NewIntCmd(context.Background())
	ms := now.UnixMilli()
	w := time.Duration(l.Window).Milliseconds()
	b.add([]string{key}, []any{"d", ms, member, "(" + strconv.FormatInt(ms-w, 10), distinctCap(l), w}, func(v any) {
		n, _ := v.(int64)
		cmd.SetVal(n)
	})
	return cmd
}
