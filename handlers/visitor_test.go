package handlers

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/web"
)

// assertFormPageHeaders checks the headers of a form page shown with no
// frame ancestors configured.
func assertFormPageHeaders(t *testing.T, hdr http.Header) {
	t.Helper()
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Content-Security-Policy": "default-src 'self'; base-uri 'none'; form-action 'self'; script-src 'none'; frame-ancestors 'self'",
		"X-Frame-Options":         "SAMEORIGIN",
		"Cache-Control":           "no-store",
	}
	for k, w := range want {
		if got := hdr.Get(k); got != w {
			t.Errorf("%s = %q, want %q", k, got, w)
		}
	}
}

// visitor is one browser: its cookies and the token of the last form page
// it was shown.
type visitor struct {
	cookies map[string]string
	token   string
}

var tokenField = regexp.MustCompile(`<input type="hidden" name="token" value="([^"]*)">`)

// take keeps the cookies and the form token rec gave.
func (v *visitor) take(rec *httptest.ResponseRecorder) {
	if v.cookies == nil {
		v.cookies = map[string]string{}
	}
	for _, c := range rec.Result().Cookies() {
		v.cookies[c.Name] = c.Value
	}
	if m := tokenField.FindStringSubmatch(rec.Body.String()); m != nil {
		v.token = m[1]
	}
}

// header is what v's browser sends with a request.
func (v *visitor) header() http.Header {
	hdr := http.Header{"Accept": {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}}
	var pairs []string
	for name, value := range v.cookies {
		pairs = append(pairs, name+"="+value)
	}
	if len(pairs) > 0 {
		slices.Sort(pairs)
		hdr.Set("Cookie", strings.Join(pairs, "; "))
	}
	return hdr
}

// openForm shows v the form.
func (h *harness) openForm(t *testing.T, v *visitor) *httptest.ResponseRecorder {
	t.Helper()
	rec := h.do(t, request{method: http.MethodGet, path: "/", header: v.header()})
	v.take(rec)
	return rec
}

// submit posts values as v's browser would: with its cookies and, unless
// values has one, the token of the form it was shown.
func (h *harness) submit(t *testing.T, v *visitor, values url.Values) *httptest.ResponseRecorder {
	t.Helper()
	values = maps.Clone(values)
	if _, ok := values[web.FieldToken]; !ok {
		values.Set(web.FieldToken, v.token)
	}
	hdr := v.header()
	hdr.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := h.do(t, request{method: http.MethodPost, path: "/", body: strings.NewReader(values.Encode()), header: hdr})
	v.take(rec)
	return rec
}

// submitClean opens the form, takes ten seconds over it and sends values,
// as a person would.
func (h *harness) submitClean(t *testing.T, values url.Values) *httptest.ResponseRecorder {
	t.Helper()
	v := &visitor{}
	h.openForm(t, v)
	h.now = h.now.Add(10 * time.Second)
	return h.submit(t, v, values)
}

// filledForm is a form a person filled in correctly.
func filledForm() url.Values {
	return url.Values{"name": {"Ann"}, "region": {"GB"}, "phone": {testPhone}, "reason": {"My order"}, "consent": {"yes"}}
}

// with returns v with key set to value, or deleted when value is "".
func with(v url.Values, key, value string) url.Values {
	v = maps.Clone(v)
	if value == "" {
		v.Del(key)
	} else {
		v.Set(key, value)
	}
	return v
}
