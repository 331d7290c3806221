package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/ivr"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/static"
)

// registerRoutes lists every route the server answers: the public form and
// callback API, the telephony surface iv (handlers/ivr), and the console ad
// (handlers/admin, in registerAdminRoutes below) unless it is nil.
func (s *server) registerRoutes(e *echo.Echo, iv *ivr.Handlers, ad *admin.Handlers) {
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
	// Prometheus's metrics, with the metrics token as the bearer token,
	// when both are configured.
	if s.Metrics != nil && s.MetricsToken != "" {
		e.GET("/metrics", echo.WrapHandler(s.Metrics), s.requireMetricsToken)
	}
	if ad != nil {
		registerAdminRoutes(e, ad)
	}
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

// registerAdminRoutes lists the console's pages and its JSON API
// (handlers/admin). Safe methods need a viewer, every other method an admin
// (Authorize); the sign-in pages need nobody.
func registerAdminRoutes(e *echo.Echo, ad *admin.Handlers) {
	g := e.Group(admin.Prefix, ad.Headers, admin.BodyLimit(), ad.LoadSession, ad.CheckCSRF)
	// The sign-in form, and its submission.
	g.GET("/sign-in", ad.HandleSignInShow)
	g.POST("/sign-in", ad.HandleSignIn, respond.LimitBody())
	// Signs the session out.
	g.POST("/sign-out", ad.HandleSignOut, ad.RequireUser)

	pages := g.Group("", ad.RequireUser, ad.Authorize)
	// The console's home.
	pages.GET("", admin.HandleRedirect(admin.Home))
	pages.GET("/", admin.HandleRedirect(admin.Home))
	// Users: list, create, change role or password, unlock, delete.
	pages.GET("/users", ad.HandleUsersShow)
	pages.POST("/users", ad.HandleUserCreate, respond.LimitBody())
	pages.POST("/users/:name/role", ad.HandleUserRole, respond.LimitBody())
	pages.POST("/users/:name/password", ad.HandleUserPassword, respond.LimitBody())
	pages.POST("/users/:name/unlock", ad.HandleUserUnlock, respond.LimitBody())
	pages.POST("/users/:name/delete", ad.HandleUserDelete, respond.LimitBody())
	// API tokens: list, create (the secret is shown once), revoke.
	pages.GET("/tokens", ad.HandleTokensShow)
	pages.POST("/tokens", ad.HandleTokenCreate, respond.LimitBody())
	pages.POST("/tokens/:id/revoke", ad.HandleTokenRevoke, respond.LimitBody())

	api := e.Group(admin.APIPrefix, ad.RequireToken, ad.Authorize)
	// Who the token is.
	api.GET("/whoami", ad.HandleAPIWhoami)
	// Users, read-only.
	api.GET("/users", ad.HandleAPIUsers)
	// API tokens: list, create (the secret is in the answer, once), revoke.
	api.GET("/tokens", ad.HandleAPITokens)
	api.POST("/tokens", ad.HandleAPITokenCreate)
	api.DELETE("/tokens/:id", ad.HandleAPITokenRevoke)

	// The deny and allow list editors, import and export: the pages, then their JSON twins.
	importLimit := admin.LimitImport()
	// The lists: the first list.
	pages.GET("/lists", admin.HandleRedirect(admin.ListPath(risk.Lists()[0])))
	// One list: tabs, filters, a page of entries.
	pages.GET("/lists/:list", ad.HandleListShow)
	// Adds or replaces an entry.
	pages.POST("/lists/:list/entries", ad.HandleListAdd, respond.LimitBody())
	// Asks before removing the entry ?value= names: a form that posts to the route below.
	pages.GET("/lists/:list/remove", ad.HandleListRemoveConfirm)
	// Removes the entry whose value is in the form.
	pages.POST("/lists/:list/remove", ad.HandleListRemove, respond.LimitBody())
	// The import form: a CSV file or pasted values.
	pages.GET("/lists/:list/import", ad.HandleListImportShow)
	// Checks every line, then adds them all or nothing; shows the report.
	pages.POST("/lists/:list/import", ad.HandleListImport, importLimit)
	// The whole list as CSV.
	pages.GET("/lists/:list/export.csv", ad.HandleListExport)

	// Every list with its size.
	api.GET("/lists", ad.HandleAPILists)
	// A page of one list, with the page's query parameters.
	api.GET("/lists/:list", ad.HandleAPIList)
	// Adds entries from JSON, all or nothing.
	api.POST("/lists/:list/entries", ad.HandleAPIListAdd, importLimit)
	// Removes the entry ?value=.
	api.DELETE("/lists/:list/entries", ad.HandleAPIListRemove)
	// Imports a text/csv body, all or nothing, answering the report.
	api.POST("/lists/:list/import", ad.HandleAPIListImport, importLimit)
	// The whole list as CSV.
	api.GET("/lists/:list/export.csv", ad.HandleListExport)

	// The country policy and risk settings editors: the pages, then their JSON twins.
	// The risk settings editor.
	pages.GET("/settings", ad.HandleSettingsShow)
	// Saves every risk setting at once, or shows every problem.
	pages.POST("/settings", ad.HandleSettingsSave, respond.LimitBody())
	// Replays the last 24 hours with the form's settings, saving nothing.
	pages.POST("/settings/try", ad.HandleSettingsTry, respond.LimitBody())
	// The settings in force as a JSON download.
	pages.GET("/settings.json", ad.HandleSettingsDownload)
	// The country policy editor and its resolve tool (?flow=&country=).
	pages.GET("/policy", ad.HandlePolicyShow)
	// Sets the account's default mode.
	pages.POST("/policy/account/default", ad.HandlePolicyDefault, respond.LimitBody())
	// Adds or changes an account country rule.
	pages.POST("/policy/account/countries", ad.HandlePolicyRuleSet, respond.LimitBody())
	// Replays the last 24 hours with that rule added or changed, saving nothing.
	pages.POST("/policy/account/countries/try", ad.HandlePolicyRuleTry, respond.LimitBody())
	// Removes an account country rule.
	pages.POST("/policy/account/countries/:cc/delete", ad.HandlePolicyRuleDelete, respond.LimitBody())
	// Adds a flow policy.
	pages.POST("/policy/flows", ad.HandlePolicyFlowAdd, respond.LimitBody())
	// Sets a flow's default mode, or makes it defer to the account.
	pages.POST("/policy/flows/:flow/default", ad.HandlePolicyDefault, respond.LimitBody())
	// Removes a flow policy.
	pages.POST("/policy/flows/:flow/delete", ad.HandlePolicyFlowDelete, respond.LimitBody())
	// Adds or changes a flow's country rule.
	pages.POST("/policy/flows/:flow/countries", ad.HandlePolicyRuleSet, respond.LimitBody())
	// Replays the last 24 hours with that flow rule added or changed, saving nothing.
	pages.POST("/policy/flows/:flow/countries/try", ad.HandlePolicyRuleTry, respond.LimitBody())
	// Removes a flow's country rule.
	pages.POST("/policy/flows/:flow/countries/:cc/delete", ad.HandlePolicyRuleDelete, respond.LimitBody())

	// Every reason code: its name, description, default weight and effect.
	api.GET("/reasons", admin.HandleAPIReasons)
	// The whole settings in force.
	api.GET("/settings", ad.HandleAPISettings)
	// Replaces the whole settings; 422 lists every problem.
	api.PUT("/settings", ad.HandleAPISettingsPut, respond.LimitBody())
	// The account and flow country policies.
	api.GET("/policy", ad.HandleAPIPolicy)
	// Replaces the account and flow country policies; 422 lists every problem.
	api.PUT("/policy", ad.HandleAPIPolicyPut, respond.LimitBody())
	// Resolves the mode of a flow and country (?flow=&country=).
	api.GET("/policy/resolve", ad.HandleAPIPolicyResolve)
	// Replays a period's decisions with a draft of the settings and the policy.
	api.POST("/backtest", ad.HandleAPIBacktest, respond.LimitBody())

	// The decision log, marking spam or legit, the callback queue and the IVR report: the pages, then their JSON twins.
	// The decision log, filtered and paged.
	pages.GET("/decisions", ad.HandleDecisionsShow)
	// One decision, with the Mark spam and Mark legit forms.
	pages.GET("/decisions/:id", ad.HandleDecisionShow)
	// Mark a decision spam: deny its number, prefix or IP.
	pages.POST("/decisions/:id/spam", ad.HandleMarkSpam, respond.LimitBody())
	// Mark a decision legit: allow its number or IP.
	pages.POST("/decisions/:id/legit", ad.HandleMarkLegit, respond.LimitBody())
	// The callback queue: counts, recent calls, dead letters.
	pages.GET("/calls", ad.HandleCallsShow)
	// Queue a dead letter's call again.
	pages.POST("/calls/dead/:id/retry", ad.HandleDeadRetry, respond.LimitBody())
	// Delete a dead letter.
	pages.POST("/calls/dead/:id/discard", ad.HandleDeadDiscard, respond.LimitBody())
	// The IVR report.
	pages.GET("/ivr", ad.HandleIVRShow)

	// The decision log as JSON, same filters as the page, with a cursor.
	api.GET("/decisions", ad.HandleAPIDecisions)
	// One decision as JSON, with its call and label.
	api.GET("/decisions/:id", ad.HandleAPIDecision)
	// Mark a decision spam.
	api.POST("/decisions/:id/spam", ad.HandleAPIMarkSpam, respond.LimitBody())
	// Mark a decision legit.
	api.POST("/decisions/:id/legit", ad.HandleAPIMarkLegit, respond.LimitBody())
	// Queue counts, recent calls and dead letters.
	api.GET("/calls", ad.HandleAPICalls)
	// Queue a dead letter's call again.
	api.POST("/calls/dead/:id/retry", ad.HandleAPIDeadRetry, respond.LimitBody())
	// Delete a dead letter.
	api.POST("/calls/dead/:id/discard", ad.HandleAPIDeadDiscard, respond.LimitBody())
	// The IVR report, ?days=1..7.
	api.GET("/ivr", ad.HandleAPIIVR)

	// The dashboard and the audit log: the pages, then their JSON twins.
	// The dashboard: key figures, hourly and daily charts, top refused values.
	pages.GET("/dashboard", ad.HandleDashboardShow)
	// The audit log, filtered, newest first, a page at a time.
	pages.GET("/audit", ad.HandleAuditShow)
	// The audit log's matching entries as CSV.
	pages.GET("/audit/export.csv", ad.HandleAuditExport)
	// One audit entry with its before and after.
	pages.GET("/audit/:id", ad.HandleAuditEntryShow)

	// The dashboard's numbers.
	api.GET("/dashboard", ad.HandleAPIDashboard)
	// The audit log, filtered, a page at a time.
	api.GET("/audit", ad.HandleAPIAudit)
	// The audit log's matching entries as CSV.
	api.GET("/audit/export.csv", ad.HandleAuditExport)
	// One audit entry.
	api.GET("/audit/:id", ad.HandleAPIAuditEntry)
	// The console's lists the routes of the spike alerts: console pages
	// on pages, their JSON twins on api.
	// Lifts the automatic block of an alert.
	pages.POST("/alerts/:id/lift", ad.HandleAlertLift, respond.LimitBody())

	// The newest alerts (?limit=1..1000, default 50).
	api.GET("/alerts", ad.HandleAPIAlerts)
	// Lifts the automatic block of an alert.
	api.POST("/alerts/:id/lift", ad.HandleAPIAlertLift, respond.LimitBody())
}
