package admin

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// velocityDim is one counted dimension of the settings: its label, its
// JSON path and where its windows live.
type velocityDim struct {
	label, path string
	limits      func(s *risk.Settings) *[]risk.Limit
}

var velocityDims = []velocityDim{
	{"Requests from one IP", "velocity.ip", func(s *risk.Settings) *[]risk.Limit { return &s.Velocity.IP }},
	{"Requests from one network (/24, /48)", "velocity.ip_network", func(s *risk.Settings) *[]risk.Limit { return &s.Velocity.Network }},
	{"Addresses asking for one number", "velocity.number", func(s *risk.Settings) *[]risk.Limit { return &s.Velocity.Number }},
	{"Addresses asking for one block of 1000 numbers", "velocity.prefix", func(s *risk.Settings) *[]risk.Limit { return &s.Velocity.Prefix }},
	{"Addresses asking for numbers in one country", "velocity.country", func(s *risk.Settings) *[]risk.Limit { return &s.Velocity.Country }},
	{"Requests from one signed-in account", "velocity.account", func(s *risk.Settings) *[]risk.Limit { return &s.Velocity.Account }},
}

// singleLimits are the dimensions with one window.
var singleLimits = []struct {
	label, path string
	limit       func(s *risk.Settings) *risk.Limit
}{
	{"Distinct numbers from one IP", "velocity.distinct_numbers_per_ip", func(s *risk.Settings) *risk.Limit { return &s.Velocity.NumbersPerIP }},
	{"Distinct IPs for one number", "velocity.distinct_ips_per_number", func(s *risk.Settings) *risk.Limit { return &s.Velocity.IPsPerNumber }},
	{"Distinct numbers within 100 of one another", "velocity.nearby_numbers", func(s *risk.Settings) *risk.Limit { return &s.Velocity.NearbyNumbers }},
	{"Distinct numbers from one signed-in account", "velocity.distinct_numbers_per_account", func(s *risk.Settings) *risk.Limit { return &s.Velocity.NumbersPerAccount }},
}

// maxWindows is how many windows a dimension may have.
const maxWindows = 3

// reasonCodes returns every known reason code in the reason table's order.
func reasonCodes() []string {
	var codes []string
	for _, r := range risk.ReasonTable() {
		codes = append(codes, r.Code)
	}
	return codes
}

// weightRow shows code's weight v in the editor, with its name and
// meaning from the reason table.
func weightRow(code, v string, monitored []string) web.WeightRow {
	info, _ := risk.LookupReason(code)
	return web.WeightRow{
		Code: code, Name: info.Name, Description: info.Description, Family: string(info.Family), Effect: string(info.Effect), Default: info.Weight,
		Weight: v, Monitor: slices.Contains(monitored, code),
	}
}

// SettingsForm shows s in the editor.
func SettingsForm(s risk.Settings) web.SettingsForm {
	m := web.SettingsForm{
		DeflectAt: strconv.Itoa(s.DeflectAt), BlockAt: strconv.Itoa(s.BlockAt), RequireAuth: s.RequireAuth,
		NumberPerHour: strconv.Itoa(s.Spend.NumberPerHour), NumberPerDay: strconv.Itoa(s.Spend.NumberPerDay),
		DailyBudget: strconv.FormatInt(s.Spend.DailyBudget, 10), DefaultCost: strconv.FormatInt(s.Spend.DefaultCost, 10),
		PassAt:  strconv.Itoa(s.Screening.PassAt),
		ChatURL: s.Deflect.ChatURL, Phone: s.Deflect.Phone, Hours: s.Deflect.Hours,
		RatePerMinute: strconv.Itoa(s.Dispatch.RatePerMinute), CountryRatePerMinute: strconv.Itoa(s.Dispatch.CountryRatePerMinute),
		IPv6Prefix: strconv.Itoa(s.Velocity.IPv6Prefix), SharedCeiling: strconv.Itoa(s.Velocity.SharedCeiling),
		SharedASNs: sharedASNsText(s.SharedASNs), HighCostRanges: costRangesText(s.HighCostRanges),
		Spikes: SpikesForm(s.Spikes),
	}
	for _, code := range reasonCodes() {
		m.Weights = append(m.Weights, weightRow(code, strconv.Itoa(s.Weights[code]), s.Monitor))
	}
	for _, d := range velocityDims {
		m.Velocity = append(m.Velocity, web.VelocityDim{Label: d.label, Limits: limitRows(d.path, *d.limits(&s))})
	}
	for _, d := range singleLimits {
		m.Velocity = append(m.Velocity, web.VelocityDim{Label: d.label, Limits: []web.LimitRow{limitRow(d.path, *d.limit(&s))}})
	}
	m.ScreenVelocity = limitRows("screening.velocity", s.Screening.Velocity)
	m.FailedChallenges = limitRow("screening.failed_challenges", s.Screening.FailedChallenges)
	asns := make([]string, len(s.HostingASNs))
	for i, a := range s.HostingASNs {
		asns[i] = strconv.FormatUint(uint64(a), 10)
	}
	m.HostingASNs = strings.Join(asns, "\n")
	m.HighRiskCountries = strings.Join(s.HighRiskCountries, " ")
	var costs []string
	for _, cc := range slices.Sorted(maps.Keys(s.Spend.Costs)) {
		costs = append(costs, cc+"="+strconv.FormatInt(s.Spend.Costs[cc], 10))
	}
	m.Costs = strings.Join(costs, "\n")
	return m
}

// limitRows shows a dimension's windows, padded with empty rows.
func limitRows(path string, ls []risk.Limit) []web.LimitRow {
	rows := make([]web.LimitRow, max(maxWindows, len(ls)))
	for i := range rows {
		rows[i].Path = fmt.Sprintf("%s[%d]", path, i)
		if i < len(ls) {
			rows[i] = limitRow(rows[i].Path, ls[i])
		}
	}
	return rows
}

func limitRow(path string, l risk.Limit) web.LimitRow {
	return web.LimitRow{Path: path, Window: time.Duration(l.Window).String(), Warning: strconv.Itoa(l.Warning), Critical: strconv.Itoa(l.Critical)}
}

// settingsParser reads the editor's form onto settings, noting each value
// that cannot be read.
type settingsParser struct {
	c    echo.Context
	form web.SettingsForm
	errs []*risk.FieldError
	// rows maps the path of a window in the settings to its row in the
	// form, where an empty row before it shifted it.
	rows map[string]string
}

func (p *settingsParser) value(path string) string { return strings.TrimSpace(p.c.FormValue(path)) }

func (p *settingsParser) fail(path, format string, args ...any) {
	p.errs = append(p.errs, &risk.FieldError{Field: path, Message: fmt.Sprintf(format, args...)})
}

func (p *settingsParser) int(path string, dst *int) string {
	v := p.value(path)
	n, err := strconv.Atoi(v)
	if err != nil {
		p.fail(path, "must be a whole number, got %q", v)
	}
	*dst = n
	return v
}

func (p *settingsParser) int64(path string, dst *int64) string {
	v := p.value(path)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		p.fail(path, "must be a whole number, got %q", v)
	}
	*dst = n
	return v
}

// limit reads one window row; ok is false when the row is empty.
func (p *settingsParser) limit(path string) (risk.Limit, web.LimitRow, bool) {
	row := web.LimitRow{Path: path, Window: p.value(path + ".window"), Warning: p.value(path + ".warning"), Critical: p.value(path + ".critical")}
	if row.Window == "" && row.Warning == "" && row.Critical == "" {
		return risk.Limit{}, row, false
	}
	var l risk.Limit
	w, err := time.ParseDuration(row.Window)
	if err != nil {
		p.fail(path+".window", "must be a duration such as 1m, 1h or 24h, got %q", row.Window)
	}
	l.Window = risk.Duration(w)
	p.int(path+".warning", &l.Warning)
	p.int(path+".critical", &l.Critical)
	return l, row, true
}

// limits reads a dimension's window rows, dropping empty ones.
func (p *settingsParser) limits(path string) ([]risk.Limit, []web.LimitRow) {
	var ls []risk.Limit
	rows := make([]web.LimitRow, maxWindows)
	for i := range rows {
		rowPath := fmt.Sprintf("%s[%d]", path, i)
		l, row, ok := p.limit(rowPath)
		rows[i] = row
		if ok {
			p.rows[fmt.Sprintf("%s[%d]", path, len(ls))] = rowPath
			ls = append(ls, l)
		}
	}
	return ls, rows
}

// parseSettingsForm reads the editor's form onto base (the settings in
// force, whose country policies the editor does not show) and validates
// the result. It returns the settings, the form as typed with every
// problem placed, and whether there was none.
func parseSettingsForm(c echo.Context, base risk.Settings) (risk.Settings, web.SettingsForm, bool) {
	s, p := readSettingsForm(c, base)
	errs := p.errs
	unread := map[string]bool{}
	for _, e := range p.errs {
		unread[e.Field] = true
	}
	for _, e := range risk.FieldErrors(s.Validate()) {
		if !unread[e.Field] {
			errs = append(errs, e)
		}
	}
	placeErrors(&p.form, errs, p.rows)
	return s, p.form, len(errs) == 0
}

// readSettingsForm reads the editor's form onto base.
func readSettingsForm(c echo.Context, base risk.Settings) (risk.Settings, *settingsParser) {
	s := base
	p := &settingsParser{c: c, rows: map[string]string{}}
	m := &p.form
	m.DeflectAt = p.int("deflect_at", &s.DeflectAt)
	m.BlockAt = p.int("block_at", &s.BlockAt)
	m.RequireAuth = c.FormValue("require_auth") != ""
	s.RequireAuth = m.RequireAuth

	form, _ := c.FormParams()
	s.Monitor = form["monitor"]
	s.Weights = map[string]int{}
	for _, code := range reasonCodes() {
		w := 0
		v := p.int("weights."+code, &w)
		s.Weights[code] = w
		m.Weights = append(m.Weights, weightRow(code, v, s.Monitor))
	}

	for _, d := range velocityDims {
		ls, rows := p.limits(d.path)
		*d.limits(&s) = ls
		m.Velocity = append(m.Velocity, web.VelocityDim{Label: d.label, Limits: rows})
	}
	for _, d := range singleLimits {
		l, row, _ := p.limit(d.path)
		*d.limit(&s) = l
		m.Velocity = append(m.Velocity, web.VelocityDim{Label: d.label, Limits: []web.LimitRow{row}})
	}
	m.IPv6Prefix = p.int("velocity.ipv6_prefix", &s.Velocity.IPv6Prefix)
	m.SharedCeiling = p.int("velocity.shared_ceiling", &s.Velocity.SharedCeiling)
	s.Screening.Velocity, m.ScreenVelocity = p.limits("screening.velocity")
	s.Screening.FailedChallenges, m.FailedChallenges, _ = p.limit("screening.failed_challenges")
	m.PassAt = p.int("screening.pass_at", &s.Screening.PassAt)

	m.HostingASNs = c.FormValue("hosting_asns")
	s.HostingASNs = p.asns("hosting_asns", m.HostingASNs)
	m.SharedASNs = c.FormValue("shared_asns")
	s.SharedASNs = p.asns("shared_asns", m.SharedASNs)
	m.HighCostRanges = c.FormValue("high_cost_ranges")
	s.HighCostRanges = p.costRanges(m.HighCostRanges)
	m.HighRiskCountries = c.FormValue("high_risk_countries")
	s.HighRiskCountries = p.countries("high_risk_countries", m.HighRiskCountries)
	m.NumberPerHour = p.int("spend.number_per_hour", &s.Spend.NumberPerHour)
	m.NumberPerDay = p.int("spend.number_per_day", &s.Spend.NumberPerDay)
	m.DailyBudget = p.int64("spend.daily_budget", &s.Spend.DailyBudget)
	m.DefaultCost = p.int64("spend.default_cost", &s.Spend.DefaultCost)
	m.Costs = c.FormValue("spend.costs")
	s.Spend.Costs = p.costs(m.Costs)

	m.ChatURL, m.Phone, m.Hours = p.value("deflect.chat_url"), p.value("deflect.phone"), p.value("deflect.hours")
	s.Deflect = risk.Channels{ChatURL: m.ChatURL, Phone: m.Phone, Hours: m.Hours}
	m.RatePerMinute = p.int("dispatch.rate_per_minute", &s.Dispatch.RatePerMinute)
	m.CountryRatePerMinute = p.int("dispatch.country_rate_per_minute", &s.Dispatch.CountryRatePerMinute)
	m.Spikes = p.spikes(&s.Spikes)
	return s, p
}

// asns reads autonomous system numbers separated by commas, spaces or
// lines; a # starts a comment that runs to the end of its line.
func (p *settingsParser) asns(field, v string) []uint {
	out := []uint{}
	for _, line := range strings.Split(v, "\n") {
		line, _, _ = strings.Cut(line, "#")
		for _, f := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\r' || r == '\t' }) {
			n, err := strconv.ParseUint(strings.TrimPrefix(strings.ToUpper(f), "AS"), 10, 32)
			if err != nil || n == 0 {
				p.fail(field, "%q is not an AS number", f)
				continue
			}
			if !slices.Contains(out, uint(n)) {
				out = append(out, uint(n))
			}
		}
	}
	return out
}

// sharedASNsText shows the shared-address networks one a line, each
// shipped one with its name as a comment.
func sharedASNsText(asns []uint) string {
	names := map[uint]string{}
	for _, n := range risk.ShippedSharedNetworks() {
		names[n.ASN] = n.Name
	}
	lines := make([]string, len(asns))
	for i, a := range asns {
		lines[i] = strconv.FormatUint(uint64(a), 10)
		if name := names[a]; name != "" {
			lines[i] += "  # " + name
		}
	}
	return strings.Join(lines, "\n")
}

// costRangesText shows the high-cost ranges one a line, as
// costRanges reads them.
func costRangesText(rs []risk.CostRange) string {
	lines := make([]string, len(rs))
	for i, r := range rs {
		lines[i] = strings.Join([]string{r.Prefix, r.Name, r.Source, r.Date}, " | ")
	}
	return strings.Join(lines, "\n")
}

// costRanges reads "prefix | name | source | date" lines; only the prefix
// is required.
func (p *settingsParser) costRanges(v string) []risk.CostRange {
	out := []risk.CostRange{}
	for _, line := range strings.Split(v, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "|")
		if len(f) > 4 {
			p.fail("high_cost_ranges", "%q has more than four fields (prefix | name | source | date)", strings.TrimSpace(line))
			continue
		}
		f = append(f, "", "", "")
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		out = append(out, risk.CostRange{Prefix: f[0], Name: f[1], Source: f[2], Date: f[3]})
	}
	return out
}

// countries reads ISO 3166-1 alpha-2 codes separated by commas or spaces,
// upper-casing them and dropping repeats.
func (p *settingsParser) countries(field, v string) []string {
	out := []string{}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		cc := strings.ToUpper(f)
		if len(cc) != 2 || strings.Trim(cc, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			p.fail(field, "%q is not a two-letter country code such as LV", f)
			continue
		}
		if !slices.Contains(out, cc) {
			out = append(out, cc)
		}
	}
	return out
}

// costs reads "CC=cost" lines.
func (p *settingsParser) costs(v string) map[string]int64 {
	out := map[string]int64{}
	for _, line := range strings.Split(v, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		cc, cost, ok := strings.Cut(line, "=")
		n, err := strconv.ParseInt(strings.TrimSpace(cost), 10, 64)
		if !ok || err != nil {
			p.fail("spend.costs", "%q is not CC=cost, e.g. GB=12", line)
			continue
		}
		out[strings.ToUpper(strings.TrimSpace(cc))] = n
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// placeErrors puts each problem next to its field in m and in its summary.
func placeErrors(m *web.SettingsForm, errs []*risk.FieldError, rows map[string]string) {
	m.Errors = map[string]string{}
	for _, e := range errs {
		field := e.Field
		for from, to := range rows {
			if rest, ok := strings.CutPrefix(field, from); ok && (rest == "" || rest[0] == '.') {
				field = to + rest
				break
			}
		}
		for _, list := range []string{"monitor", "high_cost_ranges"} {
			if strings.HasPrefix(field, list+"[") {
				field = list
			}
		}
		if _, taken := m.Errors[field]; !taken {
			m.Errors[field] = e.Message
		}
		m.Summary = append(m.Summary, field+": "+e.Message)
	}
}

// settingsJSON returns s indented, for review.
func settingsJSON(s risk.Settings) string {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b)
}
