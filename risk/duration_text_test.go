package risk_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tollgate/tollgate/risk"
)

func TestFormatDuration(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0 s"},
		{30 * time.Second, "30 s"},
		{time.Minute, "1 min"},
		{15 * time.Minute, "15 min"},
		{90 * time.Second, "1 min 30 s"},
		{time.Hour, "1 h"},
		{2*time.Hour + 30*time.Minute, "2 h 30 min"},
		{24 * time.Hour, "24 h"},
		{7 * 24 * time.Hour, "7 days"},
		{31 * 24 * time.Hour, "31 days"},
		{50 * time.Hour, "2 days 2 h"},
		{1500 * time.Millisecond, "1 s 500 ms"},
		{-time.Minute, "-1 min"},
	} {
		if got := risk.FormatDuration(tt.d); got != tt.want {
			t.Errorf("FormatDuration(%s): got %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"1 h", time.Hour},
		{"1h", time.Hour},
		{"1H", time.Hour},
		{"90 min", 90 * time.Minute},
		{"90m", 90 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{"1 h 30 min", 90 * time.Minute},
		{"1 hour and 30 minutes", 90 * time.Minute},
		{"1 h, 30 min", 90 * time.Minute},
		{"2 hours", 2 * time.Hour},
		{"30 s", 30 * time.Second},
		{"30 sec", 30 * time.Second},
		{"1.5 h", 90 * time.Minute},
		{"7 days", 7 * 24 * time.Hour},
		{"1 week", 7 * 24 * time.Hour},
		{"1h0m0s", time.Hour},
		{"5m0s", 5 * time.Minute},
		{"0", 0},
		{"0s", 0},
		{" 15 min ", 15 * time.Minute},
	} {
		got, err := risk.ParseDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q): got %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestParseDurationRefuses(t *testing.T) {
	for _, in := range []string{"", "soon", "90", "h", "5 fortnights", "1..5 h", "-", "99999999 h"} {
		got, err := risk.ParseDuration(in)
		if !errors.Is(err, risk.ErrDurationSyntax) {
			t.Errorf("ParseDuration(%q): got %s, %v; want ErrDurationSyntax", in, got, err)
		}
	}
}

// What FormatDuration writes, ParseDuration reads back.
func TestDurationRoundTrip(t *testing.T) {
	for _, d := range []time.Duration{time.Second, 90 * time.Second, time.Hour, 26 * time.Hour, 30 * 24 * time.Hour, 50*time.Hour + 7*time.Minute} {
		if got, err := risk.ParseDuration(risk.FormatDuration(d)); err != nil || got != d {
			t.Errorf("round trip of %s: got %s, %v", d, got, err)
		}
	}
}
