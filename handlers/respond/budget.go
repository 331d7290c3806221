package respond

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// WebhookBudget bounds the store work of the write-only telephony webhooks
// (the call-end report, Twilio's status callback) when the decision budget
// is shorter: nobody waits on their answer, and a write cut off after it
// reached Redis would make the provider retry what was done.
const WebhookBudget = 2 * time.Second

// degradedFor is how long after its last fallback /readyz reports the
// service degraded.
const degradedFor = 10 * time.Second

// Budget bounds the store work of a surface's answers and records when a
// fail mode answered instead: a log line, the metric, and the time /readyz
// reports. Every surface of one server shares one.
type Budget struct {
	// Decision bounds the store work of one decision, screening or
	// verification.
	Decision time.Duration
	// Observe is told of every answer a fail mode gave: the surface and
	// the mode.
	Observe func(surface, mode string)
	// Log receives a line per fallback.
	Log *slog.Logger
	// last is when a fail mode last answered, in Unix nanoseconds; 0 for
	// never.
	last atomic.Int64
}

// Bound returns ctx bounded by the decision budget.
func (b *Budget) Bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, b.Decision)
}

// Webhook returns ctx bounded by the longer of WebhookBudget and the
// decision budget.
func (b *Budget) Webhook(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, max(WebhookBudget, b.Decision))
}

// FellBack records that the fail mode mode answered on surface because of
// err.
func (b *Budget) FellBack(ctx context.Context, surface, mode string, err error) {
	b.last.Store(time.Now().UnixNano())
	b.Observe(surface, mode)
	b.Log.LogAttrs(ctx, slog.LevelWarn, "store unavailable; fail mode answered",
		slog.String("surface", surface), slog.String("mode", mode), slog.Any("err", err))
}

// Recent reports whether a fail mode answered within degradedFor, and
// when it last did.
func (b *Budget) Recent() (time.Time, bool) {
	n := b.last.Load()
	if n == 0 {
		return time.Time{}, false
	}
	at := time.Unix(0, n)
	return at, time.Since(at) < degradedFor
}

// Cause explains a store failure in a decision's reason detail.
func (b *Budget) Cause(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("the store did not answer within the %s decision budget", b.Decision)
	}
	return "the store failed: " + err.Error()
}
