package dispatch

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// How long a transaction over the {calls} slot is tried again while Redis
// Cluster answers TRYAGAIN. A request waits on Record, whose context
// carries the decision budget: Record tries again until that deadline
// (retryTryAgain never outlasts its context), and recordTryAgainMax, the
// longest budget the configuration allows, only bounds a caller without
// a deadline. Settling a call that was already dialed runs on a worker and
// must not lose the outcome, so for longer. go-redis itself retries
// TRYAGAIN only MaxRedirects times (3 by default), a few tens of
// milliseconds, and a slot migrates for as long as its keys take to move.
const (
	recordTryAgainMax = 10 * time.Second
	settleTryAgainFor = 30 * time.Second
)

// isTryAgain reports whether err is Redis Cluster's TRYAGAIN: a command or
// transaction over several keys of a slot being migrated, some of which
// have moved already. Nothing of it ran, so it is safe to send again.
func isTryAgain(err error) bool {
	var rerr redis.Error
	return errors.As(err, &rerr) && strings.HasPrefix(rerr.Error(), "TRYAGAIN")
}

// retryTryAgain runs fn, and runs it again while it fails with TRYAGAIN,
// backing off from 10ms to 250ms, until budget has passed or ctx's
// deadline would pass during the next wait, or ctx is done. It returns
// fn's last error, so a caller out of time learns it was TRYAGAIN.
func retryTryAgain(ctx context.Context, budget time.Duration, fn func() error) error {
	deadline := time.Now().Add(budget)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	wait := 10 * time.Millisecond
	for {
		err := fn()
		if !isTryAgain(err) || time.Now().Add(wait).After(deadline) || !sleep(ctx, wait) {
			return err
		}
		wait = min(2*wait, 250*time.Millisecond)
	}
}
