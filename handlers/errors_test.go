package handlers

import (
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/static"
)

func TestErrorHandlerJSONOrHTML(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string
		accept     string
		wantStatus int
		wantCode   string // JSON answers
		wantHTML   bool
	}{
		{"not found json", http.MethodGet, "/nope", "", http.StatusNotFound, "not_found", false},
		{"not found json accept", http.MethodGet, "/nope", "application/json", http.StatusNotFound, "not_found", false},
		{"not found html", http.MethodGet, "/nope", "text/html,*/*;q=0.8", http.StatusNotFound, "", true},
		{"api always json", http.MethodGet, "/api/v1/callbacks", "text/html", http.StatusMethodNotAllowed, "method_not_allowed", false},
		{"api unknown path json", http.MethodGet, "/api/v1/nope", "text/html", http.StatusNotFound, "not_found", false},
		{"form method not allowed html", http.MethodDelete, "/", "text/html", http.StatusMethodNotAllowed, "", true},
		{"missing asset", http.MethodGet, "/static/app.0000000000000000.css", "", http.StatusNotFound, "not_found", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, risk.Allow)
			rec := h.do(t, request{method: tt.method, path: tt.path, header: http.Header{"Accept": {tt.accept}}})
			if got, want := rec.Code, tt.wantStatus; got != want {
				t.Fatalf("status = %d, want %d", got, want)
			}
			assertSecurityHeaders(t, rec.Header())
			if tt.wantHTML {
				assertHTML(t, rec, tt.wantStatus, `data-testid="error-page"`, `data-status="`)
				return
			}
			if got, want := decodeError(t, rec.Body.String()).Code, tt.wantCode; got != want {
				t.Errorf("code = %q, want %q", got, want)
			}
		})
	}
}

func TestHeadErrorHasNoBody(t *testing.T) {
	h := newHarness(t, risk.Allow)
	rec := h.do(t, request{method: http.MethodHead, path: "/nope"})
	if got, want := rec.Code, http.StatusNotFound; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
	if got := rec.Body.Len(); got != 0 {
		t.Errorf("body is %d bytes, want none", got)
	}
}

// The static route answers GET and HEAD, as static.Handler does.
func TestStaticRoute(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		t.Run(method, func(t *testing.T) {
			h := newHarness(t, risk.Allow)
			rec := h.do(t, request{method: method, path: static.Path("app.css")})
			if got, want := rec.Code, http.StatusOK; got != want {
				t.Fatalf("status = %d, want %d", got, want)
			}
			if got, want := rec.Header().Get("Cache-Control"), "public, max-age=31536000, immutable"; got != want {
				t.Errorf("Cache-Control = %q, want %q", got, want)
			}
			if got, want := rec.Header().Get("Content-Type"), "text/css; charset=utf-8"; got != want {
				t.Errorf("Content-Type = %q, want %q", got, want)
			}
			if got, want := strings.Contains(rec.Body.String(), "focus-visible"), method == http.MethodGet; got != want {
				t.Errorf("stylesheet body served = %v, want %v (%d bytes)", got, want, rec.Body.Len())
			}
		})
	}
}

// A failure after the response was sent cannot change the response, but it
// must still reach the log, once, and nothing may be written after it.
func TestErrorAfterCommitIsLoggedNotWritten(t *testing.T) {
	h := newHarness(t, risk.Allow)
	h.e.GET("/test/commit-then-panic", func(c echo.Context) error {
		if err := c.String(http.StatusOK, "partial"); err != nil {
			return err
		}
		panic("exploded after commit")
	})
	rec := h.do(t, request{method: http.MethodGet, path: "/test/commit-then-panic"})
	if got, want := rec.Code, http.StatusOK; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
	if got, want := rec.Body.String(), "partial"; got != want {
		t.Errorf("body = %q, want %q (nothing written after the commit)", got, want)
	}
	lines := logLines(t, h.logs.String(), "request failed")
	if got, want := len(lines), 1; got != want {
		t.Fatalf("request failed lines = %d, want %d:\n%s", got, want, h.logs)
	}
	if got, want := lines[0]["committed"], true; got != want {
		t.Errorf("log committed = %v, want %v", got, want)
	}
	if err, _ := lines[0]["err"].(string); !strings.Contains(err, "exploded after commit") {
		t.Errorf("log err = %q, want the panic", err)
	}
	if _, ok := lines[0]["stack"]; !ok {
		t.Errorf("log has no stack:\n%s", h.logs)
	}
}

// Echo hands one error to the error handler twice; it must be logged once.
func TestServerErrorLoggedOnce(t *testing.T) {
	h := newHarness(t, risk.Action("maybe"))
	rec := h.postJSON(t, `{"phone":"`+testPhone+`"}`)
	if got, want := rec.Code, http.StatusInternalServerError; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got, want := len(logLines(t, h.logs.String(), "request failed")), 1; got != want {
		t.Errorf("request failed lines = %d, want %d:\n%s", got, want, h.logs)
	}
}
