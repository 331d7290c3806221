package handlers

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// Form tokens. Each form page carries one token in a hidden field:
//
//	version (1 byte) | issue time, Unix ms (8) | random nonce (16) | HMAC-SHA256 (32)
//
// base64url-encoded. The MAC covers the first three parts and the value
// of the visitor's form cookie, so a token is good only with the cookie it
// was issued beside (a signed double-submit cookie): a page that posts the
// form from another site can send the cookie but cannot read a token for
// it. The issue time cannot be altered without the key, which is what
// makes the too-fast and expired signals trustworthy.
const (
	tokenVersion = 1
	nonceLen     = 16
	macLen       = sha256.Size
	tokenBodyLen = 1 + 8 + nonceLen
	tokenLen     = tokenBodyLen + macLen
	bindingLen   = 32
)

// formTokens issues and checks form tokens with one key.
type formTokens struct {
	key []byte
}

// newFormTokens derives the MAC key from secret; an empty secret gets a
// random one.
func newFormTokens(secret []byte) *formTokens {
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
	}
	key, err := hkdf.Key(sha256.New, secret, nil, "tollgate form token v1", 32)
	if err != nil {
		panic("handlers: deriving the form token key: " + err.Error())
	}
	return &formTokens{key: key}
}

// issue returns a token issued at issued, bound to the cookie value binding.
func (ft *formTokens) issue(binding string, issued time.Time) string {
	b := make([]byte, tokenBodyLen, tokenLen)
	b[0] = tokenVersion
	binary.BigEndian.PutUint64(b[1:9], uint64(issued.UnixMilli()))
	_, _ = rand.Read(b[9:tokenBodyLen])
	b = append(b, ft.mac(binding, b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// verify returns the issue time of token when it is well formed and was
// issued by this key beside the cookie value binding.
func (ft *formTokens) verify(binding, token string) (issued time.Time, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != tokenLen || b[0] != tokenVersion {
		return time.Time{}, false
	}
	body, sum := b[:tokenBodyLen], b[tokenBodyLen:]
	if !hmac.Equal(sum, ft.mac(binding, body)) {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(binary.BigEndian.Uint64(body[1:9]))), true
}

// mac is the HMAC of the token body and the cookie value it is bound to.
func (ft *formTokens) mac(binding string, body []byte) []byte {
	h := hmac.New(sha256.New, ft.key)
	h.Write(body)
	h.Write([]byte(binding))
	return h.Sum(nil)
}

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
	if err != nil || !validBinding(ck.Value) {
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
	b := make([]byte, bindingLen)
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

// validBinding reports whether v has the form of a cookie value
// ensureFormCookie makes.
func validBinding(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == bindingLen
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
