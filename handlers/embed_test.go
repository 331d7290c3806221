package handlers

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

func TestParseOrigin(t *testing.T) {
	tests := []struct {
		in, want string // want "" for an error
	}{
		{"https://shop.example.com", "https://shop.example.com"},
		{"https://Shop.Example.COM/", "https://shop.example.com"},
		{"HTTP://localhost:3000", "http://localhost:3000"},
		{"https://192.0.2.1:8443", "https://192.0.2.1:8443"},
		{"https://[2001:DB8::1]:8443", "https://[2001:db8::1]:8443"},
		{"https://shop.example.com:0443", "https://shop.example.com:443"},
		{"shop.example.com", ""},
		{"ftp://shop.example.com", ""},
		{"https://shop.example.com/path", ""},
		{"https://shop.example.com//", ""},
		{"https://shop.example.com?q", ""},
		{"https://shop.example.com#f", ""},
		{"https://user@shop.example.com", ""},
		{"https://*.example.com", ""},
		{"https://shop.example.com:", ""},
		{"https://shop.example.com:99999", ""},
		{"https://shop.example.com:0", ""},
		{"https://shop_example.com", ""},
		{"https://-shop.example.com", ""},
		{"https://shop.example.com;script-src", ""},
		{"https://shop.example.com 'unsafe-inline'", ""},
		{"https://", ""},
		{"'self'", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := ParseOrigin(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseOrigin(%q): got %q, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseOrigin(%q): got %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestFormFrameAncestors(t *testing.T) {
	tests := []struct {
		name      string
		ancestors []string
		wantCSP   string
		wantXFO   string
	}{
		{
			name:    "none configured",
			wantCSP: "default-src 'self'; base-uri 'none'; form-action 'self'; script-src 'none'; frame-ancestors 'self'",
			wantXFO: "SAMEORIGIN",
		},
		{
			name:      "two sites",
			ancestors: []string{"https://www.example.com", "http://localhost:3000/"},
			wantCSP:   "default-src 'self'; base-uri 'none'; form-action 'self'; script-src 'none'; frame-ancestors 'self' https://www.example.com http://localhost:3000",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, risk.Allow, func(h *harness) { h.deps.Form.FrameAncestors = tt.ancestors })
			show := h.openForm(t, &visitor{})
			outcome := h.submitClean(t, filledForm())
			invalid := h.postForm(t, with(filledForm(), web.FieldPhone, ""))
			for name, rec := range map[string]http.Header{"form": show.Header(), "outcome": outcome.Header(), "re-render": invalid.Header()} {
				if got := rec.Get("Content-Security-Policy"); got != tt.wantCSP {
					t.Errorf("%s page: Content-Security-Policy = %q, want %q", name, got, tt.wantCSP)
				}
				if got := rec.Values("X-Frame-Options"); strings.Join(got, ",") != tt.wantXFO {
					t.Errorf("%s page: X-Frame-Options = %q, want %q", name, got, tt.wantXFO)
				}
			}
			// Nothing else may be framed.
			for _, path := range []string{"/healthz", "/nope", web.DefaultBranding().StylesheetPath()} {
				rec := h.do(t, request{method: http.MethodGet, path: path})
				assertSecurityHeaders(t, rec.Header())
			}
		})
	}
}

func TestFormFrameAncestorInvalidPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("NewServer accepted an invalid frame ancestor")
		}
	}()
	newHarness(t, risk.Allow, func(h *harness) { h.deps.Form.FrameAncestors = []string{"https://x.example; script-src *"} })
}

func TestFormBranding(t *testing.T) {
	brand := Branding{
		Title:           "Example Ltd",
		PrimaryColor:    "#0b7a3e",
		BackgroundColor: "#eef6f0",
		LogoURL:         "https://cdn.example.com/logo.svg",
		Heading:         "Talk to Example",
		Intro:           "We call back within the hour.",
		Consent:         "Yes, call me",
		Success:         "Thanks, we will ring you soon.",
	}
	h := newHarness(t, risk.Allow, func(h *harness) { h.deps.Form.Branding = brand })
	path := brand.StylesheetPath()

	form := h.openForm(t, &visitor{})
	assertHTML(t, form, http.StatusOK,
		`<title>Talk to Example – Example Ltd</title>`,
		`<link rel="stylesheet" href="`+path+`">`,
		`<img class="logo" src="https://cdn.example.com/logo.svg" alt="Example Ltd"`,
		`<h1>Talk to Example</h1>`,
		`We call back within the hour.`,
		`<label for="consent">Yes, call me</label>`,
	)
	wantCSP := "default-src 'self'; img-src 'self' https://cdn.example.com; base-uri 'none'; form-action 'self'; script-src 'none'; frame-ancestors 'self'"
	if got := form.Header().Get("Content-Security-Policy"); got != wantCSP {
		t.Errorf("Content-Security-Policy = %q, want %q", got, wantCSP)
	}
	assertHTML(t, h.submitClean(t, filledForm()), http.StatusOK, `<h1>Thanks, we will ring you soon.</h1>`, `alt="Example Ltd"`)
	notFound := h.do(t, request{method: http.MethodGet, path: "/nope", header: http.Header{"Accept": {"text/html"}}})
	assertHTML(t, notFound, http.StatusNotFound, `alt="Example Ltd"`)
	if got := notFound.Header().Get("Content-Security-Policy"); !strings.Contains(got, "img-src 'self' https://cdn.example.com;") {
		t.Errorf("error page Content-Security-Policy = %q, want the logo's origin allowed", got)
	}

	css := h.do(t, request{method: http.MethodGet, path: path})
	if css.Code != http.StatusOK || css.Header().Get("Content-Type") != "text/css; charset=utf-8" {
		t.Fatalf("GET %s: status %d, Content-Type %q, want 200 text/css", path, css.Code, css.Header().Get("Content-Type"))
	}
	for _, want := range []string{"--accent: #0b7a3e;", "--bg: #eef6f0;"} {
		if !strings.Contains(css.Body.String(), want) {
			t.Errorf("stylesheet %q does not contain %q", css.Body, want)
		}
	}
	if got := css.Header().Get("Cache-Control"); !strings.Contains(got, "immutable") {
		t.Errorf("stylesheet Cache-Control = %q, want immutable", got)
	}
	if rec := h.do(t, request{method: http.MethodGet, path: web.DefaultBranding().StylesheetPath()}); rec.Code != http.StatusNotFound {
		t.Errorf("another branding's stylesheet: status %d, want 404", rec.Code)
	}
}

func TestFormBrandingLogoPath(t *testing.T) {
	h := newHarness(t, risk.Allow, func(h *harness) { h.deps.Form.Branding = Branding{LogoURL: "/assets/logo.png"} })
	rec := h.openForm(t, &visitor{})
	assertHTML(t, rec, http.StatusOK, `src="/assets/logo.png"`)
	assertFormPageHeaders(t, rec.Header())
}
