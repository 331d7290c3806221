package admin

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// velocityDim is one counted dimension of the settings: its JSON path
// (risk.SettingLabel names it) and where its windows live.
type velocityDim struct {
	path   string
	limits func(s *risk.Settings) *[]risk.Limit
}

var velocityDims = []velocityDim{
	{"velocity.ip", func(s *risk.Settings) *[]risk.Limit { return &s.Velocity.IP }},
	{"velocity.ip_network", func(s *risk.Settings) *[]risk.Limit { return &s.Velocity.Network }},
	{"velocity.number", func(s *risk.Settings) *[]risk.Limit { return &s.Velocity.Number }},
	{"velocity.prefix", func(s *risk.Settings) *[]risk.Limit { return &s.Velocity.Prefix }},
	{"velocity.country", func(s *risk.Settings) *[]risk.Limit { return &s.Velocity.Country }},
	{"velocity.account", func(s *risk.Settings) *[]risk.Limit { return &s.Velocity.Account }},
}

// singleLimits are the dimensions with one window.
var singleLimits = []struct {
	path  string
	limit func(s *risk.Settings) *risk.Limit
}{
	{"velocity.distinct_numbers_per_ip", func(s *risk.Settings) *risk.Limit { return &s.Velocity.NumbersPerIP }},
	{"velocity.distinct_ips_per_number", func(s *risk.Settings) *risk.Limit { return &s.Velocity.IPsPerNumber }},
	{"velocity.nearby_numbers", func(s *risk.Settings) *risk.Limit { return &s.Velocity.NearbyNumbers }},
	{"velocity.distinct_numbers_per_account", func(s *risk.Settings) *risk.Limit { return &s.Velocity.NumbersPerAccount }},
}

// capitalized starts s with a capital letter.
func capitalized(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// dimLabel names a counted dimension for people.
func dimLabel(path string) string { return capitalized(risk.SettingLabel(path)) }

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
		Label:     dimLabel,
		DeflectAt: strconv.Itoa(s.DeflectAt), BlockAt: strconv.Itoa(s.BlockAt), RequireAuth: s.RequireAuth,
		NumberPerHour: strconv.Itoa(s.Spend.NumberPerHour), NumberPerDay: strconv.Itoa(s.Spend.NumberPerDay),
		DailyBudget: strconv.FormatInt(s.Spend.DailyBudget, 10), DefaultCost: strconv.FormatInt(s.Spend.DefaultCost, 10),
		PassAt:  strconv.Itoa(s.Screening.PassAt),
		ChatURL: s.Deflect.ChatURL, Phone: s.Deflect.Phone, Hours: s.Deflect.Hours,
		RatePerMinute: strconv.Itoa(s.Dispatch.RatePerMinute), CountryRatePerMinute: strconv.Itoa(s.Dispatch.CountryRatePerMinute),
		IPv6Prefix: strconv.Itoa(s.Velocity.IPv6Prefix), SharedCeiling: strconv.Itoa(s.Velocity.SharedCeiling),
		SharedASNs: asnsText(s.SharedASNs), HostingASNs: asnsText(s.HostingASNs), HighCostRanges: costRangesText(s.HighCostRanges),
		HighRiskCountries: countriesText(s.HighRiskCountries), Costs: costsText(s.Spend.Costs),
		Spikes: SpikesForm(s.Spikes),
	}
	for _, code := range reasonCodes() {
		m.Weights = append(m.Weights, weightRow(code, strconv.Itoa(s.Weights[code]), s.Monitor))
	}
	m.Families = reasonFamilies(m.Weights)
	for _, d := range velocityDims {
		m.Velocity = append(m.Velocity, web.VelocityDim{Label: dimLabel(d.path), Limits: limitRows(d.path, *d.limits(&s))})
	}
	for _, d := range singleLimits {
		m.Velocity = append(m.Velocity, web.VelocityDim{Label: dimLabel(d.path), Limits: []web.LimitRow{limitRow(d.path, *d.limit(&s))}})
	}
	m.ScreenVelocity = limitRows("screening.velocity", s.Screening.Velocity)
	m.FailedChallenges = limitRow("screening.failed_challenges", s.Screening.FailedChallenges)
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
	return web.LimitRow{Path: path, Window: risk.FormatDuration(time.Duration(l.Window)), Warning: strconv.Itoa(l.Warning), Critical: strconv.Itoa(l.Critical)}
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

func (p *settingsParser) int(path string, dst *int) string {
	v := p.value(path)
	n, err := strconv.Atoi(v)
	if err != nil {
		p.notWhole(path, v)
	}
	*dst = n
	return v
}

func (p *settingsParser) int64(path string, dst *int64) string {
	v := p.value(path)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		p.notWhole(path, v)
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
	l.Window = p.duration(path+".window", row.Window)
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
	placeErrors(&p.form, errs, p.rows, base, s)
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
		m.Velocity = append(m.Velocity, web.VelocityDim{Label: dimLabel(d.path), Limits: rows})
	}
	for _, d := range singleLimits {
		l, row, _ := p.limit(d.path)
		*d.limit(&s) = l
		m.Velocity = append(m.Velocity, web.VelocityDim{Label: dimLabel(d.path), Limits: []web.LimitRow{row}})
	}
	m.IPv6Prefix = p.int("velocity.ipv6_prefix", &s.Velocity.IPv6Prefix)
	m.SharedCeiling = p.int("velocity.shared_ceiling", &s.Velocity.SharedCeiling)
	s.Screening.Velocity, m.ScreenVelocity = p.limits("screening.velocity")
	s.Screening.FailedChallenges, m.FailedChallenges, _ = p.limit("screening.failed_challenges")
	m.PassAt = p.int("screening.pass_at", &s.Screening.PassAt)

	m.Families = reasonFamilies(m.Weights)

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

// settingsJSON returns s indented, for review.
func settingsJSON(s risk.Settings) string {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b)
}
