package risk

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// counter is one sliding-window counter of a decision. Each window keeps
// a count per bucket of its own length, in a key that expires two buckets
// after its TTL was set; the estimate is the current bucket plus the
// previous one weighted by how much of it the sliding window still covers.
// Plain commands do it, so the decision needs no script: INCR per window,
// PEXPIRE unless the bucket is known to have its TTL (expiring), and the
// previous buckets read with the decision's other reads (rd).
type counter struct {
	limits  []Limit
	keys    []string
	cur     []*redis.IntCmd
	skipped []bool
	rd      *reads
	prev    []int
	// prevSources, for a distinct-source counter (queueSources), counts
	// the previous buckets' sources; prev is then unused.
	prevSources []*redis.IntCmd
	// readOnly marks a distinct-source counter that only counted: settle
	// has nothing of its buckets to remember or repair.
	readOnly bool
	counts   []int64
}

// queueCounter adds the commands of a counter to p and its reads to rd.
func queueCounter(ctx context.Context, p redis.Pipeliner, rd *reads, x *expiring, tag string, ls []Limit, now time.Time) *counter {
	if len(ls) == 0 {
		return nil
	}
	m := len(ls)
	c := &counter{limits: ls, keys: make([]string, m), cur: make([]*redis.IntCmd, m), skipped: make([]bool, m), rd: rd, prev: make([]int, m)}
	ms := now.UnixMilli()
	for i, l := range ls {
		w := time.Duration(l.Window).Milliseconds()
		bucket := ms / w
		k := windowKey(tag, w, bucket)
		c.keys[i] = k
		c.cur[i] = p.Incr(ctx, k)
		if c.skipped[i] = x.has(k); !c.skipped[i] {
			p.PExpire(ctx, k, 2*time.Duration(l.Window))
		}
		c.prev[i] = rd.add(windowKey(tag, w, bucket-1))
	}
	return c
}

// queueSources adds the commands of a distinct-source counter to p: per
// window, a HyperLogLog per bucket of the sources (subscriberID) that
// asked for the thing tag names. A source asking again, however often,
// adds nothing to a bucket, so a flood from one address cannot raise a
// count that other visitors are judged by. The sliding estimate is the
// current bucket's count plus the previous bucket's, weighted by how much
// of it the window still covers, as for request counters: a source in
// both buckets may count up to twice. (PFCOUNT of both buckets together
// would count it once, but merging two HyperLogLogs on every decision
// doubled Redis's CPU per decision.)
//
// With write false the source is not added, only counted against: for a
// request its own source already refuses (see beforeCounting).
func queueSources(ctx context.Context, p redis.Pipeliner, x *expiring, tag, source string, write bool, ls []Limit, now time.Time) *counter {
	if len(ls) == 0 {
		return nil
	}
	m := len(ls)
	c := &counter{limits: ls, keys: make([]string, m), cur: make([]*redis.IntCmd, m), prevSources: make([]*redis.IntCmd, m), skipped: make([]bool, m), readOnly: !write}
	ms := now.UnixMilli()
	for i, l := range ls {
		w := time.Duration(l.Window).Milliseconds()
		bucket := ms / w
		k, prev := sourcesKey(tag, w, bucket), sourcesKey(tag, w, bucket-1)
		c.keys[i] = k
		if write {
			p.PFAdd(ctx, k, source)
		}
		c.cur[i] = p.PFCount(ctx, k)
		c.prevSources[i] = p.PFCount(ctx, prev)
		if c.skipped[i] = !write || x.has(k); !c.skipped[i] {
			p.PExpire(ctx, k, 2*time.Duration(l.Window))
		}
	}
	return c
}

// settle finishes counters once their pipeline ran: it computes their
// sliding counts, remembers the buckets given a TTL and counted again, and
// sets the TTL of any bucket whose PEXPIRE was skipped but whose INCR
// created it anew. Nil counters are skipped.
func (e *Engine) settle(ctx context.Context, now time.Time, cs ...*counter) {
	type fix struct {
		key string
		ttl time.Duration
	}
	var fixes []fix
	for _, c := range cs {
		if c == nil {
			continue
		}
		c.estimate(now)
		if c.readOnly {
			continue
		}
		for i, k := range c.keys {
			switch n := c.cur[i].Val(); {
			case c.skipped[i] && n == 1:
				e.expiring.forget(k)
				fixes = append(fixes, fix{k, 2 * time.Duration(c.limits[i].Window)})
			case !c.skipped[i] && n >= 2:
				e.expiring.put(k)
			}
		}
	}
	if len(fixes) == 0 {
		return
	}
	// The decision's budget may be all but spent: the repair gets a short
	// deadline of its own, or a bucket left without a TTL would never
	// expire once its time is past and nothing counts in it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ttlRepairTimeout)
	defer cancel()
	err := e.exec(ctx, nil, func(p redis.Pipeliner) {
		for _, f := range fixes {
			p.PExpire(ctx, f.key, f.ttl)
		}
	})
	if err != nil {
		e.log.Warn("TTL of a re-created counter bucket not set; the bucket's next increment sets it", "err", err)
	}
}

// ttlRepairTimeout bounds settle's repair of a re-created bucket's TTL.
const ttlRepairTimeout = time.Second

// forgetSkipped makes the next increments of the buckets whose PEXPIRE was
// skipped send it again, after a pipeline that failed: an INCR that ran may
// have re-created such a bucket without a TTL, which settle never saw.
func (e *Engine) forgetSkipped(cs ...*counter) {
	for _, c := range cs {
		if c == nil {
			continue
		}
		for i, k := range c.keys {
			if c.skipped[i] {
				e.expiring.forget(k)
			}
		}
	}
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
		var p int64
		if c.prevSources != nil {
			p = c.prevSources[i].Val()
		} else {
			p = c.rd.int(c.prev[i])
		}
		c.counts[i] = c.cur[i].Val() + int64(float64(p)*covered+0.5)
	}
}
