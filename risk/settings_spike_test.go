package risk

import (
	"testing"
	"time"
)

func TestSpikesValidate(t *testing.T) {
	if err := (Settings{}).Spikes.validateErr(); err != nil {
		t.Errorf("zero spikes (off): got %v, want valid", err)
	}
	if err := DefaultSpikes().validateErr(); err != nil {
		t.Errorf("defaults: got %v, want valid", err)
	}
	for name, c := range map[string]struct {
		change func(*Spikes)
		field  string
	}{
		"window not whole minutes": {func(s *Spikes) { s.Window = Duration(90 * time.Second) }, "spikes.window"},
		"horizon under 2 windows":  {func(s *Spikes) { s.Horizon = Duration(5 * time.Minute) }, "spikes.baseline_horizon"},
		"horizon past 24h":         {func(s *Spikes) { s.Horizon = Duration(25 * time.Hour) }, "spikes.baseline_horizon"},
		"negative floor":           {func(s *Spikes) { s.Prefix.Floor = -1 }, "spikes.prefix.floor"},
		"factor under 1":           {func(s *Spikes) { s.Network.Factor = 0.5 }, "spikes.ip_network.factor"},
		"unknown mode":             {func(s *Spikes) { s.AutoBlock = "maybe" }, "spikes.auto_block"},
		"block too short":          {func(s *Spikes) { s.BlockFor = Duration(time.Second) }, "spikes.block_duration"},
	} {
		s := DefaultSettings()
		c.change(&s.Spikes)
		fe := FieldErrors(s.Validate())
		if len(fe) != 1 || fe[0].Field != c.field {
			t.Errorf("%s: got %v, want one error on %s", name, fe, c.field)
		}
	}
}

// validateErr validates s alone.
func (s Spikes) validateErr() error {
	var p problems
	s.validate(&p)
	if len(p) == 0 {
		return nil
	}
	return p[0]
}
