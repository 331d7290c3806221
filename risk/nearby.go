package risk

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Nearby numbers: a range walked number by number from rotating addresses
// shows as many distinct numbers, from as many addresses, within about 100
// of each other (nearby_numbers_*).

// nearbyBlock is the block of 100 numbers e164 belongs to (the E.164 form
// without its last two digits), with the blocks just below and above it,
// the unit sequential enumeration moves through. ok is false for numbers
// too short to have neighbours.
func nearbyBlock(e164 string) (block, below, above string, ok bool) {
	digits := strings.TrimPrefix(e164, "+")
	if len(digits) < 6 || len(digits) > 15 {
		return "", "", "", false
	}
	head := digits[:len(digits)-2]
	n, err := strconv.ParseInt(head, 10, 64)
	if err != nil {
		return "", "", "", false
	}
	pad := func(v int64) string {
		s := strconv.FormatInt(v, 10)
		return "+" + strings.Repeat("0", max(len(head)-len(s), 0)) + s
	}
	return "+" + head, pad(n - 1), pad(n + 1), true
}

// nearbyReads are the commands counting what was asked for near a number:
// for the numbers and for the sources asking for them, the own block's
// set, trimmed to the window, and the two neighbouring blocks' sets.
type nearbyReads struct {
	counts [2][3]*redis.IntCmd
	// own are the request's source's last times in the neighbouring
	// blocks' source sets, so that one source is counted once.
	own   [2]*redis.FloatCmd
	since float64
}

// queueNearby adds the request's number and source to its block's sets
// and counts, in the window l, the distinct numbers and distinct sources
// seen in that block and the two beside it. The signal is the smaller of
// the two: a range walked from rotating addresses raises both, while one
// address asking for numbers beside a victim's raises only the numbers
// (it can bring the victim's request to the warning, never to the
// critical threshold), and several addresses asking for one number raise
// only the sources (distinct_ips_per_number's signal).
//
// With write false nothing is added, only counted (see sourceRefused).
func queueNearby(ctx context.Context, p redis.Pipeliner, e164, source string, write bool, l Limit, now time.Time) nearbyReads {
	block, below, above, ok := nearbyBlock(e164)
	if !ok || l.Window <= 0 {
		return nearbyReads{}
	}
	var r nearbyReads
	for i, what := range [...]string{"numbers", "sources"} {
		member := e164
		if i == 1 {
			member = source
		}
		if write {
			r.counts[i][0] = queueDistinct(ctx, p, nearbyKey(block, what), member, l, now)
		} else {
			r.counts[i][0] = queueSeen(ctx, p, nearbyKey(block, what), l, now)
		}
		r.counts[i][1] = queueSeen(ctx, p, nearbyKey(below, what), l, now)
		r.counts[i][2] = queueSeen(ctx, p, nearbyKey(above, what), l, now)
	}
	r.own[0] = p.ZScore(ctx, nearbyKey(below, "sources"), source)
	r.own[1] = p.ZScore(ctx, nearbyKey(above, "sources"), source)
	r.since = float64(now.UnixMilli() - time.Duration(l.Window).Milliseconds())
	return r
}

// count is the smaller of the distinct numbers and the distinct sources
// the reads saw, the request's own included, and counted once: one
// address asking for numbers in neighbouring blocks is one source.
func (r nearbyReads) count() *redis.IntCmd {
	if r.counts[0][0] == nil {
		return nil
	}
	var sums [2]int64
	for i := range r.counts {
		for _, c := range r.counts[i] {
			sums[i] += c.Val()
		}
	}
	for _, own := range r.own {
		// Counted in a neighbour within the window, and in the own block
		// too when this request was written or asked there before.
		if own.Err() == nil && own.Val() > r.since {
			sums[1]--
		}
	}
	sums[1] = max(sums[1], 1)
	total := redis.NewIntCmd(context.Background())
	total.SetVal(min(sums[0], sums[1]))
	return total
}
