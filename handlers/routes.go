package handlers

import (
	"net/http"
	"strings"

	"github.com/tollgate/tollgate/handlers/ivr"
	"github.com/tollgate/tollgate/handlers/respond"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/static"
)

// registerRoutes lists every route the server answers.
func (s *server) registerRoutes(e *echo.Echo, iv *ivr.Handlers) {
	// Liveness: the process is up.
	e.GET("/healthz", s.handleHealthz)
	// Readiness: the backing services answer within a second.
	e.GET("/readyz", s.handleReadyz)
	// The public callback form; the configured sites may frame it.
	e.GET("/", s.handleFormShow, s.formPageHeaders)
	// The callback form's submission; answers with an outcome page.
	e.POST("/", s.handleFormSubmit, s.formPageHeaders, respond.LimitBody())
	// The branding's colours, at a content-hashed path.
	e.Match([]string{http.MethodGet, http.MethodHead}, s.form.brandPath, s.handleBrandStylesheet)
	// The JSON callback API, callable from the browsers of the configured
	// origins, by whom the access mode admits; OPTIONS answers their CORS
	// preflight. The off mode leaves both out: 404.
	if s.api.mode != APIOff {
		cors := s.cors()
		e.POST("/api/v1/callbacks", s.handleCallbackCreate, cors, respond.LimitBody(), s.requireAPIAccess)
		e.OPTIONS("/api/v1/callbacks", handleNoContent, cors)
	}
	// A telephony flow reports that a call ended, with the flow API key.
	e.POST("/api/v1/calls/:id/end", iv.HandleCallEnd, iv.RequireFlowKey, respond.LimitBody())
	// Twilio asks what an answered callback hears, signed with the auth
	// token; a replay is answered as before.
	e.POST(dispatch.TwilioOutboundPath, iv.HandleTwilioOutbound, respond.LimitBody(), iv.RequireTwilioSignature, iv.TwilioOnce)
	// Twilio's voice webhook for an inbound call, and the digits its
	// caller keyed; both signed, a replay answered as before.
	e.POST(ivr.TwilioVoicePath, iv.HandleTwilioVoice, respond.LimitBody(), iv.RequireTwilioSignature, iv.TwilioOnce)
	e.POST(ivr.TwilioVerifyPath, iv.HandleTwilioVerify, respond.LimitBody(), iv.RequireTwilioSignature, iv.TwilioOnce)
	// An Amazon Connect flow's event, forwarded and signed by the bridge;
	// a replay within the clock skew is answered as before.
	e.POST("/flows/connect", iv.HandleConnect, respond.LimitBody())
	// The importable Amazon Connect flows, filled in, with the flow API key.
	e.GET("/flows/connect/contact-flows/:name", iv.HandleContactFlowDownload, iv.RequireFlowKey)
	// Twilio reports the end of a placed call, signed with the auth token.
	e.POST(dispatch.TwilioStatusPath, iv.HandleTwilioStatus, respond.LimitBody(), iv.RequireTwilioSignature)
	// A telephony flow screens a caller and gets a code; then verifies the
	// digits keyed. Both need the flow API key.
	e.POST("/api/v1/challenges", iv.HandleChallengeCreate, iv.RequireFlowKey, respond.LimitBody())
	e.POST("/api/v1/challenges/:id/verify", iv.HandleChallengeVerify, iv.RequireFlowKey, respond.LimitBody())
	// A day's IVR outcomes per flow, with the flow API key.
	e.GET("/api/v1/challenges/stats", iv.HandleChallengeStats, iv.RequireFlowKey)
	// The OpenAPI document of the public API.
	e.GET("/api/v1/openapi.json", handleOpenAPI)
	// Stylesheet and icons, content-hashed and cached; HEAD too, as the
	// static handler answers it.
	e.Match([]string{http.MethodGet, http.MethodHead}, static.Prefix+"*", handleStatic(static.Handler()))
}

// cors lets the configured origins call an API route from a browser, with
// a JSON body and an API key. Without origins, it sends no CORS headers:
// same origin only.
func (s *server) cors() echo.MiddlewareFunc {
	if len(s.CORSOrigins) == 0 {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	return middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins: s.CORSOrigins,
		AllowMethods: []string{http.MethodPost},
		AllowHeaders: []string{echo.HeaderContentType, echo.HeaderAuthorization},
		MaxAge:       600,
	})
}

// handleNoContent answers 204, e.g. a preflight from an origin not allowed.
func handleNoContent(c echo.Context) error { return c.NoContent(http.StatusNoContent) }

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
