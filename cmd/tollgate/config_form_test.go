package main

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/handlers"
)

// testFormSecret is a form secret of the least accepted length.
const testFormSecret = "0123456789abcdef0123456789abcdef"

func TestLoadFormConfig(t *testing.T) {
	c, err := LoadConfig(envOf(map[string]string{
		"TOLLGATE_DEFAULT_REGION":         "gb",
		"TOLLGATE_FORM_SECRET":            testFormSecret,
		"TOLLGATE_FORM_MIN_TIME":          "1500ms",
		"TOLLGATE_FORM_TOKEN_LIFETIME":    "30m",
		"TOLLGATE_FRAME_ANCESTORS":        " https://www.example.com, HTTP://localhost:3000/ ,",
		"TOLLGATE_BRAND_TITLE":            "Example Ltd",
		"TOLLGATE_BRAND_PRIMARY_COLOR":    "#0B7A3E",
		"TOLLGATE_BRAND_BACKGROUND_COLOR": "#fff",
		"TOLLGATE_BRAND_LOGO_URL":         "https://cdn.example.com/logo.svg?v=2",
		"TOLLGATE_BRAND_HEADING":          "Talk to us",
		"TOLLGATE_BRAND_INTRO":            "We call back within the hour.",
		"TOLLGATE_BRAND_CONSENT":          "Yes, call me",
		"TOLLGATE_BRAND_SUCCESS":          "Thanks!",
	}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	want := handlers.FormConfig{
		DefaultRegion:  "GB",
		Secret:         []byte(testFormSecret),
		MinFillTime:    1500 * time.Millisecond,
		TokenLifetime:  30 * time.Minute,
		FrameAncestors: []string{"https://www.example.com", "http://localhost:3000"},
		Branding: handlers.Branding{
			Title:           "Example Ltd",
			PrimaryColor:    "#0b7a3e",
			BackgroundColor: "#fff",
			LogoURL:         "https://cdn.example.com/logo.svg?v=2",
			Heading:         "Talk to us",
			Intro:           "We call back within the hour.",
			Consent:         "Yes, call me",
			Success:         "Thanks!",
		},
	}
	if got := c.formConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	for _, w := range c.Warnings() {
		if strings.Contains(w, "FORM") || strings.Contains(w, "BRAND") {
			t.Errorf("got warning %q, want none about the form", w)
		}
	}
}

func TestLoadFormConfigLogoPath(t *testing.T) {
	c, err := LoadConfig(envOf(map[string]string{"TOLLGATE_BRAND_LOGO_URL": "/brand/logo.svg"}))
	if err != nil || c.Brand.LogoURL != "/brand/logo.svg" {
		t.Errorf("got %q, %v, want the path kept", c.Brand.LogoURL, err)
	}
}

func TestLoadFormConfigSecretFile(t *testing.T) {
	c, err := LoadConfig(envOf(map[string]string{"TOLLGATE_FORM_SECRET_FILE": writeFile(t, testFormSecret+"\n")}))
	if err != nil || c.FormSecret != testFormSecret {
		t.Errorf("got %q, %v, want the secret read from the file", c.FormSecret, err)
	}
}

func TestLoadFormConfigBadValues(t *testing.T) {
	const secret = "short-secret-value"
	tests := []struct {
		name, value string
		want        string // in the error, besides the variable's name
	}{
		{"TOLLGATE_FORM_SECRET", secret, "is 18 characters long; use at least 32"},
		{"TOLLGATE_FORM_MIN_TIME", "3", "not a duration"},
		{"TOLLGATE_FORM_MIN_TIME", "-1s", "too short"},
		{"TOLLGATE_FORM_TOKEN_LIFETIME", "30s", "use at least 1m"},
		{"TOLLGATE_FORM_TOKEN_LIFETIME", "2", "not a duration"},
		{"TOLLGATE_FRAME_ANCESTORS", "https://ok.example,www.example.com", `"www.example.com": the scheme must be http or https`},
		{"TOLLGATE_FRAME_ANCESTORS", "https://www.example.com/shop", "nothing after it"},
		{"TOLLGATE_FRAME_ANCESTORS", "https://*.example.com", "not a host name"},
		{"TOLLGATE_FRAME_ANCESTORS", "'self'", "use origins such as https://www.example.com"},
		{"TOLLGATE_BRAND_TITLE", "Example\nLtd", "control characters"},
		{"TOLLGATE_BRAND_PRIMARY_COLOR", "blue", "use #rgb or #rrggbb"},
		{"TOLLGATE_BRAND_PRIMARY_COLOR", "#1f4ed8;x", "use #rgb or #rrggbb"},
		{"TOLLGATE_BRAND_BACKGROUND_COLOR", "#ffff", "use #rgb or #rrggbb"},
		{"TOLLGATE_BRAND_LOGO_URL", "http://cdn.example.com/logo.svg", "neither an absolute https:// URL nor a path"},
		{"TOLLGATE_BRAND_LOGO_URL", "//cdn.example.com/logo.svg", "neither an absolute https:// URL nor a path"},
		{"TOLLGATE_BRAND_LOGO_URL", "javascript:alert(1)", "neither an absolute https:// URL nor a path"},
		{"TOLLGATE_BRAND_LOGO_URL", "logo.svg", "neither an absolute https:// URL nor a path"},
		{"TOLLGATE_BRAND_LOGO_URL", "/logo one.svg", "neither an absolute https:// URL nor a path"},
		{"TOLLGATE_BRAND_LOGO_URL", "https://cdn_example.com/logo.svg", "not a host name"},
		{"TOLLGATE_BRAND_HEADING", strings.Repeat("a", 301), "keep it to 300"},
		{"TOLLGATE_BRAND_INTRO", "a\tb", "control characters"},
		{"TOLLGATE_BRAND_CONSENT", "\xff", "not valid UTF-8"},
		{"TOLLGATE_BRAND_SUCCESS", "\x00", "control characters"},
	}
	for _, k := range formConfigKeys() {
		if !slices.ContainsFunc(tests, func(tt struct{ name, value, want string }) bool { return tt.name == k.name }) {
			t.Errorf("%s has no bad-value case", k.name)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := LoadConfig(envOf(map[string]string{tt.name: tt.value}))
			if err == nil {
				t.Fatalf("got no error, want one mentioning %s", tt.name)
			}
			if got := err.Error(); !strings.HasPrefix(got, tt.name+": ") || !strings.Contains(got, tt.want) {
				t.Errorf("got error %q, want it to start with %q and contain %q", got, tt.name+": ", tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("got error %q, which contains the secret", err)
			}
		})
	}
}

func TestLoadFormConfigMinTimeBelowLifetime(t *testing.T) {
	_, err := LoadConfig(envOf(map[string]string{"TOLLGATE_FORM_MIN_TIME": "2h", "TOLLGATE_FORM_TOKEN_LIFETIME": "1h"}))
	if err == nil || !strings.Contains(err.Error(), "TOLLGATE_FORM_TOKEN_LIFETIME: 1h0m0s is not longer than TOLLGATE_FORM_MIN_TIME") {
		t.Errorf("got %v, want an error saying the lifetime must be longer", err)
	}
	if _, err := LoadConfig(envOf(map[string]string{"TOLLGATE_FORM_MIN_TIME": "0s"})); err != nil {
		t.Errorf("TOLLGATE_FORM_MIN_TIME=0s: got %v, want it to turn the check off", err)
	}
}

func TestFormConfigWarnings(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string // substrings, one per form warning, in order
	}{
		{"no secret", nil, []string{"TOLLGATE_FORM_SECRET is not set: form tokens are signed with a random key"}},
		{"secret set", map[string]string{"TOLLGATE_FORM_SECRET": testFormSecret}, nil},
		{"secret from a file", map[string]string{"TOLLGATE_FORM_SECRET_FILE": writeFile(t, testFormSecret)}, nil},
		{
			"pale primary colour",
			map[string]string{"TOLLGATE_FORM_SECRET": testFormSecret, "TOLLGATE_BRAND_PRIMARY_COLOR": "#7fb2ff"},
			[]string{"TOLLGATE_BRAND_PRIMARY_COLOR #7fb2ff gives the white button text a contrast of 2.2:1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(envOf(tt.env))
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			got := c.formWarnings()
			if len(got) != len(tt.want) {
				t.Fatalf("got warnings %q, want %d of them containing %q", got, len(tt.want), tt.want)
			}
			for i, want := range tt.want {
				if !strings.Contains(got[i], want) {
					t.Errorf("got warning %q, want it to contain %q", got[i], want)
				}
			}
		})
	}
}
