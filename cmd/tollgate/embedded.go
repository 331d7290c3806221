package main

import (
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// embeddedTick is how often the embedded store's clock advances: a key
// expires at most this late.
const embeddedTick = 250 * time.Millisecond

// runEmbeddedClock makes the embedded store expire keys in real time.
// miniredis only counts a TTL down when told how much time passed, so every
// tick it is fast-forwarded by the wall time since the last one; without
// this, locks, holds, lockouts and timed deny entries would never lapse.
// The returned function stops the clock and waits for it.
func runEmbeddedClock(m *miniredis.Miniredis, every time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				m.FastForward(now.Sub(last))
				last = now
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
}
