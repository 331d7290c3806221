package main

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestLoadConfigEnvironWarnings(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    []string // unknown-variable warnings, in order
	}{
		{"known only", []string{"TOLLGATE_ADDR=:1", "TOLLGATE_REDIS_URL_FILE=", "HOME=/root"}, nil},
		{"typo", []string{"TOLLGATE_REDIS_ULR=redis://x"}, []string{
			"TOLLGATE_REDIS_ULR is not a Tollgate setting and is ignored; did you mean TOLLGATE_REDIS_URL?",
		}},
		{"missing underscore", []string{"TOLLGATE_LOGLEVEL=debug", "TOLLGATE_LOGLEVEL=info"}, []string{
			"TOLLGATE_LOGLEVEL is not a Tollgate setting and is ignored; did you mean TOLLGATE_LOG_LEVEL?",
		}},
		{"lower case", []string{"tollgate_addr=:1"}, []string{
			"tollgate_addr is not a Tollgate setting and is ignored; did you mean TOLLGATE_ADDR?",
		}},
		{"plural", []string{"TOLLGATE_TRUSTED_PROXY=10.0.0.1"}, []string{
			"TOLLGATE_TRUSTED_PROXY is not a Tollgate setting and is ignored; did you mean TOLLGATE_TRUSTED_PROXIES?",
		}},
		{"far from everything", []string{"TOLLGATE_SOMETHING_ELSE=1"}, []string{
			"TOLLGATE_SOMETHING_ELSE is not a Tollgate setting and is ignored",
		}},
		{"file of a non-secret", []string{"TOLLGATE_ADDR_FILE=/run/addr"}, []string{
			"TOLLGATE_ADDR_FILE is ignored: only secrets have a _FILE variant; set TOLLGATE_ADDR instead",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The API's warning: TestAPIConfigWarnings.
			environ := append([]string{"TOLLGATE_DEFLECT_PHONE=+1 555 0100", "TOLLGATE_FORM_SECRET=" + testFormSecret, "TOLLGATE_API_ACCESS=off"}, tt.environ...)
			c, err := LoadConfigEnviron(environ)
			if err != nil {
				t.Fatalf("LoadConfigEnviron: %v", err)
			}
			if got := c.Warnings(); !slices.Equal(got, tt.want) {
				t.Errorf("got warnings %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadConfigEnvironReadsValues(t *testing.T) {
	c, err := LoadConfigEnviron([]string{"TOLLGATE_ADDR=:1", "TOLLGATE_DEFLECT_HOURS=a=b", "TOLLGATE_ADDR=:2"})
	if err != nil {
		t.Fatalf("LoadConfigEnviron: %v", err)
	}
	if got, want := c.Addr, ":2"; got != want {
		t.Errorf("got Addr %q, want %q (the last of repeated entries, as os.Getenv)", got, want)
	}
	if got, want := c.DeflectHours, "a=b"; got != want {
		t.Errorf("got DeflectHours %q, want %q", got, want)
	}
}

func TestConfigWarnings(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string // substrings, one per warning, in order
	}{
		{"defaults", nil, []string{"no deflection channel configured"}},
		{"chat only", map[string]string{"TOLLGATE_DEFLECT_CHAT_URL": "https://example.com/chat"}, nil},
		{"phone only", map[string]string{"TOLLGATE_DEFLECT_PHONE": "+1 555 0100"}, nil},
		{
			"demo data in real Redis",
			map[string]string{"TOLLGATE_DEFLECT_PHONE": "1", "TOLLGATE_REDIS_URL": "redis://r", "TOLLGATE_DEMO_DATA": "true"},
			[]string{"TOLLGATE_DEMO_DATA=true with a real Redis writes demo entries into it"},
		},
		{
			"trusting everyone",
			map[string]string{"TOLLGATE_DEFLECT_PHONE": "1", "TOLLGATE_TRUSTED_PROXIES": "0.0.0.0/0,::/0,10.0.0.0/8"},
			[]string{"contains 0.0.0.0/0", "contains ::/0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Their warnings: TestFormConfigWarnings, TestAPIConfigWarnings.
			env := map[string]string{"TOLLGATE_FORM_SECRET": testFormSecret, "TOLLGATE_API_ACCESS": "off"}
			maps.Copy(env, tt.env)
			c, err := LoadConfig(envOf(env))
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			got := c.Warnings()
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

func TestConfigLogJSON(t *testing.T) {
	tests := []struct {
		format   string
		terminal bool
		want     bool
	}{
		{"auto", true, false},
		{"auto", false, true},
		{"json", true, true},
		{"text", false, false},
	}
	for _, tt := range tests {
		if got := (Config{LogFormat: tt.format}).LogJSON(tt.terminal); got != tt.want {
			t.Errorf("LogJSON(%v) with format %q: got %v, want %v", tt.terminal, tt.format, got, tt.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"kitten", "sitting", 3},
		{"TOLLGATE_ADDR", "TOLLGATE_ADDR", 0},
		{"TOLLGATE_ADR", "TOLLGATE_ADDR", 1},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q): got %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
