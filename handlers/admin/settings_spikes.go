package admin

import (
	"strconv"
	"time"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// spikeRules are the spike dimensions the editor shows: label, JSON path
// and where the rule lives.
var spikeRules = []struct {
	label, path string
	rule        func(s *risk.Spikes) *risk.SpikeRule
}{
	{"Destination country (alerts only)", "spikes.country", func(s *risk.Spikes) *risk.SpikeRule { return &s.Country }},
	{"Number prefix (first 8 characters)", "spikes.prefix", func(s *risk.Spikes) *risk.SpikeRule { return &s.Prefix }},
	{"Client network (/24, /48)", "spikes.ip_network", func(s *risk.Spikes) *risk.SpikeRule { return &s.Network }},
}

// SpikesForm shows the spike settings in the editor.
func SpikesForm(s risk.Spikes) web.SpikesForm {
	f := web.SpikesForm{
		Window: time.Duration(s.Window).String(), Horizon: time.Duration(s.Horizon).String(),
		AutoBlock: string(s.AutoBlock), BlockFor: time.Duration(s.BlockFor).String(),
	}
	for _, r := range spikeRules {
		rule := *r.rule(&s)
		f.Rules = append(f.Rules, web.SpikeRuleRow{Label: r.label, Path: r.path,
			Floor: strconv.Itoa(rule.Floor), Factor: strconv.FormatFloat(rule.Factor, 'g', -1, 64)})
	}
	return f
}

// spikes reads the editor's spike settings onto s; a form without the
// spike panel (no spikes.window) leaves s as it is.
func (p *settingsParser) spikes(s *risk.Spikes) web.SpikesForm {
	if form, _ := p.c.FormParams(); !form.Has("spikes.window") {
		return SpikesForm(*s)
	}
	f := web.SpikesForm{
		Window: p.value("spikes.window"), Horizon: p.value("spikes.baseline_horizon"),
		AutoBlock: p.value("spikes.auto_block"), BlockFor: p.value("spikes.block_duration"),
	}
	s.Window = p.duration("spikes.window", f.Window)
	s.Horizon = p.duration("spikes.baseline_horizon", f.Horizon)
	s.BlockFor = p.duration("spikes.block_duration", f.BlockFor)
	s.AutoBlock = risk.BlockMode(f.AutoBlock)
	for _, r := range spikeRules {
		row := web.SpikeRuleRow{Label: r.label, Path: r.path}
		rule := r.rule(s)
		row.Floor = p.int(r.path+".floor", &rule.Floor)
		row.Factor = p.value(r.path + ".factor")
		n, err := strconv.ParseFloat(row.Factor, 64)
		if err != nil {
			p.fail(r.path+".factor", "must be a number such as 5 or 2.5, got %q", row.Factor)
		}
		rule.Factor = n
		f.Rules = append(f.Rules, row)
	}
	return f
}

// duration reads a duration such as 5m; "0" or "0s" is zero.
func (p *settingsParser) duration(path, v string) risk.Duration {
	d, err := time.ParseDuration(v)
	if err != nil {
		p.fail(path, "must be a duration such as 5m or 3h, got %q", v)
	}
	return risk.Duration(d)
}
