package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/static"
)

// registerRoutes lists every route the server answers.
func (s *server) registerRoutes(e *echo.Echo) {
	// Liveness: the process is up.
	e.GET("/healthz", s.handleHealthz)
	// Readiness: the backing services answer within a second.
	e.GET("/readyz", s.handleReadyz)
	// The public callback form; the configured sites may frame it.
	e.GET("/", s.handleFormShow, s.formPageHeaders)
	// The callback form's submission; answers with an outcome page.
	e.POST("/", s.handleFormSubmit, s.formPageHeaders, limitBody())
	// The branding's colours, at a content-hashed path.
	e.Match([]string{http.MethodGet, http.MethodHead}, s.form.brandPath, s.handleBrandStylesheet)
	// The JSON callback API.
	e.POST("/api/v1/callbacks", s.handleCallbackCreate, limitBody())
	// Stylesheet and icons, content-hashed and cached; HEAD too, as the
	// static handler answers it.
	e.Match([]string{http.MethodGet, http.MethodHead}, static.Prefix+"*", handleStatic(static.Handler()))
}

// handleStatic serves embedded assets with h, leaving unknown names to the
// error handler's 404.
func handleStatic(h http.Handler) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !static.Has(strings.TrimPrefix(c.Request().URL.Path, static.Prefix)) {
			return echo.ErrNotFound
		}
		h.ServeHTTP(c.Response(), c.Request())
		return nil
	}
}
