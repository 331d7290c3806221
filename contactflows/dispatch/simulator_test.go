package dispatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/risk"
)

func TestSimulatorRecordsCalls(t *testing.T) {
	var s Simulator
	attrs := map[string]string{"score": "10"}
	res, err := s.Dial(context.Background(), Call{ID: "a", Number: "+447700900123", Attributes: attrs})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if got, want := res.Outcome, contactflows.OutcomeAnswered; got != want {
		t.Errorf("outcome = %q, want %q", got, want)
	}
	if got, want := res.ProviderID, "sim-1"; got != want {
		t.Errorf("provider id = %q, want %q", got, want)
	}
	attrs["score"] = "changed"
	calls := s.Calls()
	if got, want := len(calls), 1; got != want {
		t.Fatalf("len(Calls()) = %d, want %d", got, want)
	}
	if got, want := calls[0].Attributes["score"], "10"; got != want {
		t.Errorf("recorded attribute = %q, want %q (the caller's map must not alias it)", got, want)
	}
	calls[0].Attributes["score"] = "mutated"
	if got, want := s.Calls()[0].Attributes["score"], "10"; got != want {
		t.Errorf("attribute after mutating a returned copy = %q, want %q", got, want)
	}
}

func TestSimulatorHistoryIsBounded(t *testing.T) {
	s := Simulator{History: 3}
	for i := range 5 {
		if _, err := s.Dial(context.Background(), Call{ID: fmt.Sprint(i)}); err != nil {
			t.Fatalf("Dial: %v", err)
		}
	}
	if got, want := s.Count(), 5; got != want {
		t.Errorf("Count() = %d, want %d", got, want)
	}
	var ids []string
	for _, c := range s.Calls() {
		ids = append(ids, c.ID)
	}
	if got, want := strings.Join(ids, ","), "2,3,4"; got != want {
		t.Errorf("Calls() ids = %s, want %s", got, want)
	}
}

func TestSimulatorOutcomes(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name        string
		sim         *Simulator
		wantOutcome string
		wantErr     error
	}{
		{"fixed", &Simulator{Outcome: contactflows.OutcomeBusy}, contactflows.OutcomeBusy, nil},
		{"func", &Simulator{OutcomeFunc: func(c Call) (string, error) { return contactflows.OutcomeNoAnswer, nil }}, contactflows.OutcomeNoAnswer, nil},
		{"func error", &Simulator{OutcomeFunc: func(c Call) (string, error) { return "", boom }}, contactflows.OutcomeFailed, boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.sim.Dial(context.Background(), Call{ID: "x"})
			if got, want := err, tt.wantErr; !errors.Is(got, want) {
				t.Errorf("err = %v, want %v", got, want)
			}
			if got, want := res.Outcome, tt.wantOutcome; got != want {
				t.Errorf("outcome = %q, want %q", got, want)
			}
		})
	}
}

func TestSimulatorDurationHonoursContext(t *testing.T) {
	s := Simulator{Duration: time.Hour}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := s.Dial(ctx, Call{ID: "x"})
	if got, want := err, context.DeadlineExceeded; !errors.Is(got, want) {
		t.Errorf("err = %v, want %v", got, want)
	}
}

func TestSimulatorLogsMaskedNumber(t *testing.T) {
	var buf bytes.Buffer
	s := Simulator{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	if _, err := s.Dial(context.Background(), Call{ID: "x", Number: "+447700900123"}); err != nil {
		t.Fatalf("Dial: %v", err)
	}
	out := buf.String()
	if !strings.Contains(out, "simulated call placed") || !strings.Contains(out, risk.MaskNumber("+447700900123")) {
		t.Errorf("log = %s, want the message and the masked number", out)
	}
	if strings.Contains(out, "+447700900123") {
		t.Errorf("log = %s, contains the raw number", out)
	}
}

func TestSimulatorConcurrentDials(t *testing.T) {
	var s Simulator
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			_, _ = s.Dial(context.Background(), Call{ID: "x"})
			_ = s.Calls()
		})
	}
	wg.Wait()
	if got, want := s.Count(), 50; got != want {
		t.Errorf("Count() = %d, want %d", got, want)
	}
}

func TestSimulatorJournalIsIdempotentAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calls.jsonl")
	ctx := context.Background()
	j, err := OpenSimulatorJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	first := &Simulator{Journal: j}
	if !first.Idempotent() {
		t.Error("a simulator with a journal is not idempotent")
	}
	r1, err := first.Dial(ctx, Call{ID: "c1", Number: "+447700900001"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Dial(ctx, Call{ID: "c1", Number: "+447700900001"}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	// A torn last line, as a crash mid-write would leave, is skipped.
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"id":"c9","provi`)
	f.Close()

	j, err = OpenSimulatorJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	again := &Simulator{Journal: j}
	r2, err := again.Dial(ctx, Call{ID: "c1", Number: "+447700900001"})
	if err != nil {
		t.Fatal(err)
	}
	if r2.ProviderID != r1.ProviderID || r2.Outcome != contactflows.OutcomeAnswered {
		t.Errorf("redial after restart = %+v, want provider id %s, answered", r2, r1.ProviderID)
	}
	if _, err := again.Dial(ctx, Call{ID: "c2", Number: "+447700900002"}); err != nil {
		t.Fatal(err)
	}
	entries, err := ReadSimulatorJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.ID)
	}
	if got, want := ids, []string{"c1", "c2"}; !slices.Equal(got, want) {
		t.Errorf("journal = %v, want %v", got, want)
	}
	if got, want := again.Count(), 1; got != want {
		t.Errorf("calls placed by the second simulator = %d, want %d", got, want)
	}
}
