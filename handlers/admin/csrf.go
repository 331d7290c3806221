package admin

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/tollgate/tollgate/handlers/respond"
)

// sessionCSRFKey is the session key of the session's own random CSRF
// secret, which the console's form token is derived from.
const sessionCSRFKey = "csrf_secret"

// csrfRefused is the message of a request the CSRF check refuses.
const csrfRefused = "The form expired or came from another site. Reload the page and try again."

// CheckCSRF checks every state-changing console request. Browsers that
// send Sec-Fetch-Site are held to same-origin. Other clients must post the
// token of their own session, in the _csrf form field or the X-CSRF-Token
// header: an HMAC of a random secret kept in the server-side session, so
// a token of another session, or a cookie and field of the client's own
// choosing, is refused.
func (s *Handlers) CheckCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		safe := r.Method == http.MethodGet || r.Method == http.MethodHead ||
			r.Method == http.MethodOptions || r.Method == http.MethodTrace
		if site := r.Header.Get(echo.HeaderSecFetchSite); site != "" {
			if !safe && site != "same-origin" && site != "none" {
				return &respond.Error{Code: respond.CodeForbidden, Message: csrfRefused}
			}
			// The page's forms need no token: the browser says where
			// every later post comes from.
			c.Set(csrfKey, middleware.CSRFUsingSecFetchSite)
			return next(c)
		}
		ctx := r.Context()
		if s.sessions.GetString(ctx, sessionUserKey) == "" && s.sessionCSRFToken(ctx) == "" {
			return s.anonymousCSRF(c, safe, next)
		}
		if !safe {
			want := s.sessionCSRFToken(ctx)
			if want == "" || !(sameToken(c.FormValue("_csrf"), want) || sameToken(r.Header.Get(echo.HeaderXCSRFToken), want)) {
				return &respond.Error{Code: respond.CodeForbidden, Message: csrfRefused}
			}
		}
		token, err := s.ensureCSRFToken(ctx)
		if err != nil {
			return respond.Failed(err)
		}
		c.Set(csrfKey, token)
		return next(c)
	}
}

// presignCookie names the random cookie a visitor who is not signed in
// gets, which their form token is bound to.
const presignCookie = "tollgate_presign"

// anonymousCSRF checks a request of a visitor who is not signed in (the
// sign-in form) without writing a session: the token is bound to a random
// cookie of the visitor's and signed with the key of the public form's
// tokens, so loading console pages writes nothing to Redis. A client
// without Sec-Fetch-Site that plants its own cookie and token in a
// victim's browser can no more be stopped this way than with a session it
// started itself; browsers that send Sec-Fetch-Site are held to
// same-origin above.
func (s *Handlers) anonymousCSRF(c echo.Context, safe bool, next echo.HandlerFunc) error {
	binding := ""
	if ck, err := c.Cookie(presignCookie); err == nil && respond.ValidBinding(ck.Value) {
		binding = ck.Value
	}
	if !safe {
		issued, ok := s.Tokens.Verify("console:"+binding, c.FormValue("_csrf"))
		if binding == "" || !ok || s.now().Sub(issued) > s.TokenLifetime {
			return &respond.Error{Code: respond.CodeForbidden, Message: csrfRefused}
		}
	}
	if binding == "" {
		b := make([]byte, respond.BindingLen)
		if _, err := rand.Read(b); err != nil {
			return respond.Failed(err)
		}
		binding = base64.RawURLEncoding.EncodeToString(b)
		c.SetCookie(&http.Cookie{Name: presignCookie, Value: binding, Path: Prefix, HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: !s.InsecureCookies})
	}
	c.Set(csrfKey, s.Tokens.Issue("console:"+binding, s.now()))
	return next(c)
}

// sessionCSRFToken returns the form token of the session, or "" when the
// session has no CSRF secret yet.
func (s *Handlers) sessionCSRFToken(ctx context.Context) string {
	secret := s.sessions.GetString(ctx, sessionCSRFKey)
	if secret == "" {
		return ""
	}
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte("tollgate console form"))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// ensureCSRFToken returns the form token of the session, first giving the
// session a CSRF secret if it has none.
func (s *Handlers) ensureCSRFToken(ctx context.Context) (string, error) {
	if t := s.sessionCSRFToken(ctx); t != "" {
		return t, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	s.sessions.Put(ctx, sessionCSRFKey, base64.RawURLEncoding.EncodeToString(b))
	return s.sessionCSRFToken(ctx), nil
}

// sameToken compares a posted token with the session's in constant time.
func sameToken(got, want string) bool {
	return got != "" && hmac.Equal([]byte(got), []byte(want))
}
