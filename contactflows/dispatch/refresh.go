package dispatch

import (
	"sync"
	"time"
)

// refreshes remembers when this process last renewed a key's TTL or
// trimmed it. The decision log's counts are written by every decision,
// but their TTLs (hours to days) and the stream's retention trim need
// renewing far less often: a key renewed within refreshEvery is not
// renewed again, which takes about a third of the commands off the
// recording transaction. Should a key vanish and be re-created by its next
// increment (FLUSHALL, a failover), it goes at most refreshEvery without
// a TTL.
type refreshes struct {
	mu   sync.Mutex
	last map[string]time.Time
}

const (
	refreshEvery = time.Minute
	// refreshesKept bounds the keys remembered; past it, those renewed
	// longer than refreshEvery ago are forgotten.
	refreshesKept = 4096
)

// due reports whether key should be renewed at now. A clock that went back
// makes every key due.
func (r *refreshes) due(key string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.last[key]
	return !ok || now.Before(t) || now.Sub(t) >= refreshEvery
}

// done records keys renewed at now, once the transaction that renewed
// them ran: one that failed, or is tried again, renews them again.
func (r *refreshes) done(keys []string, now time.Time) {
	if len(keys) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = make(map[string]time.Time)
	}
	if len(r.last)+len(keys) > refreshesKept {
		for k, t := range r.last {
			if now.Sub(t) >= refreshEvery || now.Before(t) {
				delete(r.last, k)
			}
		}
	}
	for _, k := range keys {
		r.last[k] = now
	}
}
