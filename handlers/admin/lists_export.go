package admin

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
)

// HandleListExport streams a whole list as CSV, value,reason,author,
// created,expires, in value order, every cell neutralised against
// spreadsheet formulas.
func (s *Handlers) HandleListExport(c echo.Context) error {
	l, err := listParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	q := risk.ListQuery{Limit: risk.MaxListLimit}
	page, err := s.Lists.ListEntries(ctx, l, q)
	if err != nil {
		return respond.Failed(err)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+string(l)+`.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	w := newCSVWriter(c.Response())
	if err := w.Write("value", "reason", "author", "created", "expires"); err != nil {
		return err
	}
	for {
		for _, en := range page.Entries {
			if err := w.Write(en.Value, en.Reason, en.Author, csvTime(en.Created), csvTime(en.Expires)); err != nil {
				return err
			}
		}
		if err := w.Flush(); err != nil {
			return err
		}
		c.Response().Flush()
		if page.Next == "" {
			return nil
		}
		q.After = page.Next
		if page, err = s.Lists.ListEntries(ctx, l, q); err != nil {
			return respond.Failed(err)
		}
	}
}

// csvTime writes a time as RFC 3339 in UTC, "" for the zero time.
func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
