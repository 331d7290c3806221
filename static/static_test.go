package static

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestPathIsHashed(t *testing.T) {
	for _, name := range []string{"app.css", "favicon.svg"} {
		p := Path(name)
		base, ext, _ := strings.Cut(name, ".")
		re := regexp.MustCompile(`^/static/` + base + `\.[0-9a-f]{16}\.` + ext + `$`)
		if !re.MatchString(p) {
			t.Errorf("Path(%q) = %q, want it to match %s", name, p, re)
		}
		if got, want := Path(name), p; got != want {
			t.Errorf("Path(%q) second call = %q, want %q", name, got, want)
		}
	}
	if got, want := Path("missing.css"), "/static/missing.css"; got != want {
		t.Errorf("Path(unknown) = %q, want %q", got, want)
	}
}

func TestHandler(t *testing.T) {
	hashed := Path("app.css")
	tests := []struct {
		name        string
		method      string
		path        string
		header      http.Header
		wantStatus  int
		wantCache   string
		wantType    string
		wantBodyHas string
	}{
		{"hashed css", http.MethodGet, hashed, nil, http.StatusOK, "public, max-age=31536000, immutable", "text/css; charset=utf-8", "--accent"},
		{"hashed svg", http.MethodGet, Path("favicon.svg"), nil, http.StatusOK, "public, max-age=31536000, immutable", "image/svg+xml", "<svg"},
		{"plain name", http.MethodGet, "/static/app.css", nil, http.StatusOK, "no-cache", "text/css; charset=utf-8", "--accent"},
		{"stale hash", http.MethodGet, "/static/app.0000000000000000.css", nil, http.StatusNotFound, "", "", ""},
		{"unknown", http.MethodGet, "/static/nope.js", nil, http.StatusNotFound, "", "", ""},
		{"traversal", http.MethodGet, "/static/../static.go", nil, http.StatusNotFound, "", "", ""},
		{"directory", http.MethodGet, "/static/", nil, http.StatusNotFound, "", "", ""},
		{"post", http.MethodPost, hashed, nil, http.StatusMethodNotAllowed, "", "", ""},
		{"revalidate", http.MethodGet, hashed, http.Header{"If-None-Match": {`"` + strings.Split(hashed, ".")[1] + `"`}}, http.StatusNotModified, "public, max-age=31536000, immutable", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			rec := httptest.NewRecorder()
			Handler().ServeHTTP(rec, req)
			if got, want := rec.Code, tt.wantStatus; got != want {
				t.Fatalf("status = %d, want %d", got, want)
			}
			if got, want := rec.Header().Get("Cache-Control"), tt.wantCache; got != want {
				t.Errorf("Cache-Control = %q, want %q", got, want)
			}
			if tt.wantType != "" {
				if got, want := rec.Header().Get("Content-Type"), tt.wantType; got != want {
					t.Errorf("Content-Type = %q, want %q", got, want)
				}
			}
			if !strings.Contains(rec.Body.String(), tt.wantBodyHas) {
				t.Errorf("body does not contain %q", tt.wantBodyHas)
			}
		})
	}
}

func TestHas(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{strings.TrimPrefix(Path("app.css"), Prefix), true},
		{"app.css", true},
		{"app.0000000000000000.css", false},
		{"", false},
		{"assets/app.css", false},
	}
	for _, tt := range tests {
		if got := Has(tt.name); got != tt.want {
			t.Errorf("Has(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
