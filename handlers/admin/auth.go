package admin

import (
	"errors"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/web"
)

// HandleSignInShow shows the sign-in form, or goes home when signed in.
func (s *Handlers) HandleSignInShow(c echo.Context) error {
	if s.sessions.GetString(c.Request().Context(), sessionUserKey) != "" {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	return s.renderSignIn(c, http.StatusOK, web.SignInModel{Next: safeNext(c.QueryParam("next"))})
}

func (s *Handlers) renderSignIn(c echo.Context, status int, m web.SignInModel) error {
	m.CSRF, _ = c.Get(csrfKey).(string)
	return respond.Render(c, status, web.SignInPage(m))
}

// HandleSignIn checks the credentials, then starts a fresh session: the
// token is rotated so a session fixed before sign-in is worthless.
func (s *Handlers) HandleSignIn(c echo.Context) error {
	ctx := c.Request().Context()
	name := strings.ToLower(strings.TrimSpace(c.FormValue("name")))
	m := web.SignInModel{Name: name, Next: safeNext(c.FormValue("next"))}
	u, err := s.Users.Authenticate(ctx, name, c.FormValue("password"), respond.ClientIP(c).String())
	switch {
	case err == nil:
	case errors.Is(err, auth.ErrBadCredentials), errors.Is(err, auth.ErrLocked), errors.Is(err, auth.ErrThrottled), errors.Is(err, auth.ErrBusy):
		s.log.Warn("admin sign-in refused", slog.String("user", name), slog.String("ip", respond.ClientIP(c).String()), slog.String("why", err.Error()))
		if err == auth.ErrLockedNow {
			c.Set(actorKey, actor{Name: name})
			s.record(c, "user.locked", "user "+name, nil, nil)
		}
		// A locked account reads as a wrong password: neither says whether
		// the user exists. An address over its limit, or a sign-in that
		// found every password hash slot taken, is told to come back.
		status := http.StatusUnauthorized
		m.Error = auth.ErrBadCredentials.Error()
		if wait := s.Users.RetryAfter(err); wait > 0 {
			m.Error, status = err.Error(), http.StatusTooManyRequests
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Round(time.Second)/time.Second)))
		}
		return s.renderSignIn(c, status, m)
	default:
		return respond.Failed(err)
	}
	if err := s.sessions.RenewToken(ctx); err != nil {
		return respond.Failed(err)
	}
	// The signed-in session gets a CSRF secret of its own on its next page.
	s.sessions.Remove(ctx, sessionCSRFKey)
	s.sessions.Put(ctx, sessionUserKey, u.Name)
	s.sessions.Put(ctx, sessionStampKey, u.Stamp)
	c.Set(actorKey, actor{Name: u.Name, Role: u.Role})
	s.record(c, "user.sign_in", "user "+u.Name, nil, nil)
	return c.Redirect(http.StatusSeeOther, m.Next)
}

// HandleSignOut ends the session.
func (s *Handlers) HandleSignOut(c echo.Context) error {
	if err := s.sessions.Destroy(c.Request().Context()); err != nil {
		return respond.Failed(err)
	}
	return c.Redirect(http.StatusSeeOther, SignInPath)
}

// safeNext keeps a post-sign-in destination inside the console; anything
// else, another host included, goes home.
func safeNext(next string) string {
	if p, _, _ := strings.Cut(next, "?"); path.Clean(p) != p && path.Clean(p)+"/" != p {
		return Home
	}
	if strings.HasPrefix(next, Prefix+"/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") &&
		!strings.HasPrefix(next, SignInPath) {
		return next
	}
	return Home
}
