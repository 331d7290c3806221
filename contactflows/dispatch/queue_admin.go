package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
)

// ErrUnknownDeadLetter means no dead letter has that id: it never existed,
// or it was already retried or discarded.
var ErrUnknownDeadLetter = errors.New("dispatch: unknown dead letter")

// QueueCounts is how many calls are in each part of the queue now.
type QueueCounts struct {
	// Queued counts calls on the stream no worker has taken yet.
	Queued int64 `json:"queued"`
	// Dialing counts calls a worker has taken and not settled.
	Dialing int64 `json:"dialing"`
	// Retrying counts calls waiting in the retry schedule.
	Retrying int64 `json:"retrying"`
	// Dead counts the dead letters kept.
	Dead int64 `json:"dead"`
}

// Counts returns how many calls are queued, being dialed, waiting for a
// retry and dead-lettered.
func (q *Queue) Counts(ctx context.Context) (QueueCounts, error) {
	var length, retry, dead *redis.IntCmd
	var pending *redis.XPendingCmd
	_, err := q.o.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
		length = p.XLen(ctx, queueKey)
		pending = p.XPending(ctx, queueKey, groupName)
		retry = p.ZCard(ctx, retryKey)
		dead = p.XLen(ctx, deadKey)
		return nil
	})
	if err != nil && !isNoGroup(pending.Err()) {
		return QueueCounts{}, fmt.Errorf("dispatch: counting the queue: %w", err)
	}
	c := QueueCounts{Retrying: retry.Val(), Dead: dead.Val()}
	if pending.Err() == nil {
		c.Dialing = pending.Val().Count
	}
	c.Queued = max(length.Val()-c.Dialing, 0)
	return c, nil
}

// isNoGroup reports whether err says the stream or its group does not
// exist yet, as before the first Run.
func isNoGroup(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "NOGROUP")
}

// RecentCalls returns the records of the calls of the most recent allowed
// decisions, up to n, newest first, looking at most at the last 1,000
// decisions. A call no worker has taken yet shows as queued.
func (q *Queue) RecentCalls(ctx context.Context, n int) ([]Status, error) {
	msgs, err := q.o.Redis.XRevRangeN(ctx, decisionLogKey, "+", "-", 1000).Result()
	if err != nil {
		return nil, fmt.Errorf("dispatch: reading the decision log: %w", err)
	}
	var ds []risk.Decision
	for _, m := range msgs {
		if a, _ := m.Values["action"].(string); a != string(risk.Allow) {
			continue
		}
		d, err := decisionOf(m)
		if err != nil {
			return nil, err
		}
		if ds = append(ds, d); len(ds) == n {
			break
		}
	}
	cmds := make([]*redis.MapStringStringCmd, len(ds))
	_, err = q.o.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, d := range ds {
			cmds[i] = p.HGetAll(ctx, callKey(d.ID))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dispatch: reading call records: %w", err)
	}
	out := make([]Status, len(ds))
	for i, d := range ds {
		out[i] = callStatusOf(d, cmds[i].Val())
	}
	return out, nil
}

// CallStatuses returns the records of the calls of allowed decisions ds,
// by decision id, in one round trip; decisions that are not allowed are
// left out. A call no worker has taken yet shows as queued.
func (q *Queue) CallStatuses(ctx context.Context, ds ...risk.Decision) (map[string]Status, error) {
	out := make(map[string]Status)
	cmds := make(map[string]*redis.MapStringStringCmd)
	_, err := q.o.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, d := range ds {
			if d.Action == risk.Allow {
				cmds[d.ID] = p.HGetAll(ctx, callKey(d.ID))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dispatch: reading call records: %w", err)
	}
	for _, d := range ds {
		if c, ok := cmds[d.ID]; ok {
			out[d.ID] = callStatusOf(d, c.Val())
		}
	}
	return out, nil
}

// callStatusOf reads the call record m of allowed decision d; an empty or
// unreadable record is a call still queued.
func callStatusOf(d risk.Decision, m map[string]string) Status {
	s := Status{State: m["state"], LastError: m["last_error"], ProviderID: m["provider_id"], Outcome: m["outcome"]}
	s.Attempts, _ = strconv.Atoi(m["attempts"])
	if json.Unmarshal([]byte(m["call"]), &s.Call) != nil {
		s.Call = Call{ID: d.ID, Number: d.Number, Country: d.NumberCountry, Flow: d.Flow, RequestedAt: d.At}
		s.State = stateQueued
	}
	return s
}

// DeadEntry is a dead letter with its stream entry id, which RetryDead and
// DiscardDead take.
type DeadEntry struct {
	// Entry is the dead letter's stream entry id.
	Entry string `json:"entry"`
	DeadLetter
}

// DeadEntries returns up to n of the most recent dead letters with their
// entry ids, newest first.
func (q *Queue) DeadEntries(ctx context.Context, n int64) ([]DeadEntry, error) {
	msgs, err := q.o.Redis.XRevRangeN(ctx, deadKey, "+", "-", n).Result()
	if err != nil {
		return nil, fmt.Errorf("dispatch: reading dead letters: %w", err)
	}
	out := make([]DeadEntry, 0, len(msgs))
	for _, m := range msgs {
		if e, ok := deadEntryOf(m); ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// deadEntryOf decodes a dead-letter stream entry; ok is false when its
// call is unreadable.
func deadEntryOf(m redis.XMessage) (e DeadEntry, ok bool) {
	e.Entry = m.ID
	raw, _ := m.Values["call"].(string)
	if err := json.Unmarshal([]byte(raw), &e.Call); err != nil {
		return e, false
	}
	e.Attempts, _ = strconv.Atoi(fmt.Sprint(m.Values["attempts"]))
	e.Error, _ = m.Values["error"].(string)
	if ms, err := strconv.ParseInt(fmt.Sprint(m.Values["at"]), 10, 64); err == nil {
		e.At = time.UnixMilli(ms)
	}
	return e, true
}

// retryDeadScript takes a dead letter off the dead-letter stream and puts
// its call back on the queue as new: its record is deleted, so the next
// worker starts it again from attempt one. It returns the call as JSON, or
// false when the dead letter is gone (already retried or discarded), so a
// second click does nothing. It reads the call's record key, which it is
// not given, which is sound only because every key shares the {calls}
// hash tag.
//
// KEYS[1] dead letters, KEYS[2] stream; ARGV[1] dead letter entry id,
// ARGV[2] the prefix of record keys.
var retryDeadScript = redis.NewScript(`
local m = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #m == 0 then return false end
local f = m[1][2]
local id, call
for i = 1, #f, 2 do
  if f[i] == 'id' then id = f[i + 1] elseif f[i] == 'call' then call = f[i + 1] end
end
redis.call('XDEL', KEYS[1], ARGV[1])
if not id or not call then return false end
redis.call('DEL', ARGV[2] .. id)
redis.call('XADD', KEYS[2], '*', 'id', id, 'call', call)
return call
`)

// RetryDead puts the call of dead letter entry back on the queue as a
// fresh call, dialed again from attempt one through the normal queue, and
// returns it. A dead letter already retried or discarded is
// ErrUnknownDeadLetter, so a double click queues one call.
func (q *Queue) RetryDead(ctx context.Context, entry string) (Call, error) {
	if !ValidStreamID(entry) {
		return Call{}, ErrUnknownDeadLetter
	}
	raw, err := retryDeadScript.Run(ctx, q.o.Redis, []string{deadKey, queueKey}, entry, callKey("")).Text()
	if errors.Is(err, redis.Nil) {
		return Call{}, ErrUnknownDeadLetter
	}
	if err != nil {
		return Call{}, fmt.Errorf("dispatch: retrying dead letter %s: %w", entry, err)
	}
	var c Call
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return Call{}, fmt.Errorf("dispatch: dead letter %s call: %w", entry, err)
	}
	q.log.Info("dead letter retried", "id", c.ID, "number", risk.MaskNumber(c.Number))
	return c, nil
}

// DiscardDead deletes dead letter entry and returns it as it was. A dead
// letter already retried or discarded is ErrUnknownDeadLetter; of two
// concurrent discards, one gets the dead letter and the other that error.
func (q *Queue) DiscardDead(ctx context.Context, entry string) (DeadEntry, error) {
	if !ValidStreamID(entry) {
		return DeadEntry{}, ErrUnknownDeadLetter
	}
	msgs, err := q.o.Redis.XRangeN(ctx, deadKey, entry, entry, 1).Result()
	if err != nil {
		return DeadEntry{}, fmt.Errorf("dispatch: reading dead letter %s: %w", entry, err)
	}
	if len(msgs) == 0 {
		return DeadEntry{}, ErrUnknownDeadLetter
	}
	n, err := q.o.Redis.XDel(ctx, deadKey, entry).Result()
	if err != nil {
		return DeadEntry{}, fmt.Errorf("dispatch: discarding dead letter %s: %w", entry, err)
	}
	if n == 0 {
		return DeadEntry{}, ErrUnknownDeadLetter
	}
	e, _ := deadEntryOf(msgs[0])
	return e, nil
}
