package dispatch

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// handBackTimeout bounds handing calls back at shutdown.
const handBackTimeout = 5 * time.Second

// handBackScript moves a pending entry of a consumer to the end of the
// stream as a new entry, undelivered, and acknowledges and deletes the old
// one, atomically: any worker reads it at once, rather than after the
// entry has been idle ClaimIdle. An entry no longer pending to the
// consumer is left alone.
//
// KEYS[1] stream; ARGV: group, entry id, consumer.
var handBackScript = redis.NewScript(`
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1, ARGV[3])
if #p == 0 then return 0 end
local e = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
if #e > 0 then redis.call('XADD', KEYS[1], '*', unpack(e[1][2])) end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return #e
`)

// handBack returns to the stream the calls delivered to this process's
// consumers and not acknowledged when Run stops: read as the context
// ended, or left pending by a Redis error. No dial of this process is in
// progress by then, so none is handed back while being dialled; a call a
// failed settle left marked as dialing is treated by its next reader as
// after a crash. It returns how many calls it handed back.
func (q *Queue) handBack() int {
	ctx, cancel := context.WithTimeout(context.Background(), handBackTimeout)
	defer cancel()
	consumers := []string{q.o.Consumer + "-reclaim"}
	for i := range q.o.Workers {
		consumers = append(consumers, fmt.Sprintf("%s-%d", q.o.Consumer, i))
	}
	n := 0
	for _, consumer := range consumers {
		pending, err := q.o.Redis.XPendingExt(ctx, &redis.XPendingExtArgs{
			Stream: queueKey, Group: groupName, Start: "-", End: "+", Count: 1000, Consumer: consumer,
		}).Result()
		if err != nil {
			q.log.Error("listing unacknowledged calls at shutdown; another instance reclaims them", slog.String("consumer", consumer), slog.Any("err", err))
			continue
		}
		for _, p := range pending {
			moved, err := handBackScript.Run(ctx, q.o.Redis, []string{queueKey}, groupName, p.ID, consumer).Int()
			if err != nil {
				q.log.Error("handing back a call at shutdown; another instance reclaims it", slog.String("entry", p.ID), slog.Any("err", err))
				continue
			}
			n += moved
		}
	}
	if n > 0 {
		q.log.Info("calls handed back to the queue at shutdown", slog.Int("calls", n))
	}
	return n
}
