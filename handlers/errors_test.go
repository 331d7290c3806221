package handlers

import (
	"net/http"
	"strings"
	"testing"

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

func TestStaticRoute(t *testing.T) {
	h := newHarness(t, risk.Allow)
	rec := h.do(t, request{method: http.MethodGet, path: static.Path("app.css")})
	if got, want := rec.Code, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got, want := rec.Header().Get("Cache-Control"), "public, max-age=31536000, immutable"; got != want {
		t.Errorf("Cache-Control = %q, want %q", got, want)
	}
	if got, want := rec.Header().Get("Content-Type"), "text/css; charset=utf-8"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	if !strings.Contains(rec.Body.String(), "focus-visible") {
		t.Errorf("stylesheet body not served")
	}
}
