package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/web"
)

// hostPattern matches a DNS name or IPv4 address, or an IPv6 address in
// brackets: what may stand in a CSP source expression's host.
var hostPattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])$`)

// ParseOrigin reads an origin written as scheme://host[:port], http or
// https, with at most a trailing slash after it, and returns it in lower
// case without the slash. Nothing else may follow: no path, query,
// credentials or wildcard, so the result is safe to put in a header.
func ParseOrigin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	switch {
	case err != nil:
		return "", errors.New("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("the scheme must be http or https")
	case u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || u.ForceQuery:
		return "", errors.New("only scheme://host[:port] is allowed, with nothing after it")
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if !hostPattern.MatchString(host) {
		return "", fmt.Errorf("%q is not a host name or IP address", u.Hostname())
	}
	origin := u.Scheme + "://" + host
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("port %q is not a number from 1 to 65535", p)
		}
		origin += ":" + strconv.Itoa(n)
	} else if strings.HasSuffix(u.Host, ":") {
		return "", errors.New("the port is empty")
	}
	return origin, nil
}

// policies are the security headers of the pages, fixed at start.
type policies struct {
	// pageCSP is every response's Content-Security-Policy: framing refused.
	pageCSP string
	// formCSP is the form pages': no script, framing by Tollgate's own
	// origin and the configured ones.
	formCSP string
	// embedCSP is the form pages' when embedded (?embed=1): formCSP, but
	// with scripts from Tollgate's origin, which serves one to these
	// pages, static/frame.js.
	embedCSP string
	// formFrameOptions is the form pages' X-Frame-Options, "" for none:
	// the header cannot name other origins, so with any configured it is
	// left out and frame-ancestors alone decides.
	formFrameOptions string
}

// newPolicies builds the headers for the frame ancestors and logo URL,
// both validated at configuration. An ancestor ParseOrigin refuses is a
// wiring mistake and panics; a logo on another origin is allowed as an
// image source.
func newPolicies(ancestors []string, logoURL string) policies {
	base := "default-src 'self'"
	if u, err := url.Parse(logoURL); err == nil && u.Scheme == "https" {
		if o, err := ParseOrigin("https://" + u.Host); err == nil {
			base += "; img-src 'self' " + o
		}
	}
	base += "; base-uri 'none'; form-action 'self'"
	frame := "; frame-ancestors 'self'"
	for _, a := range ancestors {
		o, err := ParseOrigin(a)
		if err != nil {
			panic(fmt.Sprintf("handlers: frame ancestor %q: %v", a, err))
		}
		frame += " " + o
	}
	p := policies{
		pageCSP:          base + "; frame-ancestors 'none'",
		formCSP:          base + "; script-src 'none'" + frame,
		embedCSP:         base + "; script-src 'self'" + frame,
		formFrameOptions: "SAMEORIGIN",
	}
	if len(ancestors) > 0 {
		p.formFrameOptions = ""
	}
	return p
}

// formPageHeaders is the middleware of the form's routes: it lets the
// allowed origins frame them, lets embedded pages (?embed=1) run
// static/frame.js, and keeps their pages, which carry a token, out of
// caches.
func (s *server) formPageHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		csp := s.form.policies.formCSP
		if framing(c) == web.Embedded {
			csp = s.form.policies.embedCSP
		}
		h.Set(echo.HeaderContentSecurityPolicy, csp)
		if fo := s.form.policies.formFrameOptions; fo != "" {
			h.Set(echo.HeaderXFrameOptions, fo)
		} else {
			h.Del(echo.HeaderXFrameOptions)
		}
		h.Set("Cache-Control", "no-store")
		return next(c)
	}
}

// handleBrandStylesheet serves the branding's colours. Its path carries
// the content's hash, so it is cached for good.
func (s *server) handleBrandStylesheet(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", s.form.brandCSS)
}
