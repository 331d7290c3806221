package admin

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/respond"
)

// auditExportBatch is how many entries the export reads per round trip.
const auditExportBatch = 1000

// HandleAuditExport streams the audit log's entries matching the
// request's filter as CSV, newest first, at most auditExportMax of them.
// Every cell is neutralised against spreadsheet formulas.
func (s *Handlers) HandleAuditExport(c echo.Context) error {
	q, err := parseAuditQuery(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	entries, next, err := s.Audit.List(ctx, q.filter, q.before, min(auditExportBatch, auditExportMax))
	if err != nil {
		return respond.Failed(err)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="tollgate-audit-`+s.now().UTC().Format("20060102-150405")+`.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	w := newCSVWriter(c.Response())
	if err := w.Write("id", "time", "actor", "ip", "action", "target", "before", "after"); err != nil {
		return err
	}
	written := 0
	for {
		for _, e := range entries[:min(len(entries), auditExportMax-written)] {
			err := w.Write(e.ID, e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.IP, e.Action, e.Target, rawString(e.Before), rawString(e.After))
			if err != nil {
				return err
			}
			written++
		}
		if next == "" || written >= auditExportMax {
			break
		}
		if entries, next, err = s.Audit.List(ctx, q.filter, next, min(auditExportBatch, auditExportMax-written)); err != nil {
			s.log.Error("audit export cut short", slog.Int("rows", written), slog.Any("err", err))
			break
		}
	}
	return w.Flush()
}

// rawString is raw JSON as text, "" when absent.
func rawString(raw json.RawMessage) string { return string(raw) }
