package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/web"
)

// errorHandledKey marks a request whose error handleError has dealt with.
const errorHandledKey = "tollgate.error_handled"

// handleError is echo's HTTPErrorHandler: it maps err to a status and a safe
// message, logs server-side failures with their detail and answers HTML or
// JSON. Echo calls it twice for one error (from the request logger, then
// from ServeHTTP); only the first call counts. An error after the response
// was committed is logged, and nothing more is written.
func (s *server) handleError(err error, c echo.Context) {
	if c.Get(errorHandledKey) != nil {
		return
	}
	c.Set(errorHandledKey, true)
	ae := respond.As(err)
	status := ae.Status()
	committed := c.Response().Committed
	if status >= http.StatusInternalServerError {
		attrs := []slog.Attr{
			slog.String("code", ae.Code),
			slog.String("method", c.Request().Method),
			slog.String("path", c.Request().URL.Path),
			slog.Bool("committed", committed),
			slog.Any("err", err),
		}
		var pe *panicError
		if errors.As(err, &pe) {
			attrs = append(attrs, slog.String("stack", string(pe.stack)))
		}
		s.log.LogAttrs(c.Request().Context(), slog.LevelError, "request failed", attrs...)
	}
	if committed {
		return
	}

	var werr error
	switch {
	case c.Request().Method == http.MethodHead:
		werr = c.NoContent(status)
	case wantsHTML(c) && isConsolePath(c.Request().URL.Path):
		werr = respond.Render(c, status, web.AdminErrorPage(status, http.StatusText(status), ae.Text()))
	case wantsHTML(c):
		werr = respond.Render(c, status, web.ErrorPage(s.form.brand, status, ae.Text()))
	default:
		werr = c.JSON(status, respond.ErrorResponse{Error: respond.ErrorBody{Code: ae.Code, Message: ae.Text(), Field: ae.Field}})
	}
	if werr != nil {
		s.log.Error("writing error response", slog.Any("err", werr))
		if !c.Response().Committed {
			_ = c.String(status, ae.Text())
		}
	}
}

// isConsolePath reports whether path is a page of the admin console.
func isConsolePath(path string) bool {
	return path == admin.Prefix || strings.HasPrefix(path, admin.Prefix+"/")
}

// wantsHTML reports whether an error should be answered as a page: never
// under /api/, otherwise when the Accept header names HTML.
func wantsHTML(c echo.Context) bool {
	if strings.HasPrefix(c.Request().URL.Path, "/api/") {
		return false
	}
	accept := c.Request().Header.Get(echo.HeaderAccept)
	return strings.Contains(accept, echo.MIMETextHTML) || strings.Contains(accept, "application/xhtml+xml")
}
