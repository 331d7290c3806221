package risk

import (
	"sync"
	"time"
)

// MaxFallbackHolds bounds the numbers one process remembers as called by
// the form's allow fail mode within the duplicate TTL.
const MaxFallbackHolds = 100_000

// holdResult is what fallbackHolds.take found.
type holdResult int

const (
	// holdTaken: the number had no hold; it has one now.
	holdTaken holdResult = iota
	// holdDuplicate: the number's hold has not expired.
	holdDuplicate
	// holdFull: MaxFallbackHolds holds are live; none was taken.
	holdFull
)

// fallbackHolds is the in-process stand-in for the outstanding-callback
// lock while Redis is down: a number allowed by the fail mode is held for
// the duplicate TTL. Holds are kept in a map and in a queue ordered by
// expiry (every hold lives the same TTL, so the order of taking is the
// order of expiry); each take drops the expired holds at the queue's head,
// so no call scans the map. The zero value is ready to use.
type fallbackHolds struct {
	mu    sync.Mutex
	until map[string]time.Time
	queue []heldNumber
	limit int // 0 means MaxFallbackHolds
}

// heldNumber is one hold in the expiry queue.
type heldNumber struct {
	number string
	until  time.Time
}

// take holds number until now+ttl unless a hold on it is live or the
// holds are full.
func (h *fallbackHolds) take(number string, now time.Time, ttl time.Duration) holdResult {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.until == nil {
		h.until = make(map[string]time.Time)
	}
	for len(h.queue) > 0 && !now.Before(h.queue[0].until) {
		head := h.queue[0]
		if h.until[head.number].Equal(head.until) {
			delete(h.until, head.number)
		}
		h.queue[0] = heldNumber{}
		h.queue = h.queue[1:]
	}
	if until, ok := h.until[number]; ok && now.Before(until) {
		return holdDuplicate
	}
	limit := h.limit
	if limit <= 0 {
		limit = MaxFallbackHolds
	}
	if len(h.until) >= limit {
		return holdFull
	}
	until := now.Add(ttl)
	h.until[number] = until
	h.queue = append(h.queue, heldNumber{number, until})
	return holdTaken
}
