package admin

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/web"
)

// maxIVRDays is how many UTC days the IVR report covers at most.
const maxIVRDays = 7

// ivrDays reads ?days=1..7, 7 by default.
func ivrDays(c echo.Context) (int, error) {
	v := c.QueryParam("days")
	if v == "" {
		return maxIVRDays, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxIVRDays {
		return 0, respond.FieldError(respond.CodeInvalidFilter, "days", "days must be a whole number from 1 to 7.")
	}
	return n, nil
}

// ivrReport reads the IVR counters of the last days UTC days, today first,
// flow by flow, with their totals.
func (s *Handlers) ivrReport(c echo.Context, days int) ([]web.IVRRow, web.IVRRow, error) {
	var rows []web.IVRRow
	var total web.IVRRow
	if s.Challenges == nil {
		return rows, total, nil
	}
	today := time.Now().UTC()
	for i := range days {
		day := today.AddDate(0, 0, -i)
		stats, err := s.Challenges.Stats(c.Request().Context(), day)
		if err != nil && stats == nil {
			return nil, total, respond.Failed(err)
		}
		flows := make([]string, 0, len(stats))
		for f := range stats {
			flows = append(flows, f)
		}
		slices.Sort(flows)
		for _, f := range flows {
			ev := stats[f]
			r := web.IVRRow{
				Day: day.Format("2006-01-02"), Flow: f,
				Screened: ev[contactflows.StatScreened], LetThrough: ev[contactflows.StatScreenPassed], Challenged: ev[contactflows.StatIssued],
				Passed: ev[contactflows.StatPassed], Failed: ev[contactflows.StatFailed],
				Expired: ev[contactflows.StatExpired], Disconnected: ev[contactflows.StatDisconnected],
			}
			rows = append(rows, r)
			total.Screened += r.Screened
			total.LetThrough += r.LetThrough
			total.Challenged += r.Challenged
			total.Passed += r.Passed
			total.Failed += r.Failed
			total.Expired += r.Expired
			total.Disconnected += r.Disconnected
		}
	}
	return rows, total, nil
}

// HandleIVRShow shows the IVR report.
func (s *Handlers) HandleIVRShow(c echo.Context) error {
	days, err := ivrDays(c)
	if err != nil {
		days = maxIVRDays
	}
	rows, total, err := s.ivrReport(c, days)
	if err != nil {
		return err
	}
	return respond.Render(c, http.StatusOK, web.IVRPage(s.frame(c, web.SectionIVR), web.IVRModel{Days: days, Rows: rows, Total: total}))
}

// IVRReport is one row of the IVR report as JSON.
type IVRReport struct {
	Day          string `json:"day,omitempty"`
	Flow         string `json:"flow,omitempty"`
	Screened     int64  `json:"screened"`
	LetThrough   int64  `json:"let_through"`
	Challenged   int64  `json:"challenged"`
	Passed       int64  `json:"passed"`
	Failed       int64  `json:"failed"`
	Expired      int64  `json:"expired"`
	Disconnected int64  `json:"disconnected"`
}

func ivrJSONOf(r web.IVRRow) IVRReport {
	return IVRReport{Day: r.Day, Flow: r.Flow, Screened: r.Screened, LetThrough: r.LetThrough, Challenged: r.Challenged,
		Passed: r.Passed, Failed: r.Failed, Expired: r.Expired, Disconnected: r.Disconnected}
}

// HandleAPIIVR answers the IVR report as JSON.
func (s *Handlers) HandleAPIIVR(c echo.Context) error {
	days, err := ivrDays(c)
	if err != nil {
		return err
	}
	rows, total, err := s.ivrReport(c, days)
	if err != nil {
		return err
	}
	out := struct {
		Days  int         `json:"days"`
		Rows  []IVRReport `json:"rows"`
		Total IVRReport   `json:"total"`
	}{Days: days, Rows: make([]IVRReport, len(rows)), Total: ivrJSONOf(total)}
	for i, r := range rows {
		out.Rows[i] = ivrJSONOf(r)
	}
	return c.JSON(http.StatusOK, out)
}
