package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/risk"
)

func TestHealthz(t *testing.T) {
	h := newHarness(t, risk.Allow)
	rec := h.do(t, request{method: http.MethodGet, path: "/healthz"})
	if got, want := rec.Code, http.StatusOK; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
	if got, want := rec.Body.String(), `{"status":"ok"}`+"\n"; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
}

func TestReadyz(t *testing.T) {
	tests := []struct {
		name       string
		ready      func(context.Context) error
		wantStatus int
		wantBody   string
	}{
		{"nil check", nil, http.StatusOK, `{"status":"ready"}`},
		{"ready", func(context.Context) error { return nil }, http.StatusOK, `{"status":"ready"}`},
		{
			"down",
			func(context.Context) error { return errors.New("dial tcp 10.0.0.7:6379: connect: connection refused") },
			http.StatusServiceUnavailable,
			`{"status":"unavailable","error":"redis unreachable"}`,
		},
		{
			"too slow",
			func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
			http.StatusServiceUnavailable,
			`{"status":"unavailable","error":"redis unreachable"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, risk.Allow, func(h *harness) { h.deps.Ready = tt.ready })
			start := time.Now()
			rec := h.do(t, request{method: http.MethodGet, path: "/readyz"})
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("readyz took %v, want about a second at most", took)
			}
			if got, want := rec.Code, tt.wantStatus; got != want {
				t.Errorf("status = %d, want %d", got, want)
			}
			if got, want := rec.Body.String(), tt.wantBody+"\n"; got != want {
				t.Errorf("body = %s, want %s", got, want)
			}
		})
	}
}

func TestReadyzDeadline(t *testing.T) {
	var deadline time.Duration
	h := newHarness(t, risk.Allow, func(h *harness) {
		h.deps.Ready = func(ctx context.Context) error {
			d, ok := ctx.Deadline()
			if !ok {
				return errors.New("no deadline")
			}
			deadline = time.Until(d)
			return nil
		}
	})
	rec := h.do(t, request{method: http.MethodGet, path: "/readyz"})
	if got, want := rec.Code, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if deadline <= 0 || deadline > time.Second {
		t.Errorf("ready check deadline in %v, want within 1s", deadline)
	}
}

func TestReadyzLogsDetail(t *testing.T) {
	h := newHarness(t, risk.Allow, func(h *harness) {
		h.deps.Ready = func(context.Context) error { return errors.New("NOAUTH Authentication required") }
	})
	h.do(t, request{method: http.MethodGet, path: "/readyz"})
	if !strings.Contains(h.logs.String(), "NOAUTH") {
		t.Errorf("log does not hold the readiness error:\n%s", h.logs)
	}
}
