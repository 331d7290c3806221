package admin

import (
	"math"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// topN is how many values each top list shows.
const topN = 10

// Dashboard is the Dashboard's numbers, the JSON answer of
// GET /api/v1/admin/dashboard.
type Dashboard struct {
	// Requests24h, Allowed24h, Deflected24h and Blocked24h count the
	// decisions of the last 24 hours, the current hour included.
	Requests24h  int64 `json:"requests_24h"`
	Allowed24h   int64 `json:"allowed_24h"`
	Deflected24h int64 `json:"deflected_24h"`
	Blocked24h   int64 `json:"blocked_24h"`
	// BlockedPercent and DeflectedPercent are shares of Requests24h.
	BlockedPercent   float64 `json:"blocked_percent"`
	DeflectedPercent float64 `json:"deflected_percent"`
	// PlacedToday counts the calls providers accepted since midnight UTC.
	PlacedToday int64 `json:"placed_today"`
	// SpendAvoided7d is the estimated cost of the calls refused in the
	// last 7 days at today's costs, in minor units.
	SpendAvoided7d int64 `json:"spend_avoided_7d_minor"`
	// Budget is today's daily budget (0: none), what the calls placed
	// today cost and what is reserved for calls allowed and not yet placed
	// or given up, in minor units.
	Budget      int64 `json:"budget_minor"`
	SpentToday  int64 `json:"spent_today_minor"`
	ReservedNow int64 `json:"reserved_minor"`
	// Hours and Days are the chart data, oldest first.
	Hours []dispatch.Bucket `json:"hours"`
	Days  []dispatch.Bucket `json:"days"`
	// TopDays is how many UTC days Top covers: 1 (today) or 7.
	TopDays int `json:"top_days"`
	// Top lists the most refused values; numbers are masked.
	Top dispatch.Top `json:"top"`
}

// loadDashboard reads the stats and works out the Dashboard's numbers;
// the top lists cover the days of the request's top parameter.
func (s *Handlers) loadDashboard(c echo.Context) (Dashboard, error) {
	days := 1
	switch c.QueryParam("top") {
	case "", "1":
	case "7":
		days = 7
	default:
		return Dashboard{}, respond.FieldError(respond.CodeInvalidFilter, "top", "top must be 1 (today) or 7 (the last 7 days).")
	}
	st, err := s.Decisions.Stats(c.Request().Context(), s.now(), days, topN)
	if err != nil {
		return Dashboard{}, respond.Failed(err)
	}
	d := Dashboard{Hours: st.Hours, Days: st.Days, TopDays: st.TopDays, Top: st.Top}
	for _, h := range st.Hours {
		d.Allowed24h += h.Allow
		d.Deflected24h += h.Deflect
		d.Blocked24h += h.Block
	}
	d.Requests24h = d.Allowed24h + d.Deflected24h + d.Blocked24h
	d.BlockedPercent, d.DeflectedPercent = percent(d.Blocked24h, d.Requests24h), percent(d.Deflected24h, d.Requests24h)
	if n := len(st.Days); n > 0 {
		d.PlacedToday = st.Days[n-1].Placed
	}
	spend := s.Settings.Settings().Spend
	b, err := s.Engine.BudgetToday(c.Request().Context())
	if err != nil {
		return Dashboard{}, respond.Failed(err)
	}
	d.Budget, d.SpentToday, d.ReservedNow = spend.DailyBudget, b.Spent, b.Reserved
	for country, n := range st.RefusedByCountry {
		d.SpendAvoided7d += n * spend.Cost(country)
	}
	d.Top.Numbers = make([]dispatch.Ranked, len(st.Top.Numbers))
	for i, r := range st.Top.Numbers {
		d.Top.Numbers[i] = dispatch.Ranked{Value: risk.MaskNumber(r.Value), Count: r.Count}
	}
	return d, nil
}

// percent is part of whole in percent to one decimal; 0 for an empty whole.
func percent(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return math.Round(float64(part)*1000/float64(whole)) / 10
}

// HandleDashboardShow shows the Dashboard.
func (s *Handlers) HandleDashboardShow(c echo.Context) error {
	d, err := s.loadDashboard(c)
	if err != nil {
		return err
	}
	alerts, err := s.recentAlerts(c, alertsShown)
	if err != nil {
		return err
	}
	m := dashboardModel(d)
	m.Alerts = alertRows(alerts, s.now())
	m.Embed = web.EmbedModel{NoChannels: web.Channels(s.Settings.Deflection()).Empty(), FormURL: s.formURL(c)}
	return respond.Render(c, http.StatusOK, web.DashboardPage(s.frame(c, web.SectionDashboard), m))
}

// formURL is the public form's address: under Deps.PublicURL when set,
// else at the origin the console was reached at, over HTTPS when Deps.HTTPS
// says the request came so.
func (s *Handlers) formURL(c echo.Context) string {
	if s.PublicURL != "" {
		return s.PublicURL + "/"
	}
	scheme := "http"
	if s.HTTPS != nil && s.HTTPS(c) {
		scheme = "https"
	}
	return scheme + "://" + c.Request().Host + "/"
}

// HandleAPIDashboard answers the Dashboard's numbers as JSON.
func (s *Handlers) HandleAPIDashboard(c echo.Context) error {
	d, err := s.loadDashboard(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func dashboardModel(d Dashboard) web.DashboardModel {
	return web.DashboardModel{
		Requests24h: d.Requests24h, BlockedPct: d.BlockedPercent, DeflectedPct: d.DeflectedPercent,
		PlacedToday: d.PlacedToday, AvoidedMinor: d.SpendAvoided7d,
		BudgetMinor: d.Budget, SpentMinor: d.SpentToday, ReservedMinor: d.ReservedNow,
		Hours: chartBars(d.Hours), Days: chartBars(d.Days), TopDays: d.TopDays,
		Tops: []web.TopList{
			{ID: "number-countries", Title: "Number countries", Column: "Country", Rows: topRows(d.Top.NumberCountries)},
			{ID: "ip-countries", Title: "IP countries", Column: "Country", Rows: topRows(d.Top.IPCountries)},
			{ID: "prefixes", Title: "Number prefixes", Column: "Prefix", Rows: topRows(d.Top.Prefixes)},
			{ID: "ips", Title: "IP addresses", Column: "IP", Rows: topRows(d.Top.IPs)},
			{ID: "numbers", Title: "Numbers (masked)", Column: "Number", Rows: topRows(d.Top.Numbers)},
		},
	}
}

func chartBars(bs []dispatch.Bucket) []web.ChartBar {
	out := make([]web.ChartBar, len(bs))
	for i, b := range bs {
		out[i] = web.ChartBar{Start: b.Start, Allow: b.Allow, Deflect: b.Deflect, Block: b.Block}
	}
	return out
}

func topRows(rs []dispatch.Ranked) []web.TopRow {
	out := make([]web.TopRow, len(rs))
	for i, r := range rs {
		out[i] = web.TopRow{Value: r.Value, Count: r.Count}
	}
	return out
}
