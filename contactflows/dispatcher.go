package contactflows

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/tollgate/tollgate/risk"
)

// QueuePerWorker is how many calls a Dispatcher queues per worker before
// Submit reports ErrQueueFull.
const QueuePerWorker = 64

// releaseTimeout bounds each release call, which runs even during shutdown,
// and also all the releases of the calls dropped at shutdown together.
const releaseTimeout = 5 * time.Second

// Errors Submit returns.
var (
	// ErrQueueFull means the queue has no room; the call was not queued.
	ErrQueueFull = errors.New("contactflows: call queue full")
	// ErrDispatcherClosed means Run has returned; the call was not queued.
	ErrDispatcherClosed = errors.New("contactflows: dispatcher closed")
)

// Dispatcher queues calls in memory and dials them with a fixed number of
// workers. After each call, whatever its outcome, it calls release so the
// number's outstanding-callback lock is freed.
//
// The queue lives in process memory only: a crash or kill loses every
// queued call (their locks then expire on their own). A durable queue on a
// Redis stream is meant to replace it.
type Dispatcher struct {
	dialer  Dialer
	release func(ctx context.Context, number, id string) error
	log     *slog.Logger
	workers int
	queue   chan Call
	// releaseTimeout is the releaseTimeout constant, shortened by tests.
	releaseTimeout time.Duration

	mu     sync.RWMutex
	closed bool
}

// NewDispatcher returns a Dispatcher that dials with d through workers
// concurrent workers (at least one) and calls release after each call.
// A nil release or log is allowed.
func NewDispatcher(d Dialer, release func(ctx context.Context, number, id string) error, log *slog.Logger, workers int) *Dispatcher {
	if workers < 1 {
		workers = 1
	}
	if release == nil {
		release = func(context.Context, string, string) error { return nil }
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{
		dialer:         d,
		release:        release,
		log:            log,
		workers:        workers,
		queue:          make(chan Call, workers*QueuePerWorker),
		releaseTimeout: releaseTimeout,
	}
}

// Submit queues c without blocking. It returns ErrQueueFull when the queue
// has no room and ErrDispatcherClosed once Run has returned.
func (d *Dispatcher) Submit(c Call) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return ErrDispatcherClosed
	}
	select {
	case d.queue <- c:
		return nil
	default:
		return ErrQueueFull
	}
}

// Run dials queued calls until ctx is done, then waits for the workers'
// calls in progress (which see ctx cancelled), closes the Dispatcher and
// releases the locks of calls still queued, which are dropped without
// being dialed. Those releases share one release timeout, so a Redis that
// does not answer cannot hold shutdown up for a timeout per queued call;
// locks not released by then expire on their own. Call Run once.
func (d *Dispatcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range d.workers {
		wg.Go(func() { d.work(ctx) })
	}
	wg.Wait()

	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.releaseTimeout)
	defer cancel()
	for {
		select {
		case c := <-d.queue:
			d.drop(drainCtx, c)
		default:
			return
		}
	}
}

// work dials calls from the queue until ctx is done.
func (d *Dispatcher) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-d.queue:
			if ctx.Err() != nil {
				d.drop(context.WithoutCancel(ctx), c)
				return
			}
			d.place(ctx, c)
		}
	}
}

// place dials c and releases its lock whatever happened, a panicking
// Dialer included: the panic is logged and the worker carries on.
func (d *Dispatcher) place(ctx context.Context, c Call) {
	res, err := d.dial(ctx, c)
	log := d.log.With(
		slog.String("id", c.ID),
		slog.String("number", risk.MaskNumber(c.Number)),
		slog.String("provider_id", res.ProviderID),
	)
	if err != nil {
		log.Error("call failed", slog.Any("err", err))
	} else {
		log.Info("call completed", slog.String("outcome", res.Outcome))
	}
	d.releaseLock(context.WithoutCancel(ctx), c)
}

// dial calls the Dialer, turning a panic into an error carrying its stack.
func (d *Dispatcher) dial(ctx context.Context, c Call) (res Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("contactflows: dialer panicked: %v\n%s", v, debug.Stack())
		}
	}()
	return d.dialer.Dial(ctx, c)
}

// drop releases the lock of a call that will not be dialed.
func (d *Dispatcher) drop(ctx context.Context, c Call) {
	d.log.Warn("queued call dropped at shutdown",
		slog.String("id", c.ID),
		slog.String("number", risk.MaskNumber(c.Number)),
	)
	d.releaseLock(ctx, c)
}

// releaseLock frees c's number lock within the release timeout and ctx's
// own deadline. Callers pass a ctx that is not cancelled by shutdown.
func (d *Dispatcher) releaseLock(ctx context.Context, c Call) {
	ctx, cancel := context.WithTimeout(ctx, d.releaseTimeout)
	defer cancel()
	if err := d.release(ctx, c.Number, c.ID); err != nil {
		d.log.Error("release failed",
			slog.String("id", c.ID),
			slog.String("number", risk.MaskNumber(c.Number)),
			slog.Any("err", err),
		)
	}
}
