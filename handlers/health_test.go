package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/handlers/ivr"
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
	const degraded = `{"status":"degraded","error":"redis unreachable","fallback":{"form":"deflect","ivr":"challenge"}}`
	down := func(context.Context) error { return errors.New("dial tcp 10.0.0.7:6379: connect: connection refused") }
	tests := []struct {
		name       string
		ready      func(context.Context) error
		query      string
		wantStatus int
		wantBody   string
	}{
		{"nil check", nil, "", http.StatusOK, `{"status":"ready"}`},
		{"ready", func(context.Context) error { return nil }, "", http.StatusOK, `{"status":"ready"}`},
		{"ready, strict", func(context.Context) error { return nil }, "?strict=true", http.StatusOK, `{"status":"ready"}`},
		// Degraded still answers 200: every instance shares the store, and
		// the fail modes keep answering.
		{"down", down, "", http.StatusOK, degraded},
		{"down, strict", down, "?strict=true", http.StatusServiceUnavailable, degraded},
		{
			"too slow",
			func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
			"",
			http.StatusOK,
			degraded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, risk.Allow, func(h *harness) { h.deps.Ready = tt.ready })
			start := time.Now()
			rec := h.do(t, request{method: http.MethodGet, path: "/readyz" + tt.query})
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

// A fail mode that answered lately makes /readyz degraded even while the
// store answers its ping, and says when.
func TestReadyzAfterFallback(t *testing.T) {
	h := newHarness(t, risk.Allow, evaluateWith(func(context.Context, risk.Request) (risk.Decision, error) {
		return risk.Decision{}, errors.New("redis: i/o timeout")
	}), func(h *harness) {
		h.deps.Ready = func(context.Context) error { return nil }
		h.deps.Faults = Faults{Form: FailBlock, IVR: ivr.FailPass}
	})
	if rec := h.postJSON(t, `{"phone":"`+testPhone+`"}`); rec.Code != http.StatusAccepted {
		t.Fatalf("callback status = %d, want %d", rec.Code, http.StatusAccepted)
	}
	rec := h.do(t, request{method: http.MethodGet, path: "/readyz"})
	if got, want := rec.Code, http.StatusOK; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
	var body struct {
		Status   string `json:"status"`
		Error    string `json:"error"`
		Fallback struct {
			Form   string     `json:"form"`
			IVR    string     `json:"ivr"`
			LastAt *time.Time `json:"last_at"`
		} `json:"fallback"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.Status != "degraded" || body.Error != "" || body.Fallback.Form != "block" || body.Fallback.IVR != "pass" || body.Fallback.LastAt == nil {
		t.Errorf("body = %s, want degraded with fallback block/pass, a last_at and no error", rec.Body)
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
