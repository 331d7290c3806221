package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/handlers"
	"github.com/tollgate/tollgate/handlers/ivr"
)

func TestFaultsConfigValues(t *testing.T) {
	secretFile := writeFile(t, strings.Repeat("s", 40)+"\n")
	journal := filepath.Join(t.TempDir(), "calls.jsonl")
	got, err := LoadConfig(envOf(map[string]string{
		"TOLLGATE_DECISION_BUDGET":      "250ms",
		"TOLLGATE_FORM_FAIL_MODE":       "block",
		"TOLLGATE_IVR_FAIL_MODE":        "pass",
		"TOLLGATE_FALLBACK_SECRET_FILE": secretFile,
		"TOLLGATE_DIAL_TIMEOUT":         "2s",
		"TOLLGATE_DIAL_CLAIM_IDLE":      "3s",
		"TOLLGATE_SIMULATOR_DURATION":   "0s",
		"TOLLGATE_SIMULATOR_JOURNAL":    journal,
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := FaultsConfig{
		Budget: 250 * time.Millisecond, FormMode: handlers.FailBlock, IVRMode: ivr.FailPass,
		FallbackSecret: strings.Repeat("s", 40), DialTimeout: 2 * time.Second, ClaimIdle: 3 * time.Second,
		SimulatorJournal: journal,
	}
	if got.Faults != want {
		t.Errorf("got %+v, want %+v", got.Faults, want)
	}
}

func TestFaultsConfigErrors(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"TOLLGATE_DECISION_BUDGET": "5ms"}, "TOLLGATE_DECISION_BUDGET: 5ms is too short; use at least 10ms"},
		{map[string]string{"TOLLGATE_DECISION_BUDGET": "1m"}, "use at most 10s"},
		{map[string]string{"TOLLGATE_FORM_FAIL_MODE": "open"}, `TOLLGATE_FORM_FAIL_MODE: "open" is not a form fail mode; use deflect, block or allow`},
		{map[string]string{"TOLLGATE_IVR_FAIL_MODE": "deflect"}, `TOLLGATE_IVR_FAIL_MODE: "deflect" is not an IVR fail mode; use challenge or pass`},
		{map[string]string{"TOLLGATE_FALLBACK_SECRET": "short"}, "TOLLGATE_FALLBACK_SECRET: is too short; use at least 32 random characters"},
		{map[string]string{"TOLLGATE_DIAL_TIMEOUT": "5s", "TOLLGATE_DIAL_CLAIM_IDLE": "5s"}, "TOLLGATE_DIAL_CLAIM_IDLE (5s) must exceed TOLLGATE_DIAL_TIMEOUT (5s)"},
		{map[string]string{"TOLLGATE_SIMULATOR_JOURNAL": "/nonexistent-dir/calls.jsonl"}, "the directory of \"/nonexistent-dir/calls.jsonl\" does not exist"},
	}
	for _, tt := range tests {
		_, err := LoadConfig(envOf(tt.env))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: got %v, want an error containing %q", tt.env, err, tt.want)
		}
		if strings.Contains(err.Error(), "short\"") {
			t.Errorf("%v: the error %q repeats the secret", tt.env, err)
		}
	}
}

func TestFaultsConfigWarnings(t *testing.T) {
	c, err := LoadConfig(envOf(map[string]string{
		"TOLLGATE_REDIS_URL": "redis://redis:6379/0", "TOLLGATE_FLOW_API_KEY": strings.Repeat("k", 24),
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(c.Warnings(), "\n"), "TOLLGATE_FALLBACK_SECRET is not set") {
		t.Errorf("warnings %q do not mention the missing fallback secret", c.Warnings())
	}
}
