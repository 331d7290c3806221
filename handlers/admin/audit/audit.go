// Package audit keeps the log of every change made through the admin
// console and its API: who, when, what, before and after.
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Entry is one audited change.
type Entry struct {
	// ID is the entry's stream ID, which orders entries by time.
	ID string `json:"id"`
	// At is when the change was made.
	At time.Time `json:"at"`
	// Actor is the user name, or "token:<id>" for an API token.
	Actor string `json:"actor"`
	// IP is the address the change came from.
	IP string `json:"ip,omitempty"`
	// Action is what was done, e.g. "list.add", "settings.save".
	Action string `json:"action"`
	// Target is what it was done to, e.g. "deny_number +12015550166".
	Target string `json:"target"`
	// Before is the state before the change, JSON; empty when created.
	Before json.RawMessage `json:"before,omitempty"`
	// After is the state after the change, JSON; empty when deleted.
	After json.RawMessage `json:"after,omitempty"`
}

// Log is the audit log, a Redis stream capped at MaxEntries.
type Log struct {
	rdb redis.UniversalClient
}

// Key is the audit log's stream.
const Key = "tg:{audit}:log"

// MaxEntries is how many entries the log keeps, roughly; older ones are
// trimmed.
const MaxEntries = 1_000_000

// NewLog returns the audit log on rdb.
func NewLog(rdb redis.UniversalClient) *Log { return &Log{rdb: rdb} }

// Record appends a change. before and after are marshalled to JSON; nil
// leaves them out.
func (l *Log) Record(ctx context.Context, actor, ip, action, target string, before, after any) error {
	b, err := marshal(before)
	if err != nil {
		return err
	}
	a, err := marshal(after)
	if err != nil {
		return err
	}
	err = l.rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: Key, MaxLen: MaxEntries, Approx: true,
		Values: []any{"actor", actor, "ip", ip, "action", action, "target", target, "before", b, "after", a},
	}).Err()
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

func marshal(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		return raw, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return b, nil
}

// Filter selects entries; zero fields match everything.
type Filter struct {
	// Actor matches the actor exactly.
	Actor string
	// Action matches actions that start with it, e.g. "list." for every
	// list change.
	Action string
	// Target matches targets that contain it, case-insensitively.
	Target string
	// From and To bound the entries' times.
	From, To time.Time
}

func (f Filter) match(e Entry) bool {
	return (f.Actor == "" || e.Actor == f.Actor) &&
		strings.HasPrefix(e.Action, f.Action) &&
		(f.Target == "" || strings.Contains(strings.ToLower(e.Target), strings.ToLower(f.Target)))
}

// scanBatch is how many entries List reads per round trip.
const scanBatch = 500

// List returns up to n entries matching f, newest first, starting before
// the entry with ID before ("" for the newest). next is the ID to pass as
// before for the following page, "" at the end. At most maxScan entries
// are examined per call, so a rare match costs bounded time: then next is
// set even when fewer than n entries were found.
func (l *Log) List(ctx context.Context, f Filter, before string, n int) (entries []Entry, next string, err error) {
	const maxScan = 50_000
	end := "+"
	if !f.To.IsZero() {
		end = strconv.FormatInt(f.To.UnixMilli(), 10)
	}
	if before != "" {
		end = "(" + before
	}
	start := "-"
	if !f.From.IsZero() {
		start = strconv.FormatInt(f.From.UnixMilli(), 10)
	}
	scanned := 0
	for len(entries) < n && scanned < maxScan {
		msgs, err := l.rdb.XRevRangeN(ctx, Key, end, start, scanBatch).Result()
		if err != nil {
			return nil, "", fmt.Errorf("audit: %w", err)
		}
		for _, m := range msgs {
			scanned++
			end = "(" + m.ID
			if e := entryOf(m); f.match(e) {
				entries = append(entries, e)
				if len(entries) == n {
					return entries, m.ID, nil
				}
			}
		}
		if len(msgs) < scanBatch {
			return entries, "", nil
		}
	}
	return entries, strings.TrimPrefix(end, "("), nil
}

func entryOf(m redis.XMessage) Entry {
	s := func(k string) string { v, _ := m.Values[k].(string); return v }
	e := Entry{ID: m.ID, Actor: s("actor"), IP: s("ip"), Action: s("action"), Target: s("target")}
	if ms, _, ok := strings.Cut(m.ID, "-"); ok {
		if v, err := strconv.ParseInt(ms, 10, 64); err == nil {
			e.At = time.UnixMilli(v).UTC()
		}
	}
	if b := s("before"); b != "" {
		e.Before = json.RawMessage(b)
	}
	if a := s("after"); a != "" {
		e.After = json.RawMessage(a)
	}
	return e
}

// ErrNoEntry means no entry has the ID asked for: it never existed, was
// trimmed, or the ID is malformed.
var ErrNoEntry = errors.New("audit: no such entry")

// Get returns the entry with ID id, or ErrNoEntry.
func (l *Log) Get(ctx context.Context, id string) (Entry, error) {
	if !ValidID(id) {
		return Entry{}, ErrNoEntry
	}
	msgs, err := l.rdb.XRangeN(ctx, Key, id, id, 1).Result()
	if err != nil {
		return Entry{}, fmt.Errorf("audit: %w", err)
	}
	if len(msgs) == 0 {
		return Entry{}, ErrNoEntry
	}
	return entryOf(msgs[0]), nil
}

// ValidID reports whether id has the form of an entry ID,
// "<milliseconds>-<sequence>", each part 1 to 20 ASCII digits, as
// dispatch.ValidStreamID has it.
func ValidID(id string) bool {
	ms, seq, ok := strings.Cut(id, "-")
	return ok && idPart(ms) && idPart(seq)
}

func idPart(s string) bool { return s != "" && len(s) <= 20 && strings.Trim(s, "0123456789") == "" }
