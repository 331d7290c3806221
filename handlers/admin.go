package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tollgate/tollgate/handlers/respond"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/audit"
	"github.com/tollgate/tollgate/handlers/auth"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/spike"
	"github.com/tollgate/tollgate/web"
)

// Console is what the admin console and its JSON API need.
type Console struct {
	// Users keeps the admin users and API tokens. Required.
	Users *auth.Store
	// Audit records every change. Required.
	Audit *audit.Log
	// Sessions stores the console's sessions, e.g. auth.NewSessionStore.
	// Required.
	Sessions scs.Store
	// Engine is the risk engine whose budget the console shows. Required.
	Engine *risk.Engine
	// Settings are the settings the console edits, e.g.
	// Engine.SettingsStore(). Required.
	Settings *risk.SettingsStore
	// Lists are the deny and allow lists the console edits, e.g.
	// Engine.ListStore(). Required.
	Lists *risk.ListStore
	// Queue is the call queue the console shows: calls, dead letters.
	// Required.
	Queue *dispatch.Queue
	// Decisions is the decision log the console shows and labels, e.g.
	// Queue.DecisionLog(). Required.
	Decisions *dispatch.DecisionLog
	// Challenges feeds the IVR report; nil leaves it empty.
	Challenges *contactflows.Challenges
	// Alerts are the spike alerts the dashboard shows and lifts; nil
	// shows none.
	Alerts *spike.Store
	// InsecureCookies drops the Secure attribute of the console's
	// cookies, for plain-HTTP development only.
	InsecureCookies bool
	// IdleTimeout ends a session unused this long; zero means 30 minutes.
	IdleTimeout time.Duration
	// Lifetime ends any session this long after sign-in; zero means 12 hours.
	Lifetime time.Duration
}

// adminCSP is the console's Content-Security-Policy: its own stylesheet,
// script and images only, no inline code, no framing, forms posting home.
const adminCSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Paths of the console's entry points.
const (
	adminPrefix     = "/admin"
	adminSignInPath = adminPrefix + "/sign-in"
	adminSignOut    = adminPrefix + "/sign-out"
	adminHome       = adminPrefix + "/dashboard"
	adminAPIPrefix  = "/api/v1/admin"
)

// Context keys of the console.
const (
	actorKey = "tollgate.admin_actor"
	csrfKey  = "csrf"
)

// actor is who makes an admin request: a signed-in user or an API token.
type actor struct {
	// Name is the user name, or "token:<id>" for a token.
	Name string
	// Role is what it may do.
	Role auth.Role
	// User is the signed-in user, or the user who created the token.
	User string
	// Token is the token that authenticated the request; nil for a
	// console session.
	Token *auth.Token
}

// actorOf returns the request's actor; the zero actor before authentication.
func actorOf(c echo.Context) actor {
	a, _ := c.Get(actorKey).(actor)
	return a
}

// adminConsole holds the console's parts built once from Console.
type adminConsole struct {
	Console
	sessions *scs.SessionManager
}

func newAdminConsole(c *Console) *adminConsole {
	if c == nil {
		return nil
	}
	if c.Users == nil || c.Audit == nil || c.Sessions == nil || c.Engine == nil || c.Settings == nil || c.Lists == nil || c.Queue == nil || c.Decisions == nil {
		panic("handlers: Console.Users, Audit, Sessions, Engine, Settings, Lists, Queue and Decisions are required")
	}
	sm := scs.New()
	sm.Store = c.Sessions
	sm.IdleTimeout = c.IdleTimeout
	if sm.IdleTimeout <= 0 {
		sm.IdleTimeout = 30 * time.Minute
	}
	sm.Lifetime = c.Lifetime
	if sm.Lifetime <= 0 {
		sm.Lifetime = 12 * time.Hour
	}
	sm.Cookie.Name = "tollgate_admin"
	sm.Cookie.Path = adminPrefix
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteStrictMode
	sm.Cookie.Secure = !c.InsecureCookies
	return &adminConsole{Console: *c, sessions: sm}
}

// registerAdminRoutes lists the console's pages and its JSON API. Safe
// methods need a viewer, every other method an admin (authorize); the
// sign-in pages need nobody.
func (s *server) registerAdminRoutes(e *echo.Echo) {
	if s.console == nil {
		return
	}
	g := e.Group(adminPrefix, s.adminHeaders, consoleBodyLimit(), s.adminSessions, s.adminCSRF)
	// The sign-in form, and its submission.
	g.GET("/sign-in", s.handleSignInShow)
	g.POST("/sign-in", s.handleSignIn, respond.LimitBody())
	// Signs the session out.
	g.POST("/sign-out", s.handleSignOut, s.requireUser)

	pages := g.Group("", s.requireUser, s.authorize)
	// The console's home.
	pages.GET("", handleRedirect(adminHome))
	pages.GET("/", handleRedirect(adminHome))
	// Users: list, create, change role or password, unlock, delete.
	pages.GET("/users", s.handleUsersShow)
	pages.POST("/users", s.handleUserCreate, respond.LimitBody())
	pages.POST("/users/:name/role", s.handleUserRole, respond.LimitBody())
	pages.POST("/users/:name/password", s.handleUserPassword, respond.LimitBody())
	pages.POST("/users/:name/unlock", s.handleUserUnlock, respond.LimitBody())
	pages.POST("/users/:name/delete", s.handleUserDelete, respond.LimitBody())
	// API tokens: list, create (the secret is shown once), revoke.
	pages.GET("/tokens", s.handleTokensShow)
	pages.POST("/tokens", s.handleTokenCreate, respond.LimitBody())
	pages.POST("/tokens/:id/revoke", s.handleTokenRevoke, respond.LimitBody())

	api := e.Group(adminAPIPrefix, s.requireToken, s.authorize)
	// Who the token is.
	api.GET("/whoami", s.handleAPIWhoami)
	// Users, read-only.
	api.GET("/users", s.handleAPIUsers)
	// API tokens: list, create (the secret is in the answer, once), revoke.
	api.GET("/tokens", s.handleAPITokens)
	api.POST("/tokens", s.handleAPITokenCreate)
	api.DELETE("/tokens/:id", s.handleAPITokenRevoke)

	s.registerListRoutes(pages, api)
	s.registerSettingsRoutes(pages, api)
	s.registerDecisionRoutes(pages, api)
	s.registerDashboardRoutes(pages, api)
	s.registerAlertRoutes(pages, api)
}

// handleRedirect answers with a redirect to path.
func handleRedirect(path string) echo.HandlerFunc {
	return func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, path) }
}

// consoleBodyLimit caps console request bodies before anything reads
// them (the CSRF check parses forms): importBodyLimit for a list import,
// respond.BodyLimit for everything else.
func consoleBodyLimit() echo.MiddlewareFunc {
	small, big := respond.LimitBody(), limitImport()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		limited, imports := small(next), big(next)
		return func(c echo.Context) error {
			if c.Path() == adminPrefix+"/lists/:list/import" {
				return imports(c)
			}
			return limited(c)
		}
	}
}

// adminHeaders sets the console's security headers and keeps its pages
// out of caches.
func (s *server) adminHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set(echo.HeaderContentSecurityPolicy, adminCSP)
		h.Set(echo.HeaderXFrameOptions, "DENY")
		h.Set("Cache-Control", "no-store")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if !s.console.InsecureCookies {
			h.Set(echo.HeaderStrictTransportSecurity, "max-age=31536000")
		}
		return next(c)
	}
}

// adminSessions loads the console session before the handler and commits
// it, with its cookie, before the response is written.
func (s *server) adminSessions(next echo.HandlerFunc) echo.HandlerFunc {
	sm := s.console.sessions
	return func(c echo.Context) error {
		r := c.Request()
		var token string
		if ck, err := r.Cookie(sm.Cookie.Name); err == nil {
			token = ck.Value
		}
		ctx, err := sm.Load(r.Context(), token)
		if err != nil {
			return respond.Failed(err)
		}
		c.SetRequest(r.WithContext(ctx))
		c.Response().Header().Add(echo.HeaderVary, echo.HeaderCookie)
		c.Response().Before(func() { s.commitSession(ctx, c.Response()) })
		return next(c)
	}
}

// commitSession saves a changed session and writes its cookie.
func (s *server) commitSession(ctx context.Context, w http.ResponseWriter) {
	sm := s.console.sessions
	switch sm.Status(ctx) {
	case scs.Modified:
		token, expiry, err := sm.Commit(ctx)
		if err != nil {
			s.log.Error("admin session not saved", slog.Any("err", err))
			return
		}
		sm.WriteSessionCookie(ctx, w, token, expiry)
	case scs.Destroyed:
		sm.WriteSessionCookie(ctx, w, "", time.Time{})
	}
}

// Session keys: the signed-in user's name, and its stamp at sign-in.
const (
	sessionUserKey  = "user"
	sessionStampKey = "stamp"
)

// requireUser lets signed-in users through with their current role; others
// are sent to the sign-in page (pages) or refused (other methods). A
// session of a deleted user, or from before a password change, has ended.
func (s *server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		name := s.console.sessions.GetString(ctx, sessionUserKey)
		if name == "" {
			return s.needSignIn(c)
		}
		u, err := s.console.Users.User(ctx, name)
		if err != nil {
			if err == auth.ErrNoUser {
				_ = s.console.sessions.Destroy(ctx)
				return s.needSignIn(c)
			}
			return respond.Failed(err)
		}
		if u.Stamp != s.console.sessions.GetString(ctx, sessionStampKey) {
			// The password changed since this session signed in.
			_ = s.console.sessions.Destroy(ctx)
			return s.needSignIn(c)
		}
		c.Set(actorKey, actor{Name: u.Name, Role: u.Role, User: u.Name})
		return next(c)
	}
}

// needSignIn sends a page request to the sign-in form, coming back after.
func (s *server) needSignIn(c echo.Context) error {
	r := c.Request()
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return c.Redirect(http.StatusSeeOther, adminSignInPath+"?next="+url.QueryEscape(r.URL.RequestURI()))
	}
	return &respond.Error{Code: respond.CodeUnauthorized, Message: "Your session ended. Sign in again."}
}

// authorize lets viewers read and only admins change: every method but
// GET and HEAD needs the admin role.
func (s *server) authorize(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		m := c.Request().Method
		if m != http.MethodGet && m != http.MethodHead && !actorOf(c).Role.CanEdit() {
			return &respond.Error{Code: respond.CodeForbidden, Message: "Your role can read but not change this. Ask an admin."}
		}
		return next(c)
	}
}

// requireToken authenticates the JSON API's bearer tokens.
func (s *server) requireToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		secret, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
		if !ok {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="tollgate-admin"`)
			return &respond.Error{Code: respond.CodeUnauthorized, Message: "An admin API token is required: send Authorization: Bearer <token>. Admins create tokens in the console under API tokens."}
		}
		t, err := s.console.Users.VerifyToken(c.Request().Context(), strings.TrimSpace(secret))
		if err == auth.ErrNoToken {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="tollgate-admin", error="invalid_token"`)
			return &respond.Error{Code: respond.CodeUnauthorized, Message: "The API token is unknown, revoked or expired, or its creator was removed or changed password."}
		}
		if err != nil {
			return respond.Failed(err)
		}
		c.Set(actorKey, actor{Name: "token:" + t.ID, Role: t.Role, User: t.CreatedBy, Token: &t})
		return next(c)
	}
}

// record writes an audit entry for a change the request made. A failure is
// logged: the change itself is done and stays.
func (s *server) record(c echo.Context, action, target string, before, after any) {
	err := s.console.Audit.Record(c.Request().Context(), actorOf(c).Name, respond.ClientIP(c).String(), action, target, before, after)
	if err != nil {
		s.log.Error("audit entry not written", slog.String("action", action), slog.String("target", target), slog.Any("err", err))
	}
}

// refusal shows a refused change as a message on the page at path; a
// store failure is a 503.
func (s *server) refusal(c echo.Context, path string, err error) error {
	if !auth.IsRefusal(err) {
		return respond.Failed(err)
	}
	return s.redirectBack(c, path, flashError, err.Error())
}

// Flash message kinds.
const (
	flashOK    = "ok"
	flashError = "error"
)

// flash keeps a message for the next page the user sees.
func (s *server) flash(c echo.Context, kind, msg string) {
	s.console.sessions.Put(c.Request().Context(), "flash", kind+":"+msg)
}

// frame is what every console page shows around its content.
func (s *server) frame(c echo.Context, section string) web.AdminFrame {
	ctx := c.Request().Context()
	a := actorOf(c)
	f := web.AdminFrame{User: a.Name, Role: string(a.Role), CanEdit: a.Role.CanEdit(), Section: section}
	f.CSRF, _ = c.Get(csrfKey).(string)
	if fl := s.console.sessions.PopString(ctx, "flash"); fl != "" {
		f.FlashKind, f.Flash, _ = strings.Cut(fl, ":")
	}
	return f
}

// redirectBack answers a console form with a redirect to path, carrying a
// flash message.
func (s *server) redirectBack(c echo.Context, path, kind, msg string) error {
	s.flash(c, kind, msg)
	return c.Redirect(http.StatusSeeOther, path)
}
