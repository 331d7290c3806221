package risk

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// settingLabels names the settings for people, by JSON path, as the
// console's labels and the validation messages call them.
var settingLabels = map[string]string{
	"deflect_at":                            "deflect threshold",
	"block_at":                              "block threshold",
	"monitor":                               "monitor-only reasons",
	"velocity.ip":                           "requests from one IP",
	"velocity.ip_network":                   "requests from one network (/24 or /48)",
	"velocity.number":                       "addresses asking for one number",
	"velocity.prefix":                       "addresses asking for one block of 1,000 numbers",
	"velocity.country":                      "addresses asking for numbers in one country",
	"velocity.account":                      "requests from one signed-in account",
	"velocity.distinct_numbers_per_ip":      "distinct numbers from one IP",
	"velocity.distinct_ips_per_number":      "distinct IPs for one number",
	"velocity.nearby_numbers":               "distinct numbers within 100 of one another",
	"velocity.distinct_numbers_per_account": "distinct numbers from one signed-in account",
	"velocity.ipv6_prefix":                  "IPv6 network length",
	"velocity.shared_ceiling":               "shared-address ceiling",
	"hosting_asns":                          "hosting networks",
	"shared_asns":                           "shared networks",
	"high_risk_countries":                   "high-risk countries",
	"high_cost_ranges":                      "high-cost number ranges",
	"spend.number_per_hour":                 "hourly cap per number",
	"spend.number_per_day":                  "daily cap per number",
	"spend.daily_budget":                    "daily budget",
	"spend.default_cost":                    "default cost of a call",
	"spend.costs":                           "costs per country",
	"screening.velocity":                    "calls from one caller",
	"screening.failed_challenges":           "failed challenges of one caller",
	"screening.pass_at":                     "pass-unchallenged score",
	"deflect.chat_url":                      "chat URL",
	"deflect.phone":                         "phone shown",
	"deflect.hours":                         "hours shown",
	"dispatch.rate_per_minute":              "calls per minute",
	"dispatch.country_rate_per_minute":      "calls per minute to one country",
	"spikes.window":                         "spike detection window",
	"spikes.baseline_horizon":               "baseline horizon",
	"spikes.auto_block":                     "automatic blocking",
	"spikes.block_duration":                 "automatic block duration",
	"spikes.country":                        "destination country",
	"spikes.prefix":                         "number prefix",
	"spikes.ip_network":                     "client network",
	"account_policy":                        "account policy",
}

// indexed matches a path with an index, e.g. "velocity.ip[0].window".
var indexed = regexp.MustCompile(`^(.+)\[(\d+)\](?:\.(\w+))?$`)

// SettingLabel names the setting at path (a FieldError's Field) for
// people, e.g. "block threshold", "window for requests from one IP (row
// 2)" or "weight of “Tor exit node”"; an unknown path is returned as it is.
func SettingLabel(path string) string {
	if l, ok := settingLabels[path]; ok {
		return l
	}
	if code, ok := strings.CutPrefix(path, "weights."); ok {
		if info, ok := LookupReason(code); ok {
			return "weight of “" + info.Name + "”"
		}
		return "weight of " + code
	}
	if m := indexed.FindStringSubmatch(path); m != nil {
		n, _ := strconv.Atoi(m[2])
		base := SettingLabel(m[1])
		if m[3] == "" {
			return fmt.Sprintf("%s (entry %d)", base, n+1)
		}
		return limitPart(m[3], fmt.Sprintf("%s (row %d)", base, n+1))
	}
	if i := strings.LastIndexByte(path, '.'); i > 0 {
		parent, part := path[:i], path[i+1:]
		switch {
		case strings.HasPrefix(parent, "spikes.") && (part == "floor" || part == "factor"):
			return "spike " + part + " for the " + SettingLabel(parent)
		case strings.HasPrefix(parent, "spend.costs"):
			return "cost of a call to " + part
		case strings.HasPrefix(parent, "flow_policies"):
			return "flow policy “" + part + "”"
		case part == "window" || part == "warning" || part == "critical":
			return limitPart(part, SettingLabel(parent))
		case part == "default" || part == "countries":
			return SettingLabel(parent) + "’s " + part
		}
	}
	return path
}

// limitPart names one part of a count threshold over a window.
func limitPart(part, of string) string {
	switch part {
	case "window":
		return "window for " + of
	case "warning":
		return "warning count for " + of
	case "critical":
		return "critical count for " + of
	}
	return part + " of " + of
}

// sentence starts s with a capital letter.
func sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// The sets a label says "the" before.
func the(path string) string { return "the " + SettingLabel(path) }
