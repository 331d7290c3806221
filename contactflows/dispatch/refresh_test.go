package dispatch

import (
	"fmt"
	"testing"
	"time"
)

func TestRefreshesDueOncePerPeriod(t *testing.T) {
	var r refreshes
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	steps := []struct {
		key  string
		at   time.Time
		want bool
	}{
		{"a", t0, true},
		{"a", t0.Add(refreshEvery - time.Second), false},
		{"b", t0.Add(time.Second), true},
		{"a", t0.Add(refreshEvery), true},
		{"a", t0.Add(refreshEvery + time.Second), false},
		// A clock that went back renews.
		{"a", t0, true},
	}
	for i, s := range steps {
		got := r.due(s.key, s.at)
		if got != s.want {
			t.Errorf("step %d: due(%s, +%s) = %v, want %v", i, s.key, s.at.Sub(t0), got, s.want)
		}
		if got {
			r.done([]string{s.key}, s.at)
		}
	}
}

// TestRefreshesDueUntilDone checks that a renewal whose transaction did
// not run (failed, or tried again) is due again.
func TestRefreshesDueUntilDone(t *testing.T) {
	var r refreshes
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	if !r.due("k", t0) || !r.due("k", t0.Add(time.Second)) {
		t.Fatal("a key never renewed was not due")
	}
	r.done([]string{"k"}, t0.Add(time.Second))
	if r.due("k", t0.Add(2*time.Second)) {
		t.Error("a key renewed a second ago was due")
	}
}

func TestRefreshesForgetOldKeys(t *testing.T) {
	var r refreshes
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for i := range refreshesKept {
		r.done([]string{fmt.Sprint("old", i)}, t0)
	}
	later := t0.Add(refreshEvery)
	r.done([]string{"new"}, later)
	if n := len(r.last); n != 1 {
		t.Errorf("remembered %d keys after a prune, want 1", n)
	}
}
