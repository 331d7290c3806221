package contactflows

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Events Challenges counts in the stats.
const (
	// StatIssued counts codes issued.
	StatIssued = "issued"
	// StatPassed counts challenges passed.
	StatPassed = "passed"
	// StatFailed counts challenges whose attempts were used up.
	StatFailed = "failed"
	// StatExpired counts expired challenges a Verify saw; one nobody tried
	// to verify after its TTL is not counted.
	StatExpired = "expired"
)

// Events the IVR surface counts beside the challenges' own.
const (
	// StatScreened counts callers screened.
	StatScreened = "screened"
	// StatScreenPassed counts callers the screening let through without a
	// code.
	StatScreenPassed = "screen_passed"
	// StatDisconnected counts callers the screening blocked.
	StatDisconnected = "disconnected"
)

// statsTTL is how long a day's stats are kept.
const statsTTL = 40 * 24 * time.Hour

// statsKey is day's stats, the UTC day day falls on: a hash whose fields
// are "<flow>|<event>". Every flow's stats share the {stats} hash tag, one
// slot, and are kept 40 days.
func statsKey(day time.Time) string { return "tg:{stats}:d" + day.UTC().Format("20060102") }

// Count adds one to flow's event for today, in UTC by the Challenges'
// clock, for events counted elsewhere, such as screening outcomes. The
// event must not be empty or contain '|'.
func (c *Challenges) Count(ctx context.Context, flow, event string) error {
	return c.countAt(ctx, c.o.Now(), flow, event)
}

func (c *Challenges) countAt(ctx context.Context, now time.Time, flow, event string) error {
	if flow == "" || event == "" || strings.Contains(event, "|") {
		return fmt.Errorf("contactflows: counting %q for flow %q: need a flow and an event without '|'", event, flow)
	}
	key := statsKey(now)
	_, err := c.o.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HIncrBy(ctx, key, flow+"|"+event, 1)
		p.Expire(ctx, key, statsTTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("contactflows: counting %s for flow %s: %w", event, flow, err)
	}
	return nil
}

// Stats returns the counters of the UTC day day falls on, flow by flow:
// flow, then event, then count. A day with nothing counted, or older than
// 40 days, has no flows.
func (c *Challenges) Stats(ctx context.Context, day time.Time) (map[string]map[string]int64, error) {
	m, err := c.o.Redis.HGetAll(ctx, statsKey(day)).Result()
	if err != nil {
		return nil, fmt.Errorf("contactflows: reading challenge stats: %w", err)
	}
	out := make(map[string]map[string]int64)
	var errs []error
	for field, v := range m {
		i := strings.LastIndexByte(field, '|')
		if i < 0 {
			errs = append(errs, fmt.Errorf("contactflows: stats field %q has no event", field))
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("contactflows: stats field %q: %w", field, err))
			continue
		}
		flow, event := field[:i], field[i+1:]
		if out[flow] == nil {
			out[flow] = make(map[string]int64)
		}
		out[flow][event] = n
	}
	return out, errors.Join(errs...)
}
