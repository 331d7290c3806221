package risk

import "sync"

// expiringCacheSize bounds expiring: at most this many bucket keys, about
// 100 bytes each, so about 400 KB.
const expiringCacheSize = 4096

// expiring remembers the counter buckets this process gave their TTL and
// then saw counted again, so that later increments of a busy bucket (a
// destination country's, a busy network's) skip the PEXPIRE: the TTL set
// when the bucket was new outlasts the bucket's use (two bucket lengths
// from a moment inside it). Buckets seen once, as most per-visitor ones
// are, never enter it. It keeps two generations of at most size/2 keys
// each: a lookup checks both, and a full current generation becomes the
// old one.
//
// A bucket that disappears before its time (FLUSHALL, eviction, a lost
// failover write) is re-created by the next INCR, which then answers 1:
// settle sees that and sets its TTL at once, so every counter key keeps
// expiring.
type expiring struct {
	mu       sync.Mutex
	size     int
	cur, old map[string]struct{}
}

func newExpiring(size int) *expiring {
	return &expiring{size: size, cur: make(map[string]struct{}, size/2)}
}

func (x *expiring) has(k string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, ok := x.cur[k]; ok {
		return true
	}
	_, ok := x.old[k]
	return ok
}

func (x *expiring) put(k string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.cur) >= x.size/2 {
		x.old, x.cur = x.cur, make(map[string]struct{}, x.size/2)
	}
	x.cur[k] = struct{}{}
}

func (x *expiring) forget(k string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.cur, k)
	delete(x.old, k)
}
