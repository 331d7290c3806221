package dispatch

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// OldestQueued returns when the oldest call still on the queue stream,
// waiting or being dialed, was put there (a retry is put back when due), or
// the zero time when the stream is empty. Placed and given-up calls leave
// the stream, so a time far back means the workers are stuck or too few.
func (q *Queue) OldestQueued(ctx context.Context) (time.Time, error) {
	msgs, err := q.o.Redis.XRangeN(ctx, queueKey, "-", "+", 1).Result()
	if err != nil {
		return time.Time{}, fmt.Errorf("dispatch: reading the queue's oldest entry: %w", err)
	}
	if len(msgs) == 0 {
		return time.Time{}, nil
	}
	return streamTime(msgs[0].ID)
}

// streamTime is the time in a stream entry id, <milliseconds>-<sequence>.
func streamTime(id string) (time.Time, error) {
	ms, _, _ := strings.Cut(id, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("dispatch: stream entry id %q holds no time", id)
	}
	return time.UnixMilli(n), nil
}
