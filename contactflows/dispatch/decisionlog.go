package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
)

// DecisionLog is the log of every decision, kept in a Redis stream
// (tg:{calls}:decisions) for the decision retention and at most
// DecisionLogLen entries, with the counts the dashboard and the spike
// detector read and the labels admins give decisions. A Queue writes it,
// in the transaction that queues the decision's call; the console reads it.
type DecisionLog struct {
	rdb       redis.UniversalClient
	maxLen    int64
	retention time.Duration
	spikes    func() risk.Spikes
	now       func() time.Time
	// refreshed spares the counts' EXPIREs and the retention trim on most
	// writes (refreshes).
	refreshed refreshes
}

// ErrUnknownDecision means the decision log has no entry with that id: it
// never existed or was trimmed.
var ErrUnknownDecision = errors.New("dispatch: unknown decision")

// retainedFrom is the stream id below which records have outlived the
// decision retention.
func (l *DecisionLog) retainedFrom() string {
	return strconv.FormatInt(l.now().Add(-l.retention).UnixMilli(), 10)
}

// write adds d, encoded as dj, to the log and its counts on p, trimming
// what has outlived the retention. It returns the keys whose TTL or trim it
// renewed, for written once p ran.
func (l *DecisionLog) write(ctx context.Context, p redis.Pipeliner, d risk.Decision, dj []byte) []string {
	p.XAdd(ctx, &redis.XAddArgs{
		Stream: decisionLogKey, MaxLen: l.maxLen, Approx: true,
		Values: []any{"id", d.ID, "action", string(d.Action), "decision", dj},
	})
	var renewed []string
	now := l.now()
	if l.renew(decisionLogKey, now, &renewed) {
		p.XTrimMinID(ctx, decisionLogKey, l.retainedFrom())
	}
	l.countDecision(ctx, p, d, now, &renewed)
	l.countSpikes(ctx, p, d, now, &renewed)
	return renewed
}

// renew reports whether key's TTL (or trim) is due, adding it to renewed
// if so.
func (l *DecisionLog) renew(key string, now time.Time, renewed *[]string) bool {
	if !l.refreshed.due(key, now) {
		return false
	}
	*renewed = append(*renewed, key)
	return true
}

// written records what write renewed, once its transaction ran.
func (l *DecisionLog) written(renewed []string) { l.refreshed.done(renewed, l.now()) }

// Labels an admin gives a decision.
const (
	// LabelSpam marks a decision as a fraudulent request.
	LabelSpam = "spam"
	// LabelLegit marks a decision as a genuine request.
	LabelLegit = "legit"
)

// labelTTL is how long a decision's label is kept, about as long as a busy
// decision log keeps the decision.
const labelTTL = 90 * 24 * time.Hour

// labelKey holds the label of the decision with stream entry id entry.
func labelKey(entry string) string { return "tg:{calls}:label:" + entry }

// ValidStreamID reports whether id has the form of a Redis stream entry
// id, "<milliseconds>-<sequence>", each part 1 to 20 ASCII digits, e.g.
// "1718000000000-0".
func ValidStreamID(id string) bool {
	ms, seq, ok := strings.Cut(id, "-")
	return ok && streamIDPart(ms) && streamIDPart(seq)
}

func streamIDPart(s string) bool {
	return s != "" && len(s) <= 20 && strings.Trim(s, "0123456789") == ""
}

// DecisionFilter selects logged decisions; zero fields match everything.
type DecisionFilter struct {
	// Action matches the decision's action.
	Action risk.Action
	// Number matches the normalised E.164 number exactly.
	Number string
	// IDPrefix matches decisions whose id starts with it, e.g. the lower
	// case of the reference a visitor was shown.
	IDPrefix string
	// IP matches the client address exactly.
	IP netip.Addr
	// Country matches the number's country or the IP's country.
	Country string
	// Reason matches decisions carrying that reason code.
	Reason string
	// From and To bound the decisions' times, both inclusive.
	From, To time.Time
}

func (f DecisionFilter) match(d risk.Decision) bool {
	return (f.Action == "" || d.Action == f.Action) &&
		(f.Number == "" || d.Number == f.Number) &&
		strings.HasPrefix(d.ID, f.IDPrefix) &&
		(!f.IP.IsValid() || d.IP == f.IP) &&
		(f.Country == "" || d.NumberCountry == f.Country || d.IPCountry == f.Country) &&
		(f.Reason == "" || d.Has(f.Reason))
}

// Decisions returns up to n of the most recent decisions from the
// decision log, newest first.
func (l *DecisionLog) Decisions(ctx context.Context, n int64) ([]risk.Decision, error) {
	msgs, err := l.rdb.XRevRangeN(ctx, decisionLogKey, "+", "-", n).Result()
	if err != nil {
		return nil, fmt.Errorf("dispatch: reading the decision log: %w", err)
	}
	out := make([]risk.Decision, 0, len(msgs))
	for _, m := range msgs {
		var d risk.Decision
		raw, _ := m.Values["decision"].(string)
		if err := json.Unmarshal([]byte(raw), &d); err != nil {
			return nil, fmt.Errorf("dispatch: decision log entry %s: %w", m.ID, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// LoggedDecision is a decision as the decision log keeps it.
type LoggedDecision struct {
	// Entry is the decision's stream entry id, its id in the console.
	Entry string `json:"entry"`
	// Decision is the decision.
	Decision risk.Decision `json:"decision"`
}

// decisionScanBatch is how many entries DecisionPage reads per round trip,
// and decisionMaxScan how many it examines at most per call.
const (
	decisionScanBatch = 500
	decisionMaxScan   = 50_000
)

// DecisionPage returns up to n logged decisions matching f, newest first,
// starting before the entry before ("" for the newest). next is the entry
// to pass as before for the following page, "" at the end. At most 50,000
// entries are examined per call, so a rare match costs bounded time: then
// next is set even when fewer than n decisions were found.
func (l *DecisionLog) DecisionPage(ctx context.Context, f DecisionFilter, before string, n int) (page []LoggedDecision, next string, err error) {
	end, start := "+", "-"
	if !f.To.IsZero() {
		end = strconv.FormatInt(f.To.UnixMilli(), 10)
	}
	if before != "" {
		if !ValidStreamID(before) {
			return nil, "", fmt.Errorf("dispatch: cursor %q is not a decision id", before)
		}
		end = "(" + before
	}
	if !f.From.IsZero() {
		start = strconv.FormatInt(f.From.UnixMilli(), 10)
	}
	for scanned := 0; len(page) < n && scanned < decisionMaxScan; {
		msgs, err := l.rdb.XRevRangeN(ctx, decisionLogKey, end, start, decisionScanBatch).Result()
		if err != nil {
			return nil, "", fmt.Errorf("dispatch: reading the decision log: %w", err)
		}
		for _, m := range msgs {
			scanned++
			end = "(" + m.ID
			if a, _ := m.Values["action"].(string); f.Action != "" && a != string(f.Action) {
				continue
			}
			d, err := decisionOf(m)
			if err != nil {
				return nil, "", err
			}
			if f.match(d) {
				page = append(page, LoggedDecision{Entry: m.ID, Decision: d})
				if len(page) == n {
					return page, m.ID, nil
				}
			}
		}
		if len(msgs) < decisionScanBatch {
			return page, "", nil
		}
	}
	return page, strings.TrimPrefix(end, "("), nil
}

func decisionOf(m redis.XMessage) (risk.Decision, error) {
	var d risk.Decision
	raw, _ := m.Values["decision"].(string)
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return d, fmt.Errorf("dispatch: decision log entry %s: %w", m.ID, err)
	}
	return d, nil
}

// Decision returns the logged decision with stream entry id entry, or
// ErrUnknownDecision.
func (l *DecisionLog) Decision(ctx context.Context, entry string) (LoggedDecision, error) {
	if !ValidStreamID(entry) {
		return LoggedDecision{}, ErrUnknownDecision
	}
	msgs, err := l.rdb.XRange(ctx, decisionLogKey, entry, entry).Result()
	if err != nil {
		return LoggedDecision{}, fmt.Errorf("dispatch: reading decision %s: %w", entry, err)
	}
	if len(msgs) == 0 {
		return LoggedDecision{}, ErrUnknownDecision
	}
	d, err := decisionOf(msgs[0])
	return LoggedDecision{Entry: entry, Decision: d}, err
}

// SetLabel labels the decision with stream entry id entry spam or legit,
// replacing an earlier label. Labels are kept 90 days.
func (l *DecisionLog) SetLabel(ctx context.Context, entry, label string) error {
	if label != LabelSpam && label != LabelLegit {
		return fmt.Errorf("dispatch: label %q is neither spam nor legit", label)
	}
	if err := l.rdb.Set(ctx, labelKey(entry), label, labelTTL).Err(); err != nil {
		return fmt.Errorf("dispatch: labelling decision %s: %w", entry, err)
	}
	return nil
}

// Labels returns the labels of the decisions with stream entry ids
// entries, by entry id; unlabelled decisions are left out.
func (l *DecisionLog) Labels(ctx context.Context, entries ...string) (map[string]string, error) {
	out := make(map[string]string)
	if len(entries) == 0 {
		return out, nil
	}
	keys := make([]string, len(entries))
	for i, e := range entries {
		keys[i] = labelKey(e)
	}
	vals, err := l.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("dispatch: reading decision labels: %w", err)
	}
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[entries[i]] = s
		}
	}
	return out, nil
}

// Range returns the logged decisions from from to to, both inclusive, oldest
// first, with their labels by entry id; at most max of them, the oldest:
// truncated says there were more.
func (l *DecisionLog) Range(ctx context.Context, from, to time.Time, max int) (out []LoggedDecision, labels map[string]string, truncated bool, err error) {
	start, end := strconv.FormatInt(from.UnixMilli(), 10), strconv.FormatInt(to.UnixMilli(), 10)
	for {
		msgs, err := l.rdb.XRangeN(ctx, decisionLogKey, start, end, decisionScanBatch).Result()
		if err != nil {
			return nil, nil, false, fmt.Errorf("dispatch: reading the decision log: %w", err)
		}
		for _, m := range msgs {
			if len(out) == max {
				truncated = true
				break
			}
			d, err := decisionOf(m)
			if err != nil {
				return nil, nil, false, err
			}
			out = append(out, LoggedDecision{Entry: m.ID, Decision: d})
			start = "(" + m.ID
		}
		if truncated || len(msgs) < decisionScanBatch {
			break
		}
	}
	entries := make([]string, len(out))
	for i, ld := range out {
		entries[i] = ld.Entry
	}
	labels = make(map[string]string)
	for i := 0; i < len(entries); i += decisionScanBatch {
		part, err := l.Labels(ctx, entries[i:min(i+decisionScanBatch, len(entries))]...)
		if err != nil {
			return nil, nil, false, err
		}
		maps.Copy(labels, part)
	}
	return out, labels, truncated, nil
}

// Retention is how long decisions are kept.
func (l *DecisionLog) Retention() time.Duration { return l.retention }
