package dispatch

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/risk"
)

// DefaultSimulatorHistory is how many calls a Simulator remembers when
// History is zero.
const DefaultSimulatorHistory = 1000

// Simulator is the default Dialer: it places no real call, records each one
// and reports a configured outcome. Set its fields before the first Dial and
// do not copy it afterwards. The zero value answers every call at once.
type Simulator struct {
	// Outcome is the outcome of every call; empty means contactflows.OutcomeAnswered.
	Outcome string
	// OutcomeFunc, when set, decides each call's outcome and error instead
	// of Outcome.
	OutcomeFunc func(Call) (string, error)
	// Duration is how long each simulated call lasts; zero returns at once.
	Duration time.Duration
	// History is how many of the most recent calls Calls returns; zero
	// means DefaultSimulatorHistory.
	History int
	// Logger receives one line per call; nil discards.
	Logger *slog.Logger
	// Journal, when set, records every call placed, across restarts, and
	// makes the Simulator idempotent: a call already in it is not placed
	// again, and its provider id is reported.
	Journal *SimulatorJournal

	mu    sync.Mutex
	calls []Call // ring buffer of the last History calls
	next  int    // index in calls the next call is written to
	count int    // calls placed since creation
}

var _ IdempotentDialer = (*Simulator)(nil)

// Idempotent reports whether the Simulator has a Journal.
func (s *Simulator) Idempotent() bool { return s.Journal != nil }

// Dial records c, waits Duration (or until ctx is done) and reports the
// configured outcome.
func (s *Simulator) Dial(ctx context.Context, c Call) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	c.Attributes = maps.Clone(c.Attributes)
	var id string
	if s.Journal != nil {
		prev, placed, err := s.Journal.place(c, "sim-"+c.ID)
		if err != nil {
			return Result{}, err
		}
		if !placed {
			// Placed before, by this process or one before a restart:
			// the same call, whose outcome is the configured one.
			return s.result(c, prev)
		}
		s.record(c)
		id = prev
	} else {
		id = fmt.Sprintf("sim-%d", s.record(c))
	}

	if s.Logger != nil {
		s.Logger.Info("simulated call placed",
			slog.String("id", c.ID),
			slog.String("provider_id", id),
			slog.String("number", risk.MaskNumber(c.Number)),
			slog.String("flow", c.Flow),
		)
	}

	if s.Duration > 0 {
		t := time.NewTimer(s.Duration)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return Result{ProviderID: id, Outcome: contactflows.OutcomeFailed}, ctx.Err()
		case <-t.C:
		}
	}

	return s.result(c, id)
}

// result is the configured outcome of call c, placed as id.
func (s *Simulator) result(c Call, id string) (Result, error) {
	outcome := s.Outcome
	if s.OutcomeFunc != nil {
		var err error
		if outcome, err = s.OutcomeFunc(c); err != nil {
			return Result{ProviderID: id, Outcome: contactflows.OutcomeFailed}, err
		}
	}
	if outcome == "" {
		outcome = contactflows.OutcomeAnswered
	}
	return Result{ProviderID: id, Outcome: outcome}, nil
}

// record stores c in the history and returns its sequence number from 1.
func (s *Simulator) record(c Call) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	limit := s.History
	if limit <= 0 {
		limit = DefaultSimulatorHistory
	}
	if len(s.calls) < limit {
		s.calls = append(s.calls, c)
	} else {
		s.calls[s.next] = c
	}
	s.next = (s.next + 1) % limit
	s.count++
	return s.count
}

// Calls returns the most recent calls, oldest first, as copies.
func (s *Simulator) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, 0, len(s.calls))
	start := 0
	if s.count > len(s.calls) { // the ring has wrapped
		start = s.next
	}
	for i := range s.calls {
		c := s.calls[(start+i)%len(s.calls)]
		c.Attributes = maps.Clone(c.Attributes)
		out = append(out, c)
	}
	return out
}

// Count returns how many calls have been placed, including those no longer
// kept in the history.
func (s *Simulator) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}
