package risk

import (
	"maps"
	"slices"
)

// Channels lists the other channels a deflected visitor is offered. Empty
// fields are not shown.
type Channels struct {
	// ChatURL links to a web chat; an absolute http(s) URL.
	ChatURL string `json:"chat_url,omitempty"`
	// Phone is a number the visitor can call, as it should be displayed.
	Phone string `json:"phone,omitempty"`
	// Hours describes when the phone line or chat is staffed.
	Hours string `json:"hours,omitempty"`
}

// Dispatch caps the rate at which the call queue dials, across every
// instance sharing the Redis.
type Dispatch struct {
	// RatePerMinute caps calls placed per minute; 0 means no cap.
	RatePerMinute int `json:"rate_per_minute"`
	// CountryRatePerMinute caps calls placed per minute to each
	// destination country; 0 means no cap.
	CountryRatePerMinute int `json:"country_rate_per_minute"`
}

// maxDialRate bounds both dispatch rates.
const maxDialRate = 100000

// DispatchRates returns the dial rates in force, global and per country,
// in calls per minute (0: no cap). The call queue asks before every dial,
// so a saved change applies without a restart.
func (ss *SettingsStore) DispatchRates() (global, perCountry int) {
	d := ss.active.Load().Dispatch
	return d.RatePerMinute, d.CountryRatePerMinute
}

// Deflection returns the deflection channels in force.
func (ss *SettingsStore) Deflection() Channels { return ss.active.Load().Deflect }

// clone returns a copy of s that shares no map or slice with it.
func (s Settings) clone() Settings {
	c := s
	c.Weights = maps.Clone(s.Weights)
	c.HostingASNs = slices.Clone(s.HostingASNs)
	c.HighRiskCountries = slices.Clone(s.HighRiskCountries)
	c.SharedASNs = slices.Clone(s.SharedASNs)
	c.HighCostRanges = slices.Clone(s.HighCostRanges)
	c.Account.Countries = maps.Clone(s.Account.Countries)
	if s.Flows != nil {
		c.Flows = make(map[string]Policy, len(s.Flows))
		for name, p := range s.Flows {
			p.Countries = maps.Clone(p.Countries)
			c.Flows[name] = p
		}
	}
	v := &c.Velocity
	for _, ls := range []*[]Limit{&v.IP, &v.Network, &v.Number, &v.Prefix, &v.Country, &c.Screening.Velocity} {
		*ls = slices.Clone(*ls)
	}
	c.Spend.Costs = maps.Clone(s.Spend.Costs)
	c.Monitor = slices.Clone(s.Monitor)
	return c
}
