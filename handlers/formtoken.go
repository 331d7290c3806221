package handlers

import (
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/respond"
)

// Form cookie names. Over HTTPS the __Host- prefix makes browsers refuse
// the cookie unless it is Secure, for this host only and for every path,
// so a sibling subdomain cannot plant one.
const (
	formCookieSecure = "__Host-tollgate-form"
	formCookiePlain  = "tollgate-form"
)

// formCookie returns the visitor's form cookie value, when it has a
// well-formed one.
func (s *server) formCookie(c echo.Context) (string, bool) {
	ck, err := c.Cookie(s.formCookieName(c))
	if err != nil || !respond.ValidBinding(ck.Value) {
		return "", false
	}
	return ck.Value, true
}

// ensureFormCookie returns the visitor's form cookie value, setting a new
// random one when the request has none.
//
// A form framed by another site is in a cross-site context, where browsers
// send only SameSite=None cookies, and those they accept only with Secure,
// which they store only from HTTPS. So over HTTPS (TLS to Tollgate, or a
// trusted proxy's X-Forwarded-Proto: https) the cookie is SameSite=None,
// Secure and Partitioned (kept per embedding site, which browsers that
// block third-party cookies still allow). Over plain HTTP, as on a
// developer's localhost, a Secure cookie would be dropped, so it is
// SameSite=Lax: fine for the form on its own page, not inside a frame.
func (s *server) ensureFormCookie(c echo.Context) string {
	if v, ok := s.formCookie(c); ok {
		return v
	}
	b := make([]byte, respond.BindingLen)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	ck := &http.Cookie{Name: formCookiePlain, Value: v, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
	if s.isHTTPS(c) {
		ck.Name, ck.Secure, ck.SameSite, ck.Partitioned = formCookieSecure, true, http.SameSiteNoneMode, true
	}
	c.SetCookie(ck)
	return v
}

// formCookieName is the cookie's name for the request's scheme.
func (s *server) formCookieName(c echo.Context) string {
	if s.isHTTPS(c) {
		return formCookieSecure
	}
	return formCookiePlain
}

// isHTTPS reports whether the visitor reached Tollgate over HTTPS: TLS on
// this connection, or X-Forwarded-Proto: https from a trusted proxy. From
// anyone else the header is ignored, as X-Forwarded-For is.
func (s *server) isHTTPS(c echo.Context) bool {
	r := c.Request()
	if r.TLS != nil {
		return true
	}
	proto := r.Header.Get(echo.HeaderXForwardedProto)
	if proto == "" || len(s.form.trusted) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	peer = peer.Unmap()
	trusted := false
	for _, p := range s.form.trusted {
		trusted = trusted || p.Contains(peer)
	}
	// The first entry is what the proxy nearest the visitor saw.
	first, _, _ := strings.Cut(proto, ",")
	return trusted && strings.EqualFold(strings.TrimSpace(first), "https")
}
