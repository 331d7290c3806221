// Package admin is Tollgate's admin console and its JSON API: sign-in,
// sessions and CSRF, API tokens and roles, the deny and allow lists, the
// country policy, the risk settings, decisions and their marking, the call
// queue, the IVR report, the dashboard, alerts and the audit log. The
// users, tokens and sessions are kept by package auth beneath it, every
// change by package audit. The routes are listed in handlers/routes.go.
package admin

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin/audit"
	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/spike"
	"github.com/tollgate/tollgate/web"
)

// Deps is what the admin console and its JSON API need.
type Deps struct {
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
	// Alerts are the spike alerts the Dashboard shows and lifts; nil
	// shows none.
	Alerts *spike.Store
	// InsecureCookies drops the Secure attribute of the console's
	// cookies, for plain-HTTP development only.
	InsecureCookies bool
	// IdleTimeout ends a session unused this long; zero means 30 minutes.
	IdleTimeout time.Duration
	// Lifetime ends any session this long after sign-in; zero means 12 hours.
	Lifetime time.Duration
	// FlowKeys are the names of the callback API keys that bind each flow,
	// by flow: the policy pages say whom a loosening flow policy applies
	// to.
	FlowKeys map[string][]string
	// Tokens signs the console forms' CSRF tokens; the server gives its
	// form tokens, so every instance of a site shares the key. Nil: a
	// random key, good for this process only.
	Tokens *respond.FormTokens
	// TokenLifetime is how long a console form stays good; zero means 2
	// hours.
	TokenLifetime time.Duration
	// PublicURL is the server's public base URL, without a trailing
	// slash; the embed snippet frames the form under it. Empty: the
	// origin the console is reached at.
	PublicURL string
	// HTTPS reports whether a request reached Tollgate over HTTPS, believing
	// X-Forwarded-Proto only from the trusted proxies; nil: never.
	HTTPS func(echo.Context) bool
	// Logger receives the console's lines; nil discards.
	Logger *slog.Logger
	// Now is the console's clock; nil is time.Now.
	Now func() time.Time
}

// Handlers answers the console's pages and its JSON API; the routes are
// listed in handlers/routes.go.
type Handlers struct {
	Deps
	sessions *scs.SessionManager
	log      *slog.Logger
	now      func() time.Time
}

// CSP is the console's Content-Security-Policy: its own stylesheet,
// script and images only, no inline code, no framing, forms posting home.
const CSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Paths of the console's entry points.
const (
	// Prefix is where the console's pages are.
	Prefix      = "/admin"
	SignInPath  = Prefix + "/sign-in"
	SignOutPath = Prefix + "/sign-out"
	Home        = Prefix + "/dashboard"
	// APIPrefix is where its JSON API is.
	APIPrefix = "/api/v1/admin"
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

// New returns the console for d. It panics when a required dependency is
// missing: a wiring mistake.
func New(d Deps) *Handlers {
	if d.Users == nil || d.Audit == nil || d.Sessions == nil || d.Engine == nil || d.Settings == nil || d.Lists == nil || d.Queue == nil || d.Decisions == nil {
		panic("admin: Deps.Users, Audit, Sessions, Engine, Settings, Lists, Queue and Decisions are required")
	}
	sm := scs.New()
	sm.Store = d.Sessions
	sm.IdleTimeout, sm.Lifetime = d.IdleTimeout, d.Lifetime
	if sm.IdleTimeout <= 0 {
		sm.IdleTimeout = 30 * time.Minute
	}
	if sm.Lifetime <= 0 {
		sm.Lifetime = 12 * time.Hour
	}
	sm.Cookie.Name = "tollgate_admin"
	sm.Cookie.Path = Prefix
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteStrictMode
	sm.Cookie.Secure = !d.InsecureCookies
	if d.Tokens == nil {
		d.Tokens = respond.NewFormTokens(nil)
	}
	if d.TokenLifetime <= 0 {
		d.TokenLifetime = 2 * time.Hour
	}
	h := &Handlers{Deps: d, sessions: sm, log: d.Logger, now: d.Now}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h
}

// HandleRedirect answers with a redirect to path.
func HandleRedirect(path string) echo.HandlerFunc {
	return func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, path) }
}

// BodyLimit caps console request bodies before anything reads
// them (the CSRF check parses forms): importBodyLimit for a list import,
// respond.BodyLimit for everything else.
func BodyLimit() echo.MiddlewareFunc {
	small, big := respond.LimitBody(), LimitImport()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		limited, imports := small(next), big(next)
		return func(c echo.Context) error {
			if c.Path() == Prefix+"/lists/:list/import" {
				return imports(c)
			}
			return limited(c)
		}
	}
}

// Headers sets the console's security headers and keeps its pages
// out of caches.
func (s *Handlers) Headers(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set(echo.HeaderContentSecurityPolicy, CSP)
		h.Set(echo.HeaderXFrameOptions, "DENY")
		h.Set("Cache-Control", "no-store")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if !s.InsecureCookies {
			h.Set(echo.HeaderStrictTransportSecurity, "max-age=31536000")
		}
		return next(c)
	}
}

// LoadSession loads the console session before the handler and commits
// it, with its cookie, before the response is written.
func (s *Handlers) LoadSession(next echo.HandlerFunc) echo.HandlerFunc {
	sm := s.sessions
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
func (s *Handlers) commitSession(ctx context.Context, w http.ResponseWriter) {
	sm := s.sessions
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

// RequireUser lets signed-in users through with their current role; others
// are sent to the sign-in page (pages) or refused (other methods). A
// session of a deleted user, or from before a password change, has ended.
func (s *Handlers) RequireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		name := s.sessions.GetString(ctx, sessionUserKey)
		if name == "" {
			return s.needSignIn(c)
		}
		u, err := s.Users.User(ctx, name)
		if err != nil {
			if err == auth.ErrNoUser {
				_ = s.sessions.Destroy(ctx)
				return s.needSignIn(c)
			}
			return respond.Failed(err)
		}
		if u.Stamp != s.sessions.GetString(ctx, sessionStampKey) {
			// The password changed since this session signed in.
			_ = s.sessions.Destroy(ctx)
			return s.needSignIn(c)
		}
		c.Set(actorKey, actor{Name: u.Name, Role: u.Role, User: u.Name})
		return next(c)
	}
}

// needSignIn sends a page request to the sign-in form, coming back after.
func (s *Handlers) needSignIn(c echo.Context) error {
	r := c.Request()
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return c.Redirect(http.StatusSeeOther, SignInPath+"?next="+url.QueryEscape(r.URL.RequestURI()))
	}
	return &respond.Error{Code: respond.CodeUnauthorized, Message: "Your session ended. Sign in again."}
}

// Authorize lets viewers read and only admins change: every method but
// GET and HEAD needs the admin role.
func (s *Handlers) Authorize(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		m := c.Request().Method
		if m != http.MethodGet && m != http.MethodHead && !actorOf(c).Role.CanEdit() {
			return &respond.Error{Code: respond.CodeForbidden, Message: "Your role can read but not change this. Ask an admin."}
		}
		return next(c)
	}
}

// RequireToken authenticates the JSON API's bearer tokens.
func (s *Handlers) RequireToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		secret, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
		if !ok {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="tollgate-admin"`)
			return &respond.Error{Code: respond.CodeUnauthorized, Message: "An admin API token is required: send Authorization: Bearer <token>. Admins create tokens in the console under API tokens."}
		}
		t, err := s.Users.VerifyToken(c.Request().Context(), strings.TrimSpace(secret))
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
func (s *Handlers) record(c echo.Context, action, target string, before, after any) {
	err := s.Audit.Record(c.Request().Context(), actorOf(c).Name, respond.ClientIP(c).String(), action, target, before, after)
	if err != nil {
		s.log.Error("audit entry not written", slog.String("action", action), slog.String("target", target), slog.Any("err", err))
	}
}

// refusal shows a refused change as a message on the page at path; a
// store failure is a 503.
func (s *Handlers) refusal(c echo.Context, path string, err error) error {
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
func (s *Handlers) flash(c echo.Context, kind, msg string) {
	s.sessions.Put(c.Request().Context(), "flash", kind+":"+msg)
}

// frame is what every console page shows around its content.
func (s *Handlers) frame(c echo.Context, section string) web.AdminFrame {
	ctx := c.Request().Context()
	a := actorOf(c)
	f := web.AdminFrame{User: a.Name, Role: string(a.Role), CanEdit: a.Role.CanEdit(), Section: section}
	f.CSRF, _ = c.Get(csrfKey).(string)
	if fl := s.sessions.PopString(ctx, "flash"); fl != "" {
		f.FlashKind, f.Flash, _ = strings.Cut(fl, ":")
	}
	return f
}

// redirectBack answers a console form with a redirect to path, carrying a
// flash message.
func (s *Handlers) redirectBack(c echo.Context, path, kind, msg string) error {
	s.flash(c, kind, msg)
	return c.Redirect(http.StatusSeeOther, path)
}
