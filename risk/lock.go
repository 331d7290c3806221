package risk

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// The outstanding-callback lock: one callback per number at a time. A
// decision that may be allowed takes the number's lock (lockKey) with SET NX
// and a TTL (Options.DuplicateTTL) in its round trip, holding it under its
// own id; the dispatcher releases it when the call completes (Release), a
// refused decision at once (releaseLater), a failed evaluation if it did
// take it (releaseIfHeld). The TTL is the backstop when nothing releases it.

// releaseScript deletes a lock only while the caller still holds it.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// Release frees the number's outstanding-callback lock if id still holds
// it. Call it when the callback completed, whatever its outcome.
func (e *Engine) Release(ctx context.Context, number, id string) error {
	return releaseScript.Run(ctx, e.rdb, []string{lockKey(number)}, id).Err()
}

// ReleaseLater frees, off the request path, what decision id took a
// moment ago for a call that will not be placed: its lock on number and
// its reservation in the daily budget, if any; Close waits for it.
func (e *Engine) ReleaseLater(number, id string) { e.releaseLater(number, id, true, true) }

// releaseLater frees the lock (lock) and the budget reservation (hold)
// decision id took a moment ago, off the request path. While less than
// half the lock's TTL has passed since it was called nobody else can hold
// the lock, so a plain DEL frees it, sparing Redis a script under attack;
// later, Release checks the holder first. Releasing a reservation is
// idempotent.
func (e *Engine) releaseLater(number, id string, lock, hold bool) {
	taken, day := time.Now(), e.now()
	e.releases.Add(1)
	go func() {
		defer e.releases.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if lock {
			var err error
			if time.Since(taken) < e.dupTTL/2 {
				err = e.rdb.Del(ctx, lockKey(number)).Err()
			} else {
				err = e.Release(ctx, number, id)
			}
			if err != nil {
				e.log.Warn("lock of a refused request not released; it expires on its own", "err", err)
			}
		}
		if hold {
			if err := e.Unreserve(ctx, id, day); err != nil {
				e.log.Warn("budget reservation of a refused request not released; it lapses with the day", "err", err)
			}
		}
	}()
}

// maxReleasesInFlight bounds the lock releases of failed evaluations
// running at once.
const maxReleasesInFlight = 16

// releaseIfHeld frees, off the request path, the lock on number if
// decision id holds it: an evaluation that failed may or may not have
// taken it. Which failures left it untaken cannot be told from the error:
// go-redis retries a pipeline whose replies were lost, so a dial or pool
// error may follow an attempt that ran; on a Cluster the error may be
// another node's; and a failed command in a pipeline undoes none of the
// others. Only a closed client is sure to have sent nothing more. Another
// holder's lock is left alone. At most maxReleasesInFlight run at once: a
// failing store would otherwise gather one goroutine per failed request;
// past that, the release is dropped and the lock expires with its TTL. A
// failure is only logged at debug level: the store is likely what failed.
func (e *Engine) releaseIfHeld(number, id string, cause error) {
	if errors.Is(cause, redis.ErrClosed) {
		return
	}
	select {
	case e.releaseSlots <- struct{}{}:
	default:
		e.releasesDropped.Add(1)
		if last := e.dropLogged.Load(); time.Since(time.Unix(0, last)) > 10*time.Second && e.dropLogged.CompareAndSwap(last, time.Now().UnixNano()) {
			e.log.Warn("lock releases of failed evaluations dropped; their locks expire on their own",
				"in_flight", maxReleasesInFlight, "dropped_so_far", e.releasesDropped.Load(), "ttl", e.dupTTL)
		}
		return
	}
	e.releases.Add(1)
	go func() {
		defer func() { <-e.releaseSlots; e.releases.Done() }()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := e.Release(ctx, number, id); err != nil {
			e.log.Debug("lock of a failed evaluation not checked; if taken, it expires on its own", "err", err)
		}
	}()
}
