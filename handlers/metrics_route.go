package handlers

import (
	"crypto/subtle"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/respond"
)

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
