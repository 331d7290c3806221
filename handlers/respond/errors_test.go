package respond

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
)

// Failed answers a wrapped domain error with its code and message, and any
// other store error as unavailable, keeping the cause.
func TestFailedMapsDomainErrors(t *testing.T) {
	for _, d := range domainErrors {
		err := fmt.Errorf("reading: %w", d.err)
		got := Failed(err)
		if got.Code != d.code || got.Message != d.message || !errors.Is(got, d.err) {
			t.Errorf("Failed(%v) = %+v, want code %s and message %q wrapping it", err, got, d.code, d.message)
		}
		if want := map[string]int{CodeNotFound: http.StatusNotFound, CodeUnavailable: http.StatusServiceUnavailable}[d.code]; got.Status() != want {
			t.Errorf("Failed(%v).Status() = %d, want %d", err, got.Status(), want)
		}
	}
	cause := errors.New("connection refused")
	if got := Failed(cause); got.Code != CodeUnavailable || got.Status() != http.StatusServiceUnavailable || !errors.Is(got, cause) {
		t.Errorf("Failed(%v) = %+v, want unavailable wrapping it", cause, got)
	}
}

// Every code has a status, and no status is a success.
func TestEveryCodeHasAnErrorStatus(t *testing.T) {
	for code, status := range statusByCode {
		if status < 400 {
			t.Errorf("%s maps to %d, not an error status", code, status)
		}
	}
	if got := (&Error{Code: "no_such_code"}).Status(); got != http.StatusInternalServerError {
		t.Errorf("unknown code: status %d, want 500", got)
	}
}
