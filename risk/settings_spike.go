package risk

import (
	"fmt"
	"time"
)

// BlockMode says what spike detection does about a spike of a number
// prefix or an IP network.
type BlockMode string

// The automatic-blocking modes.
const (
	// BlockOff only alerts.
	BlockOff BlockMode = "off"
	// BlockMonitor alerts and records in the alert what it would have
	// blocked.
	BlockMonitor BlockMode = "monitor"
	// BlockOn alerts and adds a temporary deny entry.
	BlockOn BlockMode = "on"
)

// SpikeRule is when a count is a spike: at least Floor requests in the
// detection window, and at least Factor times its baseline.
type SpikeRule struct {
	// Floor is the least count that can be a spike; 0 turns the
	// dimension off.
	Floor int `json:"floor"`
	// Factor is how many times its baseline a count must reach.
	Factor float64 `json:"factor"`
}

// Spikes tunes spike detection. Its zero value turns detection off.
type Spikes struct {
	// Window is the detection window, in whole minutes; 0 turns detection
	// off.
	Window Duration `json:"window"`
	// Horizon is how far back, before the window, the baseline reaches:
	// the baseline is the average count per window over it.
	Horizon Duration `json:"baseline_horizon"`
	// Country counts requests per destination country; alerts only.
	Country SpikeRule `json:"country"`
	// Prefix counts requests per number prefix, the first 8 characters of
	// the E.164 number ("+" and 7 digits).
	Prefix SpikeRule `json:"prefix"`
	// Network counts requests per client network, /24 (IPv4) or /48 (IPv6).
	Network SpikeRule `json:"ip_network"`
	// AutoBlock is off, monitor or on.
	AutoBlock BlockMode `json:"auto_block"`
	// BlockFor is how long an automatic deny entry lasts.
	BlockFor Duration `json:"block_duration"`
}

// DefaultSpikes returns the shipped spike settings: 5-minute windows
// against the last 3 hours, factor 5, automatic blocking in monitor mode
// for an hour.
func DefaultSpikes() Spikes {
	return Spikes{
		Window:    Duration(5 * time.Minute),
		Horizon:   Duration(3 * time.Hour),
		Country:   SpikeRule{Floor: 200, Factor: 5},
		Prefix:    SpikeRule{Floor: 30, Factor: 5},
		Network:   SpikeRule{Floor: 50, Factor: 5},
		AutoBlock: BlockMonitor,
		BlockFor:  Duration(time.Hour),
	}
}

// Off reports whether detection is off.
func (s Spikes) Off() bool { return s.Window == 0 }

// Keep is how long a minute's counts are needed: the window and the
// horizon before it, and a minute to spare.
func (s Spikes) Keep() time.Duration {
	return time.Duration(s.Window+s.Horizon) + time.Minute
}

// MaxSpikeHorizon bounds the baseline horizon, and so how long the
// minute counts live.
const MaxSpikeHorizon = 24 * time.Hour

func (s Spikes) validate(p *problems) {
	if s == (Spikes{}) {
		return
	}
	w, h := time.Duration(s.Window), time.Duration(s.Horizon)
	if w < time.Minute || w > time.Hour || w%time.Minute != 0 {
		p.add("spikes.window", "The spike detection window must be whole minutes from 1 min to 1 h; it is %s.", FormatDuration(w))
	}
	switch {
	case h%time.Minute != 0 || h > MaxSpikeHorizon:
		p.add("spikes.baseline_horizon", "The baseline horizon must be whole minutes, at most %s; it is %s.", FormatDuration(MaxSpikeHorizon), FormatDuration(h))
	case h < 2*w:
		p.conflict("spikes.baseline_horizon", fmt.Sprintf("The baseline horizon (%s) must be at least twice the spike detection window (%s).", FormatDuration(h), FormatDuration(w)),
			"spikes.window", fmt.Sprintf("The spike detection window (%s) must be at most half the baseline horizon (%s).", FormatDuration(w), FormatDuration(h)))
	}
	for _, r := range []struct {
		name string
		rule SpikeRule
	}{{"country", s.Country}, {"prefix", s.Prefix}, {"ip_network", s.Network}} {
		if r.rule.Floor < 0 {
			p.add("spikes."+r.name+".floor", "%s must not be negative (0 turns it off); it is %d.", sentence(the("spikes."+r.name+".floor")), r.rule.Floor)
		}
		if r.rule.Factor < 1 || r.rule.Factor > 1000 {
			p.add("spikes."+r.name+".factor", "%s must be between 1 and 1000; it is %s.", sentence(the("spikes."+r.name+".factor")), fmt.Sprint(r.rule.Factor))
		}
	}
	switch s.AutoBlock {
	case BlockOff, BlockMonitor, BlockOn:
	default:
		p.add("spikes.auto_block", "Automatic blocking must be off, monitor or on; “%s” is none of them.", s.AutoBlock)
	}
	if d := time.Duration(s.BlockFor); d < time.Minute || d > 30*24*time.Hour {
		p.add("spikes.block_duration", "The automatic block duration must be between 1 min and 30 days; it is %s.", FormatDuration(d))
	}
}

// SpikeSettings returns the spike settings in force.
func (ss *SettingsStore) SpikeSettings() Spikes { return ss.active.Load().Spikes }
