package admin

import (
	"errors"
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
	{"Client network (/24 or /48)", "spikes.ip_network", func(s *risk.Spikes) *risk.SpikeRule { return &s.Network }},
}

// SpikesForm shows the spike settings in the editor.
func SpikesForm(s risk.Spikes) web.SpikesForm {
	f := web.SpikesForm{
		Window: risk.FormatDuration(time.Duration(s.Window)), Horizon: risk.FormatDuration(time.Duration(s.Horizon)),
		AutoBlock: string(s.AutoBlock), BlockFor: risk.FormatDuration(time.Duration(s.BlockFor)),
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
			p.fail(r.path+".factor", "The %s must be a number such as 5 or 2.5; %s.", risk.SettingLabel(r.path+".factor"), typed(row.Factor))
		}
		rule.Factor = n
		f.Rules = append(f.Rules, row)
	}
	return f
}

// duration reads a duration as people type it (risk.ParseDuration):
// 5 min, 1 h, 2 h 30 min, 90m; "0" is zero.
func (p *settingsParser) duration(path, v string) risk.Duration {
	d, err := risk.ParseDuration(v)
	if de := (*risk.DurationError)(nil); errors.As(err, &de) {
		p.fail(path, "The %s must be a duration such as %s; %s.", risk.SettingLabel(path), risk.DurationExamples, typedProblem(de.Input, de.Problem))
	}
	return risk.Duration(d)
}
