package risk

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"
)

// FieldError is one problem with one setting. Field is the setting's JSON
// path, e.g. "velocity.ip[0].window" or "weights.deny_number".
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error returns the field and the message.
func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// FieldErrors returns every FieldError inside err, as Settings.Validate
// returns them, in order.
func FieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		if fe, ok := err.(*FieldError); ok {
			out = append(out, fe)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
	return out
}

// problems collects the FieldErrors of one validation.
type problems []error

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, &FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Validate reports every problem with the settings at once, each as a
// *FieldError (see FieldErrors).
func (s Settings) Validate() error {
	var p problems
	known := DefaultWeights()
	for _, code := range sortedKeys(s.Weights) {
		if _, ok := known[code]; !ok {
			p.add("weights."+code, "unknown reason code %q", code)
		}
	}
	for i, code := range s.Monitor {
		if _, ok := known[code]; !ok {
			p.add(fmt.Sprintf("monitor[%d]", i), "unknown reason code %q", code)
		} else if isTrust(code) {
			p.add(fmt.Sprintf("monitor[%d]", i), "%s cannot be monitored: allow lists are trust, not rules; a listed entry skips the velocity, duplicate and anonymity checks whatever its weight, so remove the entry or set its weight instead", code)
		}
	}
	if s.DeflectAt <= 0 {
		p.add("deflect_at", "must be above 0")
	}
	if s.BlockAt < s.DeflectAt {
		p.add("block_at", "(%d) must not be below deflect_at (%d)", s.BlockAt, s.DeflectAt)
	}
	v := s.Velocity
	for _, d := range []struct {
		name string
		ls   []Limit
	}{{"ip", v.IP}, {"ip_network", v.Network}, {"number", v.Number}, {"prefix", v.Prefix}, {"country", v.Country}, {"account", v.Account}} {
		p.windows("velocity."+d.name, d.ls)
	}
	v.NumbersPerIP.validate(&p, "velocity.distinct_numbers_per_ip")
	v.IPsPerNumber.validate(&p, "velocity.distinct_ips_per_number")
	v.NearbyNumbers.validate(&p, "velocity.nearby_numbers")
	if v.NumbersPerAccount != (Limit{}) {
		v.NumbersPerAccount.validate(&p, "velocity.distinct_numbers_per_account")
	}
	if v.IPv6Prefix < minIPv6Prefix || v.IPv6Prefix > 128 {
		p.add("velocity.ipv6_prefix", "must be between %d and 128 (the bits of an IPv6 address counted as one client; 64: a home subscriber's network), got %d", minIPv6Prefix, v.IPv6Prefix)
	}
	if v.SharedCeiling < 1 || v.SharedCeiling > 100 {
		p.add("velocity.shared_ceiling", "must be between 1 and 100 (how many times its critical thresholds a shared address may reach before its volume counts alone), got %d", v.SharedCeiling)
	}
	s.validateCostRanges(&p)
	for i, cc := range s.HighRiskCountries {
		if !isRegion(cc) {
			p.add(fmt.Sprintf("high_risk_countries[%d]", i), "%q is not an upper-case ISO 3166-1 alpha-2 code", cc)
		}
	}
	s.Account.validate(&p, "account_policy", true)
	for _, name := range sortedKeys(s.Flows) {
		if name == "" {
			p.add("flow_policies", "a flow needs a name")
		} else if !ValidFlowName(name) {
			p.add("flow_policies."+name, "a flow name needs 1 to %d letters, digits, '.', '_' or '-', and may not be '.' or '..'", MaxFlowNameLen)
		}
		s.Flows[name].validate(&p, "flow_policies."+name, false)
	}
	s.Spend.validate(&p)
	p.windows("screening.velocity", s.Screening.Velocity)
	s.Screening.FailedChallenges.validate(&p, "screening.failed_challenges")
	s.Deflect.validate(&p)
	s.Dispatch.validate(&p)
	s.Spikes.validate(&p)
	return errors.Join(p...)
}

// minIPv6Prefix is the shortest network Velocity.IPv6Prefix may count as
// one client: shorter, a whole provider would share one count.
const minIPv6Prefix = 32

// MaxFlowNameLen is the longest flow name, in bytes.
const MaxFlowNameLen = 64

// ValidFlowName reports whether name can name a flow: 1 to MaxFlowNameLen
// ASCII letters, digits, '.', '_' and '-', and not "." or "..", so it is
// safe as one segment of a URL path.
func ValidFlowName(name string) bool {
	if name == "" || len(name) > MaxFlowNameLen || name == "." || name == ".." {
		return false
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}

// windows checks a dimension's up to three windows.
func (p *problems) windows(where string, ls []Limit) {
	if len(ls) > 3 {
		p.add(where, "at most 3 windows, got %d", len(ls))
	}
	for i, l := range ls {
		l.validate(p, fmt.Sprintf("%s[%d]", where, i))
	}
}

func (sp Spend) validate(p *problems) {
	for _, f := range []struct {
		name string
		v    int64
	}{{"number_per_hour", int64(sp.NumberPerHour)}, {"number_per_day", int64(sp.NumberPerDay)}, {"daily_budget", sp.DailyBudget}, {"default_cost", sp.DefaultCost}} {
		if f.v < 0 {
			p.add("spend."+f.name, "must not be negative")
		}
	}
	if sp.NumberPerHour > 0 && sp.NumberPerDay > 0 && sp.NumberPerDay < sp.NumberPerHour {
		p.add("spend.number_per_day", "(%d) must not be below number_per_hour (%d)", sp.NumberPerDay, sp.NumberPerHour)
	}
	for _, cc := range sortedKeys(sp.Costs) {
		if !isRegion(cc) {
			p.add("spend.costs", "%q is not an upper-case ISO 3166-1 alpha-2 code", cc)
		}
		if sp.Costs[cc] < 0 {
			p.add("spend.costs."+cc, "must not be negative")
		}
	}
}

func isRegion(cc string) bool {
	return len(cc) == 2 && cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z'
}

func (l Limit) validate(p *problems, where string) {
	if time.Duration(l.Window) < time.Second || time.Duration(l.Window) > 31*24*time.Hour {
		p.add(where+".window", "must be between 1s and 31 days, got %s", time.Duration(l.Window))
	}
	if l.Warning < 1 {
		p.add(where+".warning", "must be at least 1, got %d", l.Warning)
	}
	if l.Critical < l.Warning {
		p.add(where+".critical", "must not be below warning (%d), got %d", l.Warning, l.Critical)
	}
}

func (pol Policy) validate(p *problems, where string, needDefault bool) {
	if pol.Default == "" && needDefault {
		p.add(where+".default", "must be ALLOW, BLOCK or MONITOR")
	}
	if pol.Default != "" && !validMode(pol.Default) {
		p.add(where+".default", "%q is not ALLOW, BLOCK or MONITOR", pol.Default)
	}
	for _, cc := range sortedKeys(pol.Countries) {
		if !isRegion(cc) {
			p.add(where+".countries", "%q is not an upper-case ISO 3166-1 alpha-2 code", cc)
		}
		if m := pol.Countries[cc]; !validMode(m) {
			p.add(where+".countries."+cc, "%q is not ALLOW, BLOCK or MONITOR", m)
		}
	}
}

func validMode(m Mode) bool { return slices.Contains([]Mode{ModeAllow, ModeBlock, ModeMonitor}, m) }

func (d Channels) validate(p *problems) {
	if d.ChatURL != "" {
		u, err := url.Parse(d.ChatURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add("deflect.chat_url", "must be an absolute http(s) URL such as https://example.com/chat, got %q", d.ChatURL)
		}
	}
	for _, f := range []struct{ name, v string }{{"chat_url", d.ChatURL}, {"phone", d.Phone}, {"hours", d.Hours}} {
		if len(f.v) > 200 {
			p.add("deflect."+f.name, "must be at most 200 characters")
		}
	}
}

func (d Dispatch) validate(p *problems) {
	if d.RatePerMinute < 0 || d.RatePerMinute > maxDialRate {
		p.add("dispatch.rate_per_minute", "must be between 0 (no cap) and %d, got %d", maxDialRate, d.RatePerMinute)
	}
	if d.CountryRatePerMinute < 0 || d.CountryRatePerMinute > maxDialRate {
		p.add("dispatch.country_rate_per_minute", "must be between 0 (no cap) and %d, got %d", maxDialRate, d.CountryRatePerMinute)
	}
}

// sortedKeys returns m's keys in order, so errors come in a stable order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
