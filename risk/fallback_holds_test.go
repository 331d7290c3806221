package risk

import (
	"fmt"
	"testing"
	"time"
)

func TestFallbackHolds(t *testing.T) {
	h := fallbackHolds{limit: 3}
	t0 := time.Unix(1_700_000_000, 0)
	ttl := time.Minute
	for i, tt := range []struct {
		number string
		at     time.Duration
		want   holdResult
	}{
		{"+1", 0, holdTaken},
		{"+1", 59 * time.Second, holdDuplicate},
		{"+2", time.Second, holdTaken},
		{"+3", 2 * time.Second, holdTaken},
		{"+4", 3 * time.Second, holdFull},
		{"+1", time.Minute, holdTaken}, // +1 expired, its slot reused
		{"+4", time.Minute, holdFull},
		{"+4", time.Minute + time.Second, holdTaken}, // +2 expired
		{"+1", time.Minute + 59*time.Second, holdDuplicate},
	} {
		if got := h.take(tt.number, t0.Add(tt.at), ttl); got != tt.want {
			t.Errorf("step %d: take(%s) at %s: got %d, want %d", i, tt.number, tt.at, got, tt.want)
		}
	}
	if got, want := len(h.queue), 2; got != want { // +3 expired at 62s
		t.Errorf("queue length: got %d, want %d", got, want)
	}
}

func BenchmarkFallbackHoldsFull(b *testing.B) {
	h := fallbackHolds{}
	now := time.Unix(1_700_000_000, 0)
	for i := range MaxFallbackHolds {
		h.take(fmt.Sprint(i), now, time.Hour)
	}
	b.ResetTimer()
	for i := range b.N {
		h.take(fmt.Sprint("x", i), now, time.Hour)
	}
}
