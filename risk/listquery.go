package risk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// EntryStatus selects list entries by their expiry.
type EntryStatus string

// The statuses a ListQuery can ask for.
const (
	// StatusAll selects every entry.
	StatusAll EntryStatus = ""
	// StatusActive selects entries that count now.
	StatusActive EntryStatus = "active"
	// StatusExpired selects entries whose expiry has passed but which the
	// sweep has not removed yet.
	StatusExpired EntryStatus = "expired"
	// StatusExpiring selects active entries that expire within ExpiringWithin.
	StatusExpiring EntryStatus = "expiring"
)

// ExpiringWithin is how soon an entry must expire to be StatusExpiring.
const ExpiringWithin = 7 * 24 * time.Hour

// ParseEntryStatus reads a status name; "" and "all" are StatusAll.
func ParseEntryStatus(s string) (EntryStatus, error) {
	switch st := EntryStatus(strings.ToLower(strings.TrimSpace(s))); st {
	case StatusAll, StatusActive, StatusExpired, StatusExpiring:
		return st, nil
	case "all":
		return StatusAll, nil
	}
	return "", fmt.Errorf("%q is not a status: use all, active, expired or expiring", s)
}

// Limits of a ListQuery.
const (
	// DefaultListLimit is the page size when ListQuery.Limit is zero.
	DefaultListLimit = 50
	// MaxListLimit is the largest page.
	MaxListLimit = 1000
	// MaxExamined bounds how many entries one ListEntries call reads when
	// filtering by status, author or reason; past it the page ends early
	// with a cursor to continue.
	MaxExamined = 10000
)

// ListQuery selects a page of one list, in value order.
type ListQuery struct {
	// Prefix keeps values starting with it, after SearchPrefix
	// normalises it. It uses the index: its cost does not grow with the list.
	Prefix string
	// Status keeps entries by expiry.
	Status EntryStatus
	// Author keeps entries added by this author (case-insensitive).
	Author string
	// Reason keeps entries whose reason contains it (case-insensitive).
	Reason string
	// After is the cursor of a next page: the page starts after this value.
	After string
	// Before is the cursor of a previous page: the page ends before this
	// value. It is ignored when After is set.
	Before string
	// Limit is the page size: 0 is DefaultListLimit, at most MaxListLimit.
	Limit int
}

// filtered reports whether q filters on fields the index does not hold.
func (q ListQuery) filtered() bool { return q.Status != StatusAll || q.Author != "" || q.Reason != "" }

// ListPage is one page of a list.
type ListPage struct {
	// Entries are the matching entries in value order.
	Entries []Entry `json:"entries"`
	// Next is the cursor of the next page (ListQuery.After); "" on the last.
	Next string `json:"next,omitempty"`
	// Prev is the cursor of the previous page (ListQuery.Before); "" on
	// the first.
	Prev string `json:"prev,omitempty"`
	// Total counts the entries whose value matches the prefix; status,
	// author and reason filters are not counted.
	Total int64 `json:"total"`
	// Examined is how many entries were read to fill the page.
	Examined int `json:"examined"`
}

// SearchPrefix turns what someone typed to search list l into the form
// its values are stored in: "+44 20" and "004420" become "+4420" in the
// number lists, "as16" becomes "16" in deny_asn, countries are upper case.
func SearchPrefix(l List, typed string) string {
	v := strings.TrimSpace(typed)
	switch l {
	case DenyNumber, AllowNumber, DenyPrefix:
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, v)
		if digits == "" {
			if strings.HasPrefix(v, "+") {
				return "+"
			}
			return ""
		}
		if !strings.HasPrefix(v, "+") && strings.HasPrefix(digits, "00") {
			digits = digits[2:]
		}
		return "+" + digits
	case DenyASN:
		return strings.TrimPrefix(strings.ToUpper(v), "AS")
	case DenyCountry:
		return strings.ToUpper(v)
	case DenyIP, AllowIP:
		return strings.ToLower(v)
	}
	return v
}

// lexRange returns the ZRANGEBYLEX bounds of the values starting with
// prefix that come after the cursor after.
func lexRange(prefix, after string) (lo, hi string) {
	lo, hi = "-", "+"
	if prefix != "" {
		lo, hi = "["+prefix, "["+prefix+"\xff"
	}
	if after != "" && (prefix == "" || after >= prefix) {
		lo = "(" + after
	}
	return lo, hi
}

// lexRangeDown returns the ZREVRANGEBYLEX bounds of the values starting
// with prefix that come before the cursor before.
func lexRangeDown(prefix, before string) (lo, hi string) {
	lo, hi = lexRange(prefix, "")
	if before != "" && (prefix == "" || before <= prefix+"\xff") {
		hi = "(" + before
	}
	return lo, hi
}

// ListEntries returns a page of list l in value order. The prefix and the
// cursor use the list's index, so a page costs O(log N + page); status,
// author and reason are checked entry by entry, reading at most
// MaxExamined entries per call, so a rare match returns a short page and a
// cursor to continue.
func (ls *ListStore) ListEntries(ctx context.Context, l List, q ListQuery) (ListPage, error) {
	if !knownList(l) {
		return ListPage{}, fmt.Errorf("unknown list %q", l)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	prefix := SearchPrefix(l, q.Prefix)
	lo, hi := lexRange(prefix, "")
	var page ListPage
	var err error
	if prefix == "" {
		page.Total, err = ls.rdb.ZCard(ctx, indexKey(l)).Result()
	} else {
		page.Total, err = ls.rdb.ZLexCount(ctx, indexKey(l), lo, hi).Result()
	}
	if err != nil {
		return ListPage{}, fmt.Errorf("count %s entries: %w", l, err)
	}
	if q.Before != "" && q.After == "" {
		entries, more, examined, err := ls.scan(ctx, l, q, prefix, q.Before, true, limit)
		if err != nil {
			return ListPage{}, err
		}
		slices.Reverse(entries)
		page.Entries, page.Prev, page.Examined = entries, more, examined
		if len(entries) > 0 {
			page.Next = entries[len(entries)-1].Value
		}
		return page, nil
	}
	page.Entries, page.Next, page.Examined, err = ls.scan(ctx, l, q, prefix, q.After, false, limit)
	if err != nil {
		return ListPage{}, err
	}
	if q.After != "" && len(page.Entries) > 0 {
		page.Prev = page.Entries[0].Value
	}
	return page, nil
}

// scan reads up to limit entries of l that match q, from the cursor on
// (downwards when reverse), in scan order. more is the cursor to continue
// from, "" when the scan reached the end of the prefix's range.
func (ls *ListStore) scan(ctx context.Context, l List, q ListQuery, prefix, cursor string, reverse bool, limit int) (entries []Entry, more string, examined int, err error) {
	entries = []Entry{}
	batch := limit + 1
	if q.filtered() {
		batch = max(limit+1, 500)
	}
	now := ls.now()
	for {
		var values []string
		if reverse {
			lo, hi := lexRangeDown(prefix, cursor)
			values, err = ls.rdb.ZRevRangeByLex(ctx, indexKey(l), &redis.ZRangeBy{Min: lo, Max: hi, Count: int64(batch)}).Result()
		} else {
			lo, hi := lexRange(prefix, cursor)
			values, err = ls.rdb.ZRangeByLex(ctx, indexKey(l), &redis.ZRangeBy{Min: lo, Max: hi, Count: int64(batch)}).Result()
		}
		if err != nil {
			return nil, "", 0, fmt.Errorf("list %s entries: %w", l, err)
		}
		if len(values) == 0 {
			return entries, "", examined, nil
		}
		raw, err := ls.rdb.HMGet(ctx, listKey(l), values...).Result()
		if err != nil {
			return nil, "", 0, fmt.Errorf("list %s entries: %w", l, err)
		}
		for i, v := range values {
			if len(entries) == limit {
				return entries, entries[limit-1].Value, examined, nil
			}
			if examined >= MaxExamined {
				return entries, cursor, examined, nil
			}
			examined++
			cursor = v
			s, ok := raw[i].(string)
			if !ok {
				continue
			}
			var en Entry
			if json.Unmarshal([]byte(s), &en) == nil && q.matches(en, now) {
				entries = append(entries, en)
			}
		}
		if len(values) < batch {
			return entries, "", examined, nil
		}
	}
}

// matches reports whether en passes q's status, author and reason filters.
func (q ListQuery) matches(en Entry, now time.Time) bool {
	switch q.Status {
	case StatusActive:
		if !en.Active(now) {
			return false
		}
	case StatusExpired:
		if en.Active(now) {
			return false
		}
	case StatusExpiring:
		if en.Expires.IsZero() || !en.Active(now) || en.Expires.After(now.Add(ExpiringWithin)) {
			return false
		}
	}
	if q.Author != "" && !strings.EqualFold(en.Author, strings.TrimSpace(q.Author)) {
		return false
	}
	if q.Reason != "" && !strings.Contains(strings.ToLower(en.Reason), strings.ToLower(strings.TrimSpace(q.Reason))) {
		return false
	}
	return true
}

func knownList(l List) bool {
	for _, k := range Lists() {
		if k == l {
			return true
		}
	}
	return false
}

// ParseList reads a list name, with an error naming the lists.
func ParseList(name string) (List, error) {
	if l := List(name); knownList(l) {
		return l, nil
	}
	names := make([]string, 0, len(Lists()))
	for _, l := range Lists() {
		names = append(names, string(l))
	}
	return "", fmt.Errorf("there is no list %q: the lists are %s", name, strings.Join(names, ", "))
}

// ListCounts returns how many entries each list holds, expired ones not
// yet swept included.
func (ls *ListStore) ListCounts(ctx context.Context) (map[List]int64, error) {
	cmds := make(map[List]*redis.IntCmd, len(Lists()))
	_, err := ls.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, l := range Lists() {
			cmds[l] = p.HLen(ctx, listKey(l))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count list entries: %w", err)
	}
	out := make(map[List]int64, len(cmds))
	for l, c := range cmds {
		out[l] = c.Val()
	}
	return out, nil
}

// LookupEntry returns the entry of value in list l; found is false when
// it is not listed.
func (ls *ListStore) LookupEntry(ctx context.Context, l List, value string) (en Entry, found bool, err error) {
	v, err := ls.Normalize(l, value)
	if err != nil {
		return Entry{}, false, err
	}
	s, err := ls.rdb.HGet(ctx, listKey(l), v).Result()
	if errors.Is(err, redis.Nil) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, fmt.Errorf("read %s entry: %w", l, err)
	}
	if err := json.Unmarshal([]byte(s), &en); err != nil {
		return Entry{}, false, fmt.Errorf("read %s entry: %w", l, err)
	}
	return en, true, nil
}

// LookupEntries returns, list by list, the entries listed under the given
// values, in one round trip: what adding entries with those values would
// replace. Values not listed are left out; an invalid value is an error.
func (ls *ListStore) LookupEntries(ctx context.Context, values map[List][]string) (map[List][]Entry, error) {
	cmds := make(map[List]*redis.SliceCmd, len(values))
	_, err := ls.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for l, vs := range values {
			if len(vs) == 0 {
				continue
			}
			fields := make([]string, len(vs))
			for i, v := range vs {
				n, err := ls.Normalize(l, v)
				if err != nil {
					return err
				}
				fields[i] = n
			}
			cmds[l] = p.HMGet(ctx, listKey(l), fields...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read list entries: %w", err)
	}
	out := make(map[List][]Entry)
	for l, c := range cmds {
		for _, raw := range c.Val() {
			s, ok := raw.(string)
			if !ok {
				continue
			}
			var en Entry
			if err := json.Unmarshal([]byte(s), &en); err != nil {
				return nil, fmt.Errorf("read %s entry: %w", l, err)
			}
			out[l] = append(out[l], en)
		}
	}
	return out, nil
}

// Normalize is NormalizeEntry with the lists' default region.
func (ls *ListStore) Normalize(l List, value string) (string, error) {
	return NormalizeEntry(l, value, ls.region)
}
