package admin

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/admin/audit"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/web"
)

const (
	AuditPath = Prefix + "/audit"
	// AuditPageSize is how many entries a console page shows.
	AuditPageSize = 50
	// auditAPIMax is the largest limit the JSON API takes; 100 by default.
	auditAPIMax = 500
	// auditExportMax is how many entries an export holds at most, the
	// newest matching ones.
	auditExportMax = 100_000
	// auditFieldMax bounds the actor and target filters' length.
	auditFieldMax = 200
)

// auditQuery is the audit log's filter and cursor read from a request.
type auditQuery struct {
	filter audit.Filter
	typed  web.AuditFilter
	before string
}

// parseAuditQuery reads actor, action, target, from, to (dates, UTC, or
// RFC 3339 times; to's day is included) and before (a cursor).
func parseAuditQuery(c echo.Context) (auditQuery, error) {
	q := auditQuery{
		typed: web.AuditFilter{
			Actor: c.QueryParam("actor"), Action: c.QueryParam("action"), Target: c.QueryParam("target"),
			From: c.QueryParam("from"), To: c.QueryParam("to"),
		},
		before: c.QueryParam("before"),
	}
	q.filter = audit.Filter{Actor: q.typed.Actor, Action: q.typed.Action, Target: q.typed.Target}
	for _, p := range [][2]string{{"actor", q.typed.Actor}, {"action", q.typed.Action}, {"target", q.typed.Target}} {
		if len(p[1]) > auditFieldMax {
			return q, respond.FieldError(respond.CodeInvalidFilter, p[0], p[0]+" must be at most "+strconv.Itoa(auditFieldMax)+" characters.")
		}
	}
	var err error
	if q.filter.From, err = parseAuditTime(q.typed.From, false); err != nil {
		return q, respond.FieldError(respond.CodeInvalidFilter, "from", "from must be a date (2006-01-02) or an RFC 3339 time.")
	}
	if q.filter.To, err = parseAuditTime(q.typed.To, true); err != nil {
		return q, respond.FieldError(respond.CodeInvalidFilter, "to", "to must be a date (2006-01-02) or an RFC 3339 time.")
	}
	if !q.filter.From.IsZero() && !q.filter.To.IsZero() && q.filter.To.Before(q.filter.From) {
		return q, respond.FieldError(respond.CodeInvalidFilter, "to", "to must not be before from.")
	}
	if q.before != "" && !audit.ValidID(q.before) {
		return q, respond.FieldError(respond.CodeInvalidFilter, "before", "before must be the next cursor of a previous page.")
	}
	return q, nil
}

// parseAuditTime reads a date or an RFC 3339 time; a date as the end of a
// range means the last millisecond of that day.
func parseAuditTime(v string, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		if end {
			d = d.AddDate(0, 0, 1).Add(-time.Millisecond)
		}
		return d, nil
	}
	return time.Parse(time.RFC3339, v)
}

// values is the query's filter as URL parameters, without the cursor.
func (q auditQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"actor": q.typed.Actor, "action": q.typed.Action, "target": q.typed.Target, "from": q.typed.From, "to": q.typed.To} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// link is path with the query's filter and, unless empty, cursor before.
func (q auditQuery) link(path, before string) string {
	v := q.values()
	if before != "" {
		v.Set("before", before)
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// HandleAuditShow lists the audit log; a refused filter is shown on the
// page with a 422.
func (s *Handlers) HandleAuditShow(c echo.Context) error {
	q, err := parseAuditQuery(c)
	m := web.AuditModel{Filter: q.typed, ExportLimit: auditExportMax}
	m.Export = q.link(AuditPath+"/export.csv", "")
	if err != nil {
		m.Error = respond.As(err).Text()
		return respond.Render(c, http.StatusUnprocessableEntity, web.AuditPage(s.frame(c, web.SectionAudit), m))
	}
	entries, next, err := s.Audit.List(c.Request().Context(), q.filter, q.before, AuditPageSize)
	if err != nil {
		return respond.Failed(err)
	}
	for _, e := range entries {
		m.Rows = append(m.Rows, auditRow(e))
	}
	if next != "" {
		m.Older = q.link(AuditPath, next)
	}
	if q.before != "" {
		m.Newest = q.link(AuditPath, "")
	}
	return respond.Render(c, http.StatusOK, web.AuditPage(s.frame(c, web.SectionAudit), m))
}

// AuditPage is the JSON answer of GET /api/v1/admin/audit.
type AuditPage struct {
	Entries []audit.Entry `json:"entries"`
	// Next is the before cursor of the following page, "" on the last.
	Next string `json:"next"`
}

// HandleAPIAudit lists the audit log as JSON: the page's filters, before
// for the cursor and limit (1 to 500, 100 by default).
func (s *Handlers) HandleAPIAudit(c echo.Context) error {
	q, err := parseAuditQuery(c)
	if err != nil {
		return err
	}
	limit := 100
	if v := c.QueryParam("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > auditAPIMax {
			return respond.FieldError(respond.CodeInvalidFilter, "limit", "limit must be a whole number from 1 to "+strconv.Itoa(auditAPIMax)+".")
		}
	}
	entries, next, err := s.Audit.List(c.Request().Context(), q.filter, q.before, limit)
	if err != nil {
		return respond.Failed(err)
	}
	if entries == nil {
		entries = []audit.Entry{}
	}
	return c.JSON(http.StatusOK, AuditPage{Entries: entries, Next: next})
}

// loadAuditEntry reads the entry of the request's id; an unknown or
// malformed id is a 404.
func (s *Handlers) loadAuditEntry(c echo.Context) (audit.Entry, error) {
	e, err := s.Audit.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return e, respond.Failed(err)
	}
	return e, nil
}

// HandleAuditEntryShow shows one audit entry.
func (s *Handlers) HandleAuditEntryShow(c echo.Context) error {
	e, err := s.loadAuditEntry(c)
	if err != nil {
		return err
	}
	m := web.AuditDetailModel{AuditRow: auditRow(e), Before: indentJSON(e.Before), After: indentJSON(e.After), Fields: diffJSON(e.Before, e.After)}
	return respond.Render(c, http.StatusOK, web.AuditEntryPage(s.frame(c, web.SectionAudit), m))
}

// HandleAPIAuditEntry answers one audit entry as JSON.
func (s *Handlers) HandleAPIAuditEntry(c echo.Context) error {
	e, err := s.loadAuditEntry(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, e)
}

func auditRow(e audit.Entry) web.AuditRow {
	return web.AuditRow{ID: e.ID, At: e.At, Actor: e.Actor, IP: e.IP, Action: e.Action, Target: e.Target}
}
