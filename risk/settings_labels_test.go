package risk_test

import (
	"testing"
	"time"

	"github.com/tollgate/tollgate/risk"
)

func TestSettingLabel(t *testing.T) {
	for path, want := range map[string]string{
		"block_at":                            "block threshold",
		"weights.ip_tor_exit":                 "weight of “Tor exit node”",
		"velocity.ip[1].window":               "window for requests from one IP (row 2)",
		"velocity.nearby_numbers.critical":    "critical count for distinct numbers within 100 of one another",
		"screening.failed_challenges.warning": "warning count for failed challenges of one caller",
		"spikes.prefix.floor":                 "spike floor for the number prefix",
		"high_risk_countries[2]":              "high-risk countries (entry 3)",
		"spend.costs.GB":                      "cost of a call to GB",
		"no.such":                             "no.such",
	} {
		if got := risk.SettingLabel(path); got != want {
			t.Errorf("SettingLabel(%q): got %q, want %q", path, got, want)
		}
	}
}

// Validation messages are plain sentences naming the setting; a conflict
// between two settings is said of each.
func TestValidateMessagesArePlain(t *testing.T) {
	s := risk.DefaultSettings()
	s.DeflectAt, s.BlockAt = 900, 80
	s.Velocity.IP[0].Window = risk.Duration(0)
	s.Spikes.Window = risk.Duration(90 * time.Second)
	fe := risk.FieldErrors(s.Validate())
	want := map[string]string{
		"block_at":              "The block threshold (80) must be at least the deflect threshold (900).",
		"velocity.ip[0].window": "The window for requests from one IP (row 1) must be between 1 s and 31 days; it is 0 s.",
		"spikes.window":         "The spike detection window must be whole minutes from 1 min to 1 h; it is 1 min 30 s.",
	}
	if len(fe) != len(want) {
		t.Fatalf("problems: got %v, want %d", fe, len(want))
	}
	for _, e := range fe {
		if e.Message != want[e.Field] {
			t.Errorf("%s: got %q, want %q", e.Field, e.Message, want[e.Field])
		}
	}
	if also := fe[0].Also; also == nil || also.Field != "deflect_at" || also.Message != "The deflect threshold (900) must be at most the block threshold (80)." {
		t.Errorf("block_at's conflict said of deflect_at: got %+v", also)
	}
}
