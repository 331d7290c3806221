package handlers

import (
	"fmt"
	"log/slog"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/tollgate/tollgate/handlers/respond"
)

// registerMiddleware installs, outermost first: the request log, panic
// recovery and security headers. The Content-Security-Policy allows the
// pages' own stylesheets and icon, and the logo's origin; the form's routes
// relax its frame-ancestors (formPageHeaders).
func (s *server) registerMiddleware(e *echo.Echo) {
	e.Use(middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		HandleError:     true,
		LogMethod:       true,
		LogURIPath:      true,
		LogRoutePath:    true,
		LogStatus:       true,
		LogLatency:      true,
		LogRemoteIP:     true,
		LogResponseSize: true,
		LogValuesFunc:   s.logRequest,
	}))
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisableErrorHandler: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			return &respond.Error{Code: respond.CodeInternal, Err: &panicError{value: err, stack: stack}}
		},
	}))
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		ContentSecurityPolicy: s.form.policies.pageCSP,
		ReferrerPolicy:        "no-referrer",
	}))
}

// logRequest writes one line per request. It logs the path, never the
// query string or body, so no phone number reaches it.
func (s *server) logRequest(c echo.Context, v middleware.RequestLoggerValues) error {
	s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "request",
		slog.String("method", v.Method),
		slog.String("path", v.URIPath),
		slog.String("route", v.RoutePath),
		slog.Int("status", v.Status),
		slog.Duration("latency", v.Latency),
		slog.String("ip", v.RemoteIP),
		slog.Int64("bytes", v.ResponseSize),
	)
	if s.ObserveRequest != nil {
		route := v.RoutePath
		if !s.routes[route] {
			route = ""
		}
		s.ObserveRequest(v.Method, route, v.Status, v.Latency)
	}
	return nil
}

// panicError is a recovered panic with the stack where it happened.
type panicError struct {
	value error
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

func (e *panicError) Unwrap() error { return e.value }
