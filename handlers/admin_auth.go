package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate/tollgate/handlers/respond"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/auth"
	"github.com/tollgate/tollgate/web"
)

// handleSignInShow shows the sign-in form, or goes home when signed in.
func (s *server) handleSignInShow(c echo.Context) error {
	if s.console.sessions.GetString(c.Request().Context(), sessionUserKey) != "" {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	return s.renderSignIn(c, http.StatusOK, web.SignInModel{Next: safeNext(c.QueryParam("next"))})
}

func (s *server) renderSignIn(c echo.Context, status int, m web.SignInModel) error {
	m.CSRF, _ = c.Get(csrfKey).(string)
	return respond.Render(c, status, web.SignInPage(m))
}

// handleSignIn checks the credentials, then starts a fresh session: the
// token is rotated so a session fixed before sign-in is worthless.
func (s *server) handleSignIn(c echo.Context) error {
	ctx := c.Request().Context()
	name := strings.ToLower(strings.TrimSpace(c.FormValue("name")))
	m := web.SignInModel{Name: name, Next: safeNext(c.FormValue("next"))}
	u, err := s.console.Users.Authenticate(ctx, name, c.FormValue("password"), respond.ClientIP(c).String())
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
		if wait := s.console.Users.RetryAfter(err); wait > 0 {
			m.Error, status = err.Error(), http.StatusTooManyRequests
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Round(time.Second)/time.Second)))
		}
		return s.renderSignIn(c, status, m)
	default:
		return respond.Failed(err)
	}
	if err := s.console.sessions.RenewToken(ctx); err != nil {
		return respond.Failed(err)
	}
	// The signed-in session gets a CSRF secret of its own on its next page.
	s.console.sessions.Remove(ctx, sessionCSRFKey)
	s.console.sessions.Put(ctx, sessionUserKey, u.Name)
	s.console.sessions.Put(ctx, sessionStampKey, u.Stamp)
	c.Set(actorKey, actor{Name: u.Name, Role: u.Role})
	s.record(c, "user.sign_in", "user "+u.Name, nil, nil)
	return c.Redirect(http.StatusSeeOther, m.Next)
}

// handleSignOut ends the session.
func (s *server) handleSignOut(c echo.Context) error {
	if err := s.console.sessions.Destroy(c.Request().Context()); err != nil {
		return respond.Failed(err)
	}
	return c.Redirect(http.StatusSeeOther, adminSignInPath)
}

// safeNext keeps a post-sign-in destination inside the console; anything
// else, another host included, goes home.
func safeNext(next string) string {
	if p, _, _ := strings.Cut(next, "?"); path.Clean(p) != p && path.Clean(p)+"/" != p {
		return adminHome
	}
	if strings.HasPrefix(next, adminPrefix+"/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") &&
		!strings.HasPrefix(next, adminSignInPath) {
		return next
	}
	return adminHome
}
