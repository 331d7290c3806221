package dispatch

import (
	"context"
	"errors"
	"testing"
	"time"
)

// serverError is an error Redis answered, as go-redis reports one.
type serverError string

func (e serverError) Error() string { return string(e) }
func (serverError) RedisError()     {}

func TestRetryTryAgain(t *testing.T) {
	tryAgain := serverError("TRYAGAIN Multiple keys request during rehashing of slot")
	other := serverError("ERR wrong number of arguments")
	tests := []struct {
		name      string
		errs      []error
		budget    time.Duration
		wantCalls int
		wantErr   error
	}{
		{"succeeds at once", []error{nil}, time.Second, 1, nil},
		{"succeeds after two TRYAGAIN", []error{tryAgain, tryAgain, nil}, time.Second, 3, nil},
		{"other errors are not retried", []error{other, nil}, time.Second, 1, other},
		{"plain errors are not retried", []error{errors.New("TRYAGAIN in a message"), nil}, time.Second, 1, errors.New("TRYAGAIN in a message")},
		// 10ms, 20ms, 40ms... of waits pass 25ms before the fifth call:
		// how many calls fit depends on the clock, that none succeeds not.
		{"gives up after the budget", []error{tryAgain, tryAgain, tryAgain, tryAgain, tryAgain, nil}, 25 * time.Millisecond, 0, tryAgain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := retryTryAgain(context.Background(), tt.budget, func() error {
				calls++
				return tt.errs[calls-1]
			})
			if tt.wantCalls > 0 && calls != tt.wantCalls {
				t.Errorf("calls: got %d, want %d", calls, tt.wantCalls)
			}
			if (err == nil) != (tt.wantErr == nil) || err != nil && err.Error() != tt.wantErr.Error() {
				t.Errorf("error: got %v, want %v", err, tt.wantErr)
			}
		})
	}
	t.Run("stops before the context's deadline", func(t *testing.T) {
		// Record's context carries the decision budget: no wait may run
		// past it, whatever the retry budget.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second) // waits end at 810ms, the next would at 1060ms
		defer cancel()
		deadline, _ := ctx.Deadline()
		calls := 0
		err := retryTryAgain(ctx, time.Minute, func() error { calls++; return tryAgain })
		if !isTryAgain(err) || ctx.Err() != nil || !time.Now().Before(deadline) {
			t.Errorf("got %v after %d calls, context error %v; want TRYAGAIN before the deadline", err, calls, ctx.Err())
		}
	})
	t.Run("stops when the context ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		calls := 0
		err := retryTryAgain(ctx, time.Minute, func() error { calls++; return tryAgain })
		if calls != 1 || !isTryAgain(err) {
			t.Errorf("got %d calls and %v, want 1 call and TRYAGAIN", calls, err)
		}
	})
}
