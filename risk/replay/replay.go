// Package replay decides recorded decisions again with draft settings, in
// an engine of its own, to show what a change would have done to real
// traffic before anyone meets it.
//
// The engine runs on an in-memory store (miniredis), never the live
// counters, with a copy of the lists in force. Decisions are replayed one
// at a time in the order they arrived, each at its own recorded time: the
// engine's clock is set to it and the store's keys age to it, so windows,
// buckets and expiries fall as they did. What the engine cannot know again
// is taken as recorded (risk.Engine.Again): the address's GeoIP facts
// (country, network, anonymizer flags), the form's and the visitor token's
// signals, whether a callback to the number was outstanding, whether the
// number's placed calls or the day's spend had reached the caps.
package replay

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
)

// Recorded is one logged decision to decide again.
type Recorded struct {
	// Entry is its decision log entry id: "<milliseconds>-<sequence>",
	// which orders decisions as they arrived.
	Entry string
	// Decision is the decision as it was made.
	Decision risk.Decision
	// Label is what an admin said of it: "legit", "spam", or "".
	Label string
}

// Options configures a replay.
type Options struct {
	// Settings are the draft's, whole.
	Settings risk.Settings
	// Lists are the lists in force; they are copied.
	Lists *risk.ListStore
	// Region reads numbers typed without +country, as the live engine does.
	Region string
	// Progress, when set, is told how many decisions were replayed of how
	// many, every ProgressEvery and at the end.
	Progress func(done, total int)
	// Samples bounds each sample of changed decisions; 0 means 20.
	Samples int
}

// ProgressEvery is how many decisions pass between Progress calls.
const ProgressEvery = 1000

// ageStep is how much recorded time passes between two agings of the
// in-memory store's keys.
const ageStep = time.Minute

// Labels an admin gives decisions (contactflows/dispatch's).
const (
	labelSpam  = "spam"
	labelLegit = "legit"
)

// Result is what a replay found.
type Result struct {
	// From and To are the times of the first and the last decision replayed.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Decisions were replayed; Changed of them would take another action,
	// ChangedByLabel counts those by their label ("legit", "spam", or ""
	// for unlabelled).
	Decisions      int            `json:"decisions"`
	Changed        int            `json:"changed"`
	ChangedByLabel map[string]int `json:"changed_by_label"`
	// Skipped were recorded without a number, or with one the engine no
	// longer reads: not replayed.
	Skipped int `json:"skipped"`
	// Stopped says why the replay ended before the last decision (the
	// context's deadline); "" when it replayed them all.
	Stopped string `json:"stopped,omitempty"`
	// Actions counts the decisions by action before and after.
	Actions []ActionCount `json:"actions"`
	// Reasons counts, by code, the decisions that would gain or lose it.
	Reasons []ReasonCount `json:"reasons"`
	// LegitRefused are decisions labelled legit that were allowed and
	// would be refused; SpamAllowed those labelled spam that were refused
	// and would be allowed.
	LegitRefused Changes `json:"legit_refused"`
	SpamAllowed  Changes `json:"spam_allowed"`
	// CallsAdded and CallsAvoided count the calls the draft would place
	// that were not, and those placed it would not; SpendAdded and
	// SpendAvoided their estimated cost (Spend.Cost), in minor units.
	CallsAdded   int   `json:"calls_added"`
	CallsAvoided int   `json:"calls_avoided"`
	SpendAdded   int64 `json:"spend_added"`
	SpendAvoided int64 `json:"spend_avoided"`
}

// ActionCount is how many decisions went from Before to After.
type ActionCount struct {
	Before risk.Action `json:"before"`
	After  risk.Action `json:"after"`
	Count  int         `json:"count"`
}

// ReasonCount is how many decisions would gain and lose a reason code.
type ReasonCount struct {
	Code    string `json:"code"`
	Added   int    `json:"added"`
	Removed int    `json:"removed"`
}

// Changes are changed decisions: how many, and a sample.
type Changes struct {
	Count  int      `json:"count"`
	Sample []Change `json:"sample"`
}

// Change is one changed decision.
type Change struct {
	// Entry is the decision's log entry id; ID its decision id.
	Entry string `json:"entry"`
	ID    string `json:"id"`
	// Number is the number, masked.
	Number  string      `json:"number"`
	Country string      `json:"country"`
	Before  risk.Action `json:"before"`
	After   risk.Action `json:"after"`
	// Added and Removed are the reason codes the draft adds and drops.
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
}

// ErrBusy is Run's answer while another replay runs in the process.
var ErrBusy = errors.New("replay: another replay is running")

// running holds the one replay a process runs at a time: each holds its
// decisions and an in-memory store, about 125 MB for 50,000 decisions.
var running = make(chan struct{}, 1)

// Run replays recorded with o's draft. It stops early, with what it found
// so far and Result.Stopped set, when ctx ends. While another replay runs
// in the process it returns ErrBusy at once.
func Run(ctx context.Context, recorded []Recorded, o Options) (Result, error) {
	if o.Lists == nil {
		return Result{}, errors.New("replay: no lists to copy")
	}
	select {
	case running <- struct{}{}:
		defer func() { <-running }()
	default:
		return Result{}, ErrBusy
	}
	if o.Samples <= 0 {
		o.Samples = 20
	}
	m := miniredis.NewMiniRedis()
	if err := m.Start(); err != nil {
		return Result{}, fmt.Errorf("replay: starting the in-memory store: %w", err)
	}
	defer m.Close()
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer rdb.Close()

	s := o.Settings
	var at, aged time.Time
	e, err := risk.NewEngine(risk.Options{
		Redis: rdb, DefaultRegion: o.Region, Settings: &s, Replay: true,
		Now: func() time.Time { return at },
	})
	if err != nil {
		return Result{}, fmt.Errorf("replay: the draft: %w", err)
	}
	defer e.Close()
	if err := o.Lists.CopyTo(ctx, e.ListStore()); err != nil {
		return Result{}, fmt.Errorf("replay: %w", err)
	}

	recorded = slices.Clone(recorded)
	slices.SortStableFunc(recorded, func(a, b Recorded) int { return compareEntries(a.Entry, b.Entry) })
	var r Result
	t := newTally(o.Samples)
	for i, rec := range recorded {
		if err := ctx.Err(); err != nil {
			r.Stopped = fmt.Sprintf("stopped after %d of %d decisions: %v", i, len(recorded), context.Cause(ctx))
			break
		}
		if o.Progress != nil && i > 0 && i%ProgressEvery == 0 {
			o.Progress(i, len(recorded))
			// The copy of the lists is trusted for a few seconds at a
			// time; nothing changes it here.
			if err := e.ListStore().LoadMirror(ctx); err != nil && ctx.Err() == nil {
				return Result{}, fmt.Errorf("replay: %w", err)
			}
		}
		d := rec.Decision
		if d.Number == "" {
			r.Skipped++
			continue
		}
		if d.At.After(at) {
			at = d.At
		}
		if aged.IsZero() {
			aged = at
		}
		if at.Sub(aged) >= ageStep {
			// miniredis sorts every key to age them: at most once a
			// simulated minute (a key outlives its expiry by up to that;
			// the engine reads counts by their time, not by what exists).
			m.FastForward(at.Sub(aged))
			aged = at
		}
		again, err := e.Again(ctx, d)
		var ne *risk.NumberError
		switch {
		case errors.As(err, &ne):
			r.Skipped++
			continue
		case err != nil && ctx.Err() != nil:
			r.Stopped = fmt.Sprintf("stopped after %d of %d decisions: %v", i, len(recorded), context.Cause(ctx))
		case err != nil:
			return Result{}, fmt.Errorf("replay: decision %s: %w", rec.Entry, err)
		}
		if r.Stopped != "" {
			break
		}
		if r.Decisions == 0 {
			r.From = d.At
		}
		r.To = d.At
		r.Decisions++
		t.add(&r, rec, again, s.Spend)
	}
	if o.Progress != nil {
		o.Progress(r.Decisions+r.Skipped, len(recorded))
	}
	t.finish(&r)
	return r, nil
}

// compareEntries orders stream entry ids: by milliseconds, then sequence.
func compareEntries(a, b string) int {
	am, as, _ := strings.Cut(a, "-")
	bm, bs, _ := strings.Cut(b, "-")
	if c := compareDigits(am, bm); c != 0 {
		return c
	}
	return compareDigits(as, bs)
}

func compareDigits(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}
