package web

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
)

// SettingsForm is the risk settings editor: every value as text, as the
// admin typed it, and the problems found with it.
type SettingsForm struct {
	// Label names a setting by its JSON path, as the validation messages
	// name it (risk.SettingLabel, capitalized).
	Label func(path string) string
	// Replay, when set, replays recorded decisions through the draft on
	// the form while the page renders, and shows what it would have done:
	// the form holds a draft that was tried, not saved.
	Replay templ.Component
	// Weights lists every reason code, in order.
	Weights []WeightRow
	// Families are the same rows grouped by evidence family, the five
	// evidence families first.
	Families []ReasonFamily
	// DeflectAt and BlockAt are the score thresholds.
	DeflectAt, BlockAt string
	// Velocity lists the counted dimensions.
	Velocity []VelocityDim
	// IPv6Prefix is the length of the network an IPv6 address is counted
	// by per IP.
	IPv6Prefix string
	// SharedCeiling is velocity.shared_ceiling.
	SharedCeiling string
	// SharedASNs lists shared-address networks, one per line, each with a
	// "# name" comment when it is a shipped one.
	SharedASNs string
	// HighCostRanges lists high-cost number ranges, one per line as
	// "prefix | name | source | date".
	HighCostRanges string
	// HostingASNs lists autonomous system numbers, one per line, each
	// with a "# name" comment when its name is known.
	HostingASNs string
	// HighRiskCountries lists high-risk destination countries, one ISO
	// code a line with a "# name" comment.
	HighRiskCountries string
	// RequireAuth deflects visitors the host site did not vouch for.
	RequireAuth bool
	// Spend caps, budget and costs; Costs is one "CC=cost" per line.
	NumberPerHour, NumberPerDay, DailyBudget, DefaultCost, Costs string
	// Screening of inbound callers.
	ScreenVelocity   []LimitRow
	FailedChallenges LimitRow
	PassAt           string
	// ChatURL, Phone and Hours are the deflection channels.
	ChatURL, Phone, Hours string
	// RatePerMinute and CountryRatePerMinute are the dispatch rates.
	RatePerMinute, CountryRatePerMinute string
	// Spikes is spike detection and automatic blocking.
	Spikes SpikesForm
	// Errors maps a field's path (as its input's name) to its problems.
	Errors map[string]string
	// Summary lists every problem with the field it sits by, in order.
	Summary []SettingsProblem
	// JSON is the settings in force, indented, for review.
	JSON string
}

// SettingsProblem is one problem of a failed save: the path of the field
// it is shown by, and what is wrong.
type SettingsProblem struct {
	Field, Message string
}

// ReasonFamily is one family of reasons and its rows.
type ReasonFamily struct {
	// Family is the family's code (risk.Family); Title names it and
	// Intro says what its reasons have in common.
	Family, Title, Intro string
	// Rows are its reasons, in the reason table's order.
	Rows []WeightRow
}

// FieldID is the HTML id of the input named path, e.g. "field-block_at"
// for "block_at" and "field-velocity-ip-0-window" for
// "velocity.ip[0].window".
func FieldID(path string) string {
	var b strings.Builder
	b.WriteString("field-")
	dash := false
	for _, r := range path {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_'
		if !ok {
			dash = true
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// itoa writes n in decimal.
func itoa(n int) string { return strconv.Itoa(n) }

// rowNote tells rows of one dimension apart in their inputs' names:
// ", row 2" for path "velocity.ip[1]" when the dimension has many rows.
func rowNote(rows int, path string) string {
	i := strings.LastIndexByte(path, '[')
	if rows < 2 || i < 0 {
		return ""
	}
	n, err := strconv.Atoi(strings.TrimSuffix(path[i+1:], "]"))
	if err != nil {
		return ""
	}
	return ", row " + strconv.Itoa(n+1)
}

// errorID is the id of the message of the field named path.
func errorID(path string) string { return FieldID(path) + "-error" }

// fieldAttrs are the id and test id of the input named path and, when it has a
// problem, aria-invalid and the id of its message.
func (f SettingsForm) fieldAttrs(path string) templ.Attributes {
	a := templ.Attributes{"id": FieldID(path), "data-testid": path}
	if f.err(path) != "" {
		a["aria-invalid"] = "true"
		a["aria-describedby"] = errorID(path)
	}
	return a
}

// WeightRow is one reason code's weight.
type WeightRow struct {
	// Code is the reason code; Name and Description say what it means.
	Code, Name, Description string
	// Family is the kind of evidence the code is (risk.Family).
	Family string
	// Effect is "blocks", "deflects", "trusts" or "" (score only).
	Effect string
	// Weight is the weight as typed; Default is the shipped one.
	Weight  string
	Default int
	// Monitor is true when the code is recorded only.
	Monitor bool
}

// VelocityDim is one counted dimension and its windows.
type VelocityDim struct {
	// Label names the dimension for people.
	Label string
	// Limits are its windows; empty rows add a window.
	Limits []LimitRow
}

// LimitRow is one count threshold over a window, as typed.
type LimitRow struct {
	// Path is the field path, e.g. "velocity.ip[0]"; inputs are named
	// Path+".window", ".warning" and ".critical".
	Path                      string
	Window, Warning, Critical string
}

// err returns the problem with the field named path, or "".
func (f SettingsForm) err(path string) string { return f.Errors[path] }

// PolicyModel is the country policy editor.
type PolicyModel struct {
	// Account is the account policy.
	Account PolicyView
	// Flows are the named flows' policies, by name.
	Flows []PolicyView
	// Regions are the countries a rule can name.
	Regions []Region
	// Resolve is the resolve tool's question and answer.
	Resolve ResolveView
	// Tried, when set, is a rule tried before saving, and Replay replays
	// recorded decisions through it while the page renders.
	Tried  *PolicyTry
	Replay templ.Component
}

// PolicyTry is a country rule tried before saving: the change in words,
// the policy it was tried on (Flow, "" for the account's), and what the
// form that saves it posts.
type PolicyTry struct {
	Change, Flow, Action, Country, Mode string
}

// CountryFor is the country tried on flow's policy, "" for another's or
// when nothing was tried: the add-rule form of that policy shows it again.
func (t *PolicyTry) CountryFor(flow string) string {
	if t == nil || t.Flow != flow {
		return ""
	}
	return t.Country
}

// ModeFor is CountryFor's mode.
func (t *PolicyTry) ModeFor(flow string) string {
	if t == nil || t.Flow != flow {
		return ""
	}
	return t.Mode
}

// PolicyView is one policy: its default and its country rules.
type PolicyView struct {
	// Flow is the flow's name; empty for the account policy.
	Flow string
	// Default is ALLOW, BLOCK, MONITOR, or "" to defer to the account.
	Default string
	// Rules are its country rules, by country name.
	Rules []CountryRule
	// Binding says, for a flow, whom its policy applies to.
	Binding string
}

// CountryRule is one country's mode in a policy.
type CountryRule struct {
	Code, Name, Mode string
}

// ResolveView is the resolve tool: a flow and country, and the mode
// they resolve to.
type ResolveView struct {
	// Flow and Country are the question; Asked is true once asked.
	Flow, Country string
	Asked         bool
	// Mode is the effective mode; Rule names the rule that decided.
	Mode, Rule string
	// Error says why the question could not be answered.
	Error string
}

// Modes are the country policy modes, in the order the console offers them.
var Modes = []string{"ALLOW", "MONITOR", "BLOCK"}

// modeBadge is the badge class of a mode.
func modeBadge(mode string) string {
	switch mode {
	case "BLOCK":
		return "badge badge-block"
	case "MONITOR":
		return "badge badge-monitor"
	}
	return "badge badge-allow"
}

// policyPath is where a policy's forms post: the account's or a flow's.
func policyPath(p PolicyView) string {
	if p.Flow == "" {
		return "/admin/policy/account"
	}
	return "/admin/policy/flows/" + url.PathEscape(p.Flow)
}

// orAccount names a policy in test ids: its flow, or "account".
func orAccount(flow string) string {
	if flow == "" {
		return "account"
	}
	return flow
}

// SpikesForm is the spike detection panel, as typed.
type SpikesForm struct {
	// Window and Horizon are durations such as 5m and 3h.
	Window, Horizon string
	// Rules are the floor and factor per dimension.
	Rules []SpikeRuleRow
	// AutoBlock is off, monitor or on; BlockFor a duration.
	AutoBlock, BlockFor string
}

// SpikeRuleRow is one dimension's floor and factor, as typed.
type SpikeRuleRow struct {
	// Label names the dimension; Path is its field path, e.g.
	// "spikes.prefix", with inputs Path+".floor" and ".factor".
	Label, Path   string
	Floor, Factor string
}

// BlockModes are the automatic-blocking modes, in the order offered.
var BlockModes = []string{"off", "monitor", "on"}

// FieldLabel is the label of the setting at path: Label's, or the path.
func (m SettingsForm) FieldLabel(path string) string {
	if m.Label == nil {
		return path
	}
	return m.Label(path)
}
