package main

import (
	"strings"
	"testing"
	"time"
)

// defaultLimits are the limits LoadConfig gives with nothing set.
var defaultLimits = LimitsConfig{ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 32 << 10}

func TestLoadConfigLimits(t *testing.T) {
	got, err := LoadConfig(envOf(map[string]string{
		"TOLLGATE_READ_HEADER_TIMEOUT": "250ms",
		"TOLLGATE_IDLE_TIMEOUT":        "2m",
		"TOLLGATE_MAX_HEADER_BYTES":    "8192",
		"TOLLGATE_DECISION_RETENTION":  "168h",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := LimitsConfig{ReadHeaderTimeout: 250 * time.Millisecond, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 8192}
	if got.Limits != want || got.DecisionRetention != 7*24*time.Hour {
		t.Errorf("got %+v and retention %s, want %+v and 168h", got.Limits, got.DecisionRetention, want)
	}
}

func TestLoadConfigLimitsBadValues(t *testing.T) {
	tests := []struct{ name, value, want string }{
		{"TOLLGATE_READ_HEADER_TIMEOUT", "5", "not a duration"},
		{"TOLLGATE_READ_HEADER_TIMEOUT", "10ms", "use at least 100ms"},
		{"TOLLGATE_READ_HEADER_TIMEOUT", "1m", "use at most 15s"},
		{"TOLLGATE_IDLE_TIMEOUT", "-1s", "too short"},
		{"TOLLGATE_IDLE_TIMEOUT", "2h", "use at most 1h"},
		{"TOLLGATE_MAX_HEADER_BYTES", "1024", "from 4096 to 1048576"},
		{"TOLLGATE_MAX_HEADER_BYTES", "32KB", "from 4096 to 1048576"},
		{"TOLLGATE_DECISION_RETENTION", "30d", "not a duration"},
		{"TOLLGATE_DECISION_RETENTION", "10m", "use at least 1h"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := LoadConfig(envOf(map[string]string{tt.name: tt.value}))
			if err == nil {
				t.Fatalf("got no error, want one naming %s", tt.name)
			}
			if got := err.Error(); !strings.HasPrefix(got, tt.name+": ") || !strings.Contains(got, tt.want) {
				t.Errorf("got error %q, want it to start with %q and contain %q", got, tt.name+": ", tt.want)
			}
		})
	}
}
