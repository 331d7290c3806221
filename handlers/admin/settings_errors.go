package admin

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// Where the settings editor shows each problem: next to the field the
// admin changed, in plain words, and in the summary at the top.

// typed says what was typed, for a message: `“lots” is not` or `it is
// empty`.
func typed(v string) string {
	if v == "" {
		return "it is empty"
	}
	return "“" + v + "” is not"
}

// typedProblem says what is wrong with what was typed: `“soon” has no
// unit` or `it is empty`.
func typedProblem(v, problem string) string {
	if v == "" {
		return "it is empty"
	}
	return "“" + v + "” " + problem
}

// notWhole notes that the field at path is not a whole number.
func (p *settingsParser) notWhole(path, v string) {
	p.fail(path, "The %s must be a whole number; %s.", risk.SettingLabel(path), typed(v))
}

// placeErrors puts each problem next to its field in m and in its
// summary. A conflict between two settings goes by the one the admin
// changed from before (the settings in force); when both or neither
// changed, by the later one in the form. rows maps a window's path in
// the settings to its row in the form, where an empty row before it
// shifted it.
func placeErrors(m *web.SettingsForm, errs []*risk.FieldError, rows map[string]string, before, after risk.Settings) {
	m.Errors = map[string]string{}
	old, cur := settingsTree(before), settingsTree(after)
	changed := func(path string) bool {
		a, _ := lookupSetting(old, path)
		b, _ := lookupSetting(cur, path)
		return !reflect.DeepEqual(a, b)
	}
	for _, e := range errs {
		if e.Also != nil && changed(e.Also.Field) && !changed(e.Field) {
			e = e.Also
		}
		field, message := formField(e.Field, after), e.Message
		for from, to := range rows {
			if rest, ok := strings.CutPrefix(field, from); ok && (rest == "" || rest[0] == '.') {
				field = to + rest
				message = strings.Replace(message, risk.SettingLabel(e.Field), risk.SettingLabel(field), 1)
				break
			}
		}
		if prev, taken := m.Errors[field]; taken {
			m.Errors[field] = prev + " " + message
		} else {
			m.Errors[field] = message
		}
		m.Summary = append(m.Summary, web.SettingsProblem{Field: field, Message: message})
	}
}

// listEntry matches the path of one entry of a list the editor shows in
// one box, e.g. "high_cost_ranges[2].prefix".
var listEntry = regexp.MustCompile(`^(monitor|high_cost_ranges|high_risk_countries)\[(\d+)\]`)

// formField is the form field that shows the setting at path: the
// monitor box of a monitored code, the one box of a list, the costs box
// for a country's cost.
func formField(path string, s risk.Settings) string {
	if m := listEntry.FindStringSubmatch(path); m != nil {
		if i, _ := strconv.Atoi(m[2]); m[1] == "monitor" && i < len(s.Monitor) {
			return "monitor." + s.Monitor[i]
		}
		return m[1]
	}
	if strings.HasPrefix(path, "spend.costs.") {
		return "spend.costs"
	}
	return path
}

// settingsTree is s as JSON values, to look settings up by path.
func settingsTree(s risk.Settings) any {
	b, err := json.Marshal(s)
	if err != nil {
		return nil
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	return v
}

// lookupSetting finds the value at a FieldError's path, e.g.
// "velocity.ip[0].window", in a settingsTree.
func lookupSetting(v any, path string) (any, bool) {
	for _, part := range strings.Split(path, ".") {
		name, index, _ := strings.Cut(part, "[")
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[name]; !ok {
			return nil, false
		}
		for index != "" {
			var n string
			n, index, _ = strings.Cut(index, "]")
			index = strings.TrimPrefix(index, "[")
			i, err := strconv.Atoi(n)
			list, ok := v.([]any)
			if err != nil || !ok || i >= len(list) {
				return nil, false
			}
			v = list[i]
		}
	}
	return v, true
}

// familyTitles name the reason families and say what their reasons have
// in common, the five evidence families first.
var familyTitles = []struct {
	family       risk.Family
	title, intro string
}{
	{risk.FamilyReputation, "Reputation", "What the visitor's address is: an anonymizer, a proxy, a hosting network."},
	{risk.FamilyVolume, "Volume", "How much one source asks: requests and distinct numbers from one address, network or signed-in account."},
	{risk.FamilyDestination, "Destination", "What the number is and what calling it costs."},
	{risk.FamilyReuse, "Reuse", "Numbers asked for by many addresses, neighbouring numbers, or numbers recombined with addresses."},
	{risk.FamilyBehaviour, "Behaviour", "How the request came: the form, visitor tokens, a visitor abroad."},
	{risk.FamilyLists, "Deny lists", "Decisive: an entry on a deny list blocks whatever the score."},
	{risk.FamilyPolicy, "Country policy and sign-in", "What the country policy and the sign-in requirement decide."},
	{risk.FamilyTrust, "Trust", "Signals that lower the score or skip checks."},
	{risk.FamilySpend, "Spend caps", "Given when a cap or the budget is reached: they deflect."},
	{risk.FamilySurge, "Country surges", "Many addresses asking for numbers in one country; not one of the five evidence families."},
	{risk.FamilyScreening, "Inbound callers", "Used when screening people who call in."},
	{risk.FamilyGeoIP, "GeoIP databases", "Recorded when a database is missing, so its signals were skipped."},
}

// reasonFamilies groups the weight rows by family, in familyTitles'
// order, then any family it does not name.
func reasonFamilies(rows []web.WeightRow) []web.ReasonFamily {
	var out []web.ReasonFamily
	at := map[string]int{}
	for _, f := range familyTitles {
		at[string(f.family)] = len(out)
		out = append(out, web.ReasonFamily{Family: string(f.family), Title: f.title, Intro: f.intro})
	}
	for _, r := range rows {
		i, ok := at[r.Family]
		if !ok {
			i = len(out)
			at[r.Family] = i
			out = append(out, web.ReasonFamily{Family: r.Family, Title: capitalized(r.Family)})
		}
		out[i].Rows = append(out[i].Rows, r)
	}
	kept := out[:0]
	for _, f := range out {
		if len(f.Rows) > 0 {
			kept = append(kept, f)
		}
	}
	return kept
}
