package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk/spike"
	"github.com/tollgate/tollgate/web"
)

// alertsShown is how many alerts the Dashboard's panel shows.
const alertsShown = 10

// recentAlerts returns up to n of the newest alerts; none without an
// alert store.
func (s *Handlers) recentAlerts(c echo.Context, n int64) ([]spike.Alert, error) {
	if s.Alerts == nil {
		return []spike.Alert{}, nil
	}
	as, err := s.Alerts.Recent(c.Request().Context(), n)
	if err != nil {
		return nil, respond.Failed(err)
	}
	return as, nil
}

// HandleAPIAlerts answers the newest alerts, newest first.
func (s *Handlers) HandleAPIAlerts(c echo.Context) error {
	n := int64(50)
	if v := c.QueryParam("limit"); v != "" {
		l, err := strconv.ParseInt(v, 10, 64)
		if err != nil || l < 1 || l > spike.MaxAlerts {
			return respond.FieldError(respond.CodeInvalidFilter, "limit", fmt.Sprintf("limit must be a whole number from 1 to %d.", spike.MaxAlerts))
		}
		n = l
	}
	as, err := s.recentAlerts(c, n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"alerts": as})
}

// liftAlert removes the deny entry alert :id added and audits it.
func (s *Handlers) liftAlert(c echo.Context) (spike.Alert, error) {
	if s.Alerts == nil {
		return spike.Alert{}, &respond.Error{Code: respond.CodeNotFound, Message: "Spike alerts are off."}
	}
	id := c.Param("id")
	a, en, err := s.Alerts.Lift(c.Request().Context(), id, actorOf(c).Name)
	switch {
	case err != nil:
		return a, respond.Failed(err)
	}
	s.record(c, "alert.lift", string(a.List)+" "+a.Value, en, nil)
	return a, nil
}

// HandleAlertLift lifts an alert's block from the Dashboard.
func (s *Handlers) HandleAlertLift(c echo.Context) error {
	a, err := s.liftAlert(c)
	var ae *respond.Error
	if errors.As(err, &ae) && ae.Code == respond.CodeNotFound {
		return s.redirectBack(c, Home, flashError, ae.Message)
	}
	if err != nil {
		return err
	}
	return s.redirectBack(c, Home, flashOK, "Lifted: "+a.Value+" is no longer in "+string(a.List)+".")
}

// HandleAPIAlertLift lifts an alert's block and answers the alert.
func (s *Handlers) HandleAPIAlertLift(c echo.Context) error {
	a, err := s.liftAlert(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

// alertRows shows alerts on the Dashboard.
func alertRows(as []spike.Alert, now time.Time) []web.AlertRow {
	out := make([]web.AlertRow, len(as))
	for i, a := range as {
		r := web.AlertRow{ID: a.ID, At: a.At, Dimension: string(a.Dimension), Value: a.Value, Count: a.Count,
			Baseline: strconv.FormatFloat(a.Baseline, 'f', 1, 64)}
		switch a.Action {
		case spike.ActionBlocked:
			switch {
			case a.Lifted != "":
				r.Action = "Blocked in " + string(a.List) + "; lifted by " + a.Lifted
			case now.Before(a.Until):
				r.Action, r.Liftable = "Blocked in "+string(a.List)+" until "+web.FormatTime(a.Until), true
			default:
				r.Action = "Blocked in " + string(a.List) + " until " + web.FormatTime(a.Until) + " (ended)"
			}
		case spike.ActionWouldBlock:
			r.Action = "Monitor: would block in " + string(a.List)
		case spike.ActionAlreadyListed:
			r.Action = "Already in " + string(a.List)
		case spike.ActionBlockFailed:
			r.Action = "Block failed: " + a.Error
		default:
			r.Action = "Alert only"
		}
		out[i] = r
	}
	return out
}
