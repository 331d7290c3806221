package risk

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"
)

// FieldError is one problem with one setting. Field is the setting's JSON
// path, e.g. "velocity.ip[0].window" or "weights.deny_number"; Message
// says in plain words, naming the setting as SettingLabel does, what is
// wrong and what would do.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	// Also is the same problem said of the other setting, when two
	// settings conflict (the block threshold below the deflect
	// threshold): a form shows it by whichever of the two was changed.
	Also *FieldError `json:"-"`
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

// conflict adds a problem between two settings: field's message, and the
// same said of other.
func (p *problems) conflict(field, message, other, otherMessage string) {
	*p = append(*p, &FieldError{Field: field, Message: message, Also: &FieldError{Field: other, Message: otherMessage}})
}

// Validate reports every problem with the settings at once, each as a
// *FieldError (see FieldErrors).
func (s Settings) Validate() error {
	var p problems
	known := DefaultWeights()
	for _, code := range sortedKeys(s.Weights) {
		if _, ok := known[code]; !ok {
			p.add("weights."+code, "“%s” is not a reason code; GET /api/v1/admin/reasons lists them.", code)
		}
	}
	for i, code := range s.Monitor {
		if _, ok := known[code]; !ok {
			p.add(fmt.Sprintf("monitor[%d]", i), "“%s” is not a reason code, so it cannot be monitor only.", code)
		} else if isTrust(code) {
			p.add(fmt.Sprintf("monitor[%d]", i), "“%s” cannot be monitor only: allow lists are trust, not rules. A listed entry skips the velocity, duplicate and anonymity checks whatever its weight, so remove the entry or change its weight instead.", ReasonName(code))
		}
	}
	if s.DeflectAt <= 0 {
		p.add("deflect_at", "The deflect threshold must be above 0; it is %d.", s.DeflectAt)
	}
	if s.BlockAt < s.DeflectAt {
		p.conflict("block_at", fmt.Sprintf("The block threshold (%d) must be at least the deflect threshold (%d).", s.BlockAt, s.DeflectAt),
			"deflect_at", fmt.Sprintf("The deflect threshold (%d) must be at most the block threshold (%d).", s.DeflectAt, s.BlockAt))
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
		p.add("velocity.ipv6_prefix", "The IPv6 network length must be between %d and 128 (the bits of an IPv6 address counted as one client; 64 is a home subscriber's network); it is %d.", minIPv6Prefix, v.IPv6Prefix)
	}
	if v.SharedCeiling < 1 || v.SharedCeiling > 100 {
		p.add("velocity.shared_ceiling", "The shared-address ceiling must be between 1 and 100 (how many times its critical thresholds a shared address may reach before its volume counts alone); it is %d.", v.SharedCeiling)
	}
	s.validateCostRanges(&p)
	for i, cc := range s.HighRiskCountries {
		if !isRegion(cc) {
			p.add(fmt.Sprintf("high_risk_countries[%d]", i), "“%s” in the high-risk countries is not a two-letter country code such as LV.", cc)
		}
	}
	s.Account.validate(&p, "account_policy", true)
	for _, name := range sortedKeys(s.Flows) {
		if name == "" {
			p.add("flow_policies", "A flow needs a name.")
		} else if !ValidFlowName(name) {
			p.add("flow_policies."+name, "The flow name “%s” needs 1 to %d letters, digits, '.', '_' or '-', and may not be '.' or '..'.", name, MaxFlowNameLen)
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
		p.add(where, "%s can have at most 3 windows; there are %d.", sentence(SettingLabel(where)), len(ls))
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
			p.add("spend."+f.name, "%s must not be negative (0: none); it is %d.", sentence(the("spend."+f.name)), f.v)
		}
	}
	if sp.NumberPerHour > 0 && sp.NumberPerDay > 0 && sp.NumberPerDay < sp.NumberPerHour {
		p.conflict("spend.number_per_day", fmt.Sprintf("The daily cap per number (%d) must be at least the hourly cap per number (%d).", sp.NumberPerDay, sp.NumberPerHour),
			"spend.number_per_hour", fmt.Sprintf("The hourly cap per number (%d) must be at most the daily cap per number (%d).", sp.NumberPerHour, sp.NumberPerDay))
	}
	for _, cc := range sortedKeys(sp.Costs) {
		if !isRegion(cc) {
			p.add("spend.costs", "“%s” in the costs per country is not a two-letter country code such as GB.", cc)
		}
		if sp.Costs[cc] < 0 {
			p.add("spend.costs."+cc, "The cost of a call to %s must not be negative; it is %d.", cc, sp.Costs[cc])
		}
	}
}

func isRegion(cc string) bool {
	return len(cc) == 2 && cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z'
}

func (l Limit) validate(p *problems, where string) {
	if time.Duration(l.Window) < time.Second || time.Duration(l.Window) > 31*24*time.Hour {
		p.add(where+".window", "%s must be between 1 s and 31 days; it is %s.", sentence(the(where+".window")), FormatDuration(time.Duration(l.Window)))
	}
	if l.Warning < 1 {
		p.add(where+".warning", "%s must be at least 1; it is %d.", sentence(the(where+".warning")), l.Warning)
	}
	if l.Critical < l.Warning {
		p.conflict(where+".critical", fmt.Sprintf("%s (%d) must be at least its warning count (%d).", sentence(the(where+".critical")), l.Critical, l.Warning),
			where+".warning", fmt.Sprintf("%s (%d) must be at most its critical count (%d).", sentence(the(where+".warning")), l.Warning, l.Critical))
	}
}

func (pol Policy) validate(p *problems, where string, needDefault bool) {
	if pol.Default == "" && needDefault {
		p.add(where+".default", "%s default must be ALLOW, BLOCK or MONITOR.", sentence(the(where))+"’s")
	}
	if pol.Default != "" && !validMode(pol.Default) {
		p.add(where+".default", "%s default must be ALLOW, BLOCK or MONITOR; “%s” is none of them.", sentence(the(where))+"’s", pol.Default)
	}
	for _, cc := range sortedKeys(pol.Countries) {
		if !isRegion(cc) {
			p.add(where+".countries", "“%s” in %s is not a two-letter country code such as GB.", cc, the(where))
		}
		if m := pol.Countries[cc]; !validMode(m) {
			p.add(where+".countries."+cc, "The mode for %s in %s must be ALLOW, BLOCK or MONITOR; “%s” is none of them.", cc, the(where), m)
		}
	}
}

func validMode(m Mode) bool { return slices.Contains([]Mode{ModeAllow, ModeBlock, ModeMonitor}, m) }

func (d Channels) validate(p *problems) {
	if d.ChatURL != "" {
		u, err := url.Parse(d.ChatURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add("deflect.chat_url", "The chat URL must be a full http or https address such as https://example.com/chat; “%s” is not.", d.ChatURL)
		}
	}
	for _, f := range []struct{ name, v string }{{"chat_url", d.ChatURL}, {"phone", d.Phone}, {"hours", d.Hours}} {
		if len(f.v) > 200 {
			p.add("deflect."+f.name, "%s must be at most 200 characters; it has %d.", sentence(the("deflect."+f.name)), len(f.v))
		}
	}
}

func (d Dispatch) validate(p *problems) {
	if d.RatePerMinute < 0 || d.RatePerMinute > maxDialRate {
		p.add("dispatch.rate_per_minute", "The calls per minute must be between 0 (no cap) and %d; it is %d.", maxDialRate, d.RatePerMinute)
	}
	if d.CountryRatePerMinute < 0 || d.CountryRatePerMinute > maxDialRate {
		p.add("dispatch.country_rate_per_minute", "The calls per minute to one country must be between 0 (no cap) and %d; it is %d.", maxDialRate, d.CountryRatePerMinute)
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
