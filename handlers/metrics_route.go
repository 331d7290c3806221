package handlers

import (
	"crypto/subtle"
	"strings"

	"github.com/tollgate/tollgate/handlers/respond"

	"github.com/labstack/echo/v4"
)

// registerMetricsRoute serves the Prometheus metrics on the main server,
// behind a bearer token, when both are configured.
func (s *server) registerMetricsRoute(e *echo.Echo) {
	if s.Metrics == nil || s.MetricsToken == "" {
		return
	}
	// Prometheus scrapes with the token as its bearer_token.
	e.GET("/metrics", echo.WrapHandler(s.Metrics), s.requireMetricsToken)
}

// requireMetricsToken lets through requests bearing the metrics token.
func (s *server) requireMetricsToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.MetricsToken)) != 1 {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="tollgate-metrics"`)
			return &respond.Error{Code: respond.CodeUnauthorized}
		}
		return next(c)
	}
}
