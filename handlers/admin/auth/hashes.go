package auth

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"time"
)

// ErrBusy is a sign-in refused because as many password hashes as the
// machine has cores are running and none finished within the wait: argon2id
// takes 19 MiB and a core's worth of time each, so a burst of sign-ins must
// not run them all at once.
var ErrBusy = errors.New("the console is busy checking other sign-ins; try again in a moment")

// hashWait is how long a sign-in waits for a free hash slot before it is
// refused with ErrBusy: long enough that ordinary sign-ins queue rather
// than fail.
const hashWait = time.Second

// hashSlots bounds the password hashes a store runs at once, and counts
// them.
type hashSlots struct {
	free    chan struct{}
	running atomic.Int64
	peak    atomic.Int64
}

// newHashSlots returns room for one hash per core (runtime.GOMAXPROCS).
func newHashSlots() *hashSlots {
	return &hashSlots{free: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))}
}

// run calls hash in a free slot, waiting up to hashWait for one; it
// returns ErrBusy when none came free, or ctx's error.
func (h *hashSlots) run(ctx context.Context, hash func()) error {
	select {
	case h.free <- struct{}{}:
	default:
		t := time.NewTimer(hashWait)
		defer t.Stop()
		select {
		case h.free <- struct{}{}:
		case <-t.C:
			return ErrBusy
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer func() { <-h.free }()
	n := h.running.Add(1)
	defer h.running.Add(-1)
	for p := h.peak.Load(); n > p && !h.peak.CompareAndSwap(p, n); p = h.peak.Load() {
	}
	hash()
	return nil
}

// PeakHashes is the most sign-in password hashes this store has run at
// once; it never exceeds runtime.GOMAXPROCS at the store's creation.
func (s *Store) PeakHashes() int { return int(s.hashes.peak.Load()) }

// RetryAfter is how long a client refused with err (ErrThrottled or ErrBusy)
// should wait before it tries again; 0 for any other error.
func (s *Store) RetryAfter(err error) time.Duration {
	switch {
	case errors.Is(err, ErrThrottled):
		return s.throttle.Window
	case errors.Is(err, ErrBusy):
		return hashWait
	}
	return 0
}
