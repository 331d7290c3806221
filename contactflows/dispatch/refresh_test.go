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
		if got := r.due(s.key, s.at); got != s.want {
			t.Errorf("step %d: due(%s, +%s) = %v, want %v", i, s.key, s.at.Sub(t0), got, s.want)
		}
	}
}

func TestRefreshesForgetOldKeys(t *testing.T) {
	var r refreshes
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for i := range refreshesKept {
		r.due(fmt.Sprint("old", i), t0)
	}
	later := t0.Add(refreshEvery)
	if !r.due("new", later) {
		t.Fatal("a new key was not due")
	}
	if n := len(r.last); n != 1 {
		t.Errorf("remembered %d keys after a prune, want 1", n)
	}
}
