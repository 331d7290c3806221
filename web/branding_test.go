package web

import (
	"math"
	"strings"
	"testing"
)

func TestBrandingOnPages(t *testing.T) {
	b := Branding{
		Title:   "Example <Ltd>",
		LogoURL: "https://cdn.example.com/logo.svg",
		Heading: "Talk to our team",
		Intro:   "We call back within the hour.",
		Consent: "Yes, call me on this number",
		Success: "Thanks, talk soon.",
	}
	form := render(t, CallbackForm(b, CallbackFormModel{}))
	assertContains(t, form,
		`<title>Talk to our team – Example &lt;Ltd&gt;</title>`,
		`<img class="logo" src="https://cdn.example.com/logo.svg" alt="Example &lt;Ltd&gt;" data-testid="brand-logo">`,
		`<h1>Talk to our team</h1>`,
		`<p class="lede">We call back within the hour.</p>`,
		`<label for="consent">Yes, call me on this number</label>`,
	)
	assertContains(t, render(t, CallbackAccepted(b, AcceptedModel{})), `<h1>Thanks, talk soon.</h1>`, `<title>Thank you – Example &lt;Ltd&gt;</title>`, `data-testid="brand-logo"`)
	assertContains(t, render(t, CallbackDeflected(b, DeflectedModel{})), `data-testid="brand-logo"`)
	assertContains(t, render(t, ErrorPage(b, 404, "gone")), `data-testid="brand-logo"`)
}

func TestBrandingLogoUnsafeURL(t *testing.T) {
	html := render(t, CallbackAccepted(Branding{LogoURL: "javascript:alert(1)"}, AcceptedModel{}))
	assertNotContains(t, html, "javascript:")
}

func TestBrandingStylesheet(t *testing.T) {
	b := Branding{PrimaryColor: "#0A0", BackgroundColor: "#fafafa"}
	got := string(b.Stylesheet())
	for _, want := range []string{"--accent: #00aa00;", "--accent-hover: #008800;", "--bg: #fafafa;"} {
		if !strings.Contains(got, want) {
			t.Errorf("got stylesheet %q, want it to contain %q", got, want)
		}
	}
	if b.StylesheetPath() == DefaultBranding().StylesheetPath() {
		t.Errorf("got the same stylesheet path %s for other colours", b.StylesheetPath())
	}
	if !strings.HasPrefix(b.StylesheetPath(), "/brand.") || !strings.HasSuffix(b.StylesheetPath(), ".css") {
		t.Errorf("got stylesheet path %q, want /brand.<hash>.css", b.StylesheetPath())
	}

	hostile := Branding{PrimaryColor: "red;} body{display:none", BackgroundColor: "#12345g"}
	if got, want := string(hostile.Stylesheet()), string(DefaultBranding().Stylesheet()); got != want {
		t.Errorf("got stylesheet %q for invalid colours, want the default %q", got, want)
	}
}

func TestBrandingWithDefaults(t *testing.T) {
	if got, want := (Branding{}).WithDefaults(), DefaultBranding(); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	b := Branding{Title: "T", Heading: "H", PrimaryColor: "#abc"}.WithDefaults()
	if b.Title != "T" || b.Heading != "H" || b.PrimaryColor != "#abc" || b.Intro != DefaultBranding().Intro {
		t.Errorf("got %+v, want the set fields kept and the others defaulted", b)
	}
}

func TestParseColor(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" when invalid
	}{
		{"#1f4ed8", "#1f4ed8"},
		{"#1F4ED8", "#1f4ed8"},
		{"#abc", "#aabbcc"},
		{"#000", "#000000"},
		{"1f4ed8", ""},
		{"#1f4ed", ""},
		{"#1f4ed8ff", ""},
		{"#ggg", ""},
		{"#+12", ""},
		{"#_12345", ""},
		{"red", ""},
		{"", ""},
	}
	for _, tt := range tests {
		c, ok := ParseColor(tt.in)
		got := ""
		if ok {
			got = c.String()
		}
		if got != tt.want {
			t.Errorf("ParseColor(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestContrastRatio(t *testing.T) {
	white, black := Color{255, 255, 255}, Color{}
	primary, _ := ParseColor(DefaultBranding().PrimaryColor)
	tests := []struct {
		a, b Color
		want float64
	}{
		{white, black, 21},
		{black, white, 21},
		{white, white, 1},
		{primary, white, 6.7},
	}
	for _, tt := range tests {
		if got := ContrastRatio(tt.a, tt.b); math.Abs(got-tt.want) > 0.05 {
			t.Errorf("ContrastRatio(%s, %s): got %.2f, want %.1f", tt.a, tt.b, got, tt.want)
		}
	}
}
