package handlers

import (
	"crypto/tls"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// extraCodes are the codes of the reasons the handler passed with the last
// request the engine got.
func (h *harness) extraCodes(t *testing.T) []string {
	t.Helper()
	if len(h.requests) == 0 {
		t.Fatal("engine was not called")
	}
	var codes []string
	for _, r := range h.requests[len(h.requests)-1].Extra {
		codes = append(codes, r.Code)
	}
	return codes
}

// Every friction signal reaches the decision, and the visitor gets exactly
// the page a clean submission with the same outcome gets.
func TestFormFrictionSignals(t *testing.T) {
	tests := []struct {
		name string
		// send submits the form from a visitor who was shown it at h.now.
		send func(t *testing.T, h *harness, v *visitor) *httptest.ResponseRecorder
		want []string
	}{
		{"clean", func(t *testing.T, h *harness, v *visitor) *httptest.ResponseRecorder {
			h.now = h.now.Add(10 * time.Second)
			return h.submit(t, v, filledForm())
		}, nil},
		{"honeypot filled", func(t *testing.T, h *harness, v *visitor) *httptest.ResponseRecorder {
			h.now = h.now.Add(10 * time.Second)
			return h.submit(t, v, with(filledForm(), web.FieldHoneypot, "https://spam.example"))
		}, []string{risk.CodeFormHoneypot}},
		{"too fast", func(t *testing.T, h *harness, v *visitor) *httptest.ResponseRecorder {
			h.now = h.now.Add(testMinFill - time.Millisecond)
			return h.submit(t, v, filledForm())
		}, []string{risk.CodeFormTooFast}},
		{"expired", func(t *testing.T, h *harness, v *visitor) *httptest.ResponseRecorder {
			h.now = h.now.Add(DefaultTokenLifetime + time.Second)
			return h.submit(t, v, filledForm())
		}, []string{risk.CodeFormExpired}},
		{"no token", func(t *testing.T, h *harness, v *visitor) *httptest.ResponseRecorder {
			h.now = h.now.Add(10 * time.Second)
			v.token = ""
			return h.submit(t, v, filledForm())
		}, []string{risk.CodeFormTokenInvalid}},
		{"forged token", func(t *testing.T, h *harness, v *visitor) *httptest.ResponseRecorder {
			h.now = h.now.Add(10 * time.Second)
			b, _ := base64.RawURLEncoding.DecodeString(v.token)
			b[3] ^= 0x40 // an earlier issue time
			return h.submit(t, v, with(filledForm(), web.FieldToken, base64.RawURLEncoding.EncodeToString(b)))
		}, []string{risk.CodeFormTokenInvalid}},
		{"token issued with another cookie", func(t *testing.T, h *harness, v *visitor) *httptest.ResponseRecorder {
			other := &visitor{}
			h.openForm(t, other)
			h.now = h.now.Add(10 * time.Second)
			return h.submit(t, v, with(filledForm(), web.FieldToken, other.token))
		}, []string{risk.CodeFormTokenInvalid}},
		{"no cookie", func(t *testing.T, h *harness, v *visitor) *httptest.ResponseRecorder {
			h.now = h.now.Add(10 * time.Second)
			v.cookies = nil
			return h.submit(t, v, filledForm())
		}, []string{risk.CodeFormTokenInvalid}},
		{"token of another key", func(t *testing.T, h *harness, v *visitor) *httptest.ResponseRecorder {
			h.now = h.now.Add(10 * time.Second)
			other := respond.NewFormTokens([]byte("another secret of thirty-two bytes"))
			token := other.Issue(v.cookies[formCookiePlain], h.now.Add(-time.Minute))
			return h.submit(t, v, with(filledForm(), web.FieldToken, token))
		}, []string{risk.CodeFormTokenInvalid}},
		{"bot: everything at once", func(t *testing.T, h *harness, v *visitor) *httptest.ResponseRecorder {
			v.cookies = nil
			return h.submit(t, v, with(with(filledForm(), web.FieldHoneypot, "x"), web.FieldToken, "x"))
		}, []string{risk.CodeFormHoneypot, risk.CodeFormTokenInvalid}},
	}
	for _, action := range []risk.Action{risk.Allow, risk.Block, risk.Deflect} {
		clean := map[string]*httptest.ResponseRecorder{}
		for _, tt := range tests {
			t.Run(string(action)+"/"+tt.name, func(t *testing.T) {
				h := newHarness(t, action)
				v := &visitor{}
				h.openForm(t, v)
				rec := tt.send(t, h, v)
				if got := h.extraCodes(t); !slices.Equal(got, tt.want) {
					t.Errorf("reasons passed to the engine = %v, want %v", got, tt.want)
				}
				for _, r := range h.requests[0].Extra {
					if r.Detail == "" || strings.Contains(rec.Body.String(), r.Detail) {
						t.Errorf("reason %s: detail %q empty or shown to the visitor", r.Code, r.Detail)
					}
				}
				if tt.name == "clean" {
					clean[tt.name] = rec
					return
				}
				if clean["clean"] == nil {
					t.Fatal("clean case did not run first")
				}
				assertLookAlike(t, clean["clean"], rec)
			})
		}
	}
}

func TestFormRerenderKeepsIssueTime(t *testing.T) {
	h := newHarness(t, risk.Allow)
	v := &visitor{}
	h.openForm(t, v)
	h.now = h.now.Add(5 * time.Second)
	first := v.token
	rec := h.submit(t, v, with(filledForm(), web.FieldConsent, ""))
	assertHTML(t, rec, http.StatusUnprocessableEntity, `data-testid="consent-error"`, `value="Ann"`, `value="My order"`, `<option value="GB" selected>`)
	if v.token == first || v.token == "" {
		t.Fatalf("re-render did not issue a fresh token")
	}
	if len(h.requests) != 0 {
		t.Fatalf("engine called for a form with a field error")
	}
	// The person ticks the box and sends the form a second after the
	// re-render: judged on the six seconds since the form was first shown.
	h.now = h.now.Add(time.Second)
	rec = h.submit(t, v, filledForm())
	assertHTML(t, rec, http.StatusOK, `data-testid="callback-accepted"`)
	if got := h.extraCodes(t); len(got) != 0 {
		t.Errorf("reasons passed to the engine = %v, want none", got)
	}
}

func TestFormRerenderWithoutAuthenticTokenCountsFromNow(t *testing.T) {
	h := newHarness(t, risk.Allow)
	v := &visitor{}
	h.openForm(t, v)
	h.now = h.now.Add(time.Minute)
	v.cookies = nil // the cookie was lost: the first token cannot be checked
	h.submit(t, v, with(filledForm(), web.FieldConsent, ""))
	h.now = h.now.Add(time.Second)
	h.submit(t, v, filledForm())
	if got, want := h.extraCodes(t), []string{risk.CodeFormTooFast}; !slices.Equal(got, want) {
		t.Errorf("reasons passed to the engine = %v, want %v", got, want)
	}
}

func TestFormRerenderKeepsExpiry(t *testing.T) {
	h := newHarness(t, risk.Allow)
	v := &visitor{}
	h.openForm(t, v)
	h.now = h.now.Add(3 * time.Hour)
	h.submit(t, v, with(filledForm(), web.FieldPhone, ""))
	h.now = h.now.Add(10 * time.Second)
	h.submit(t, v, filledForm())
	if got, want := h.extraCodes(t), []string{risk.CodeFormExpired}; !slices.Equal(got, want) {
		t.Errorf("reasons passed to the engine = %v, want %v", got, want)
	}
}

func TestFormCookie(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name       string
		remoteAddr string
		header     http.Header
		tls        bool
		want       string // the cookie's name; its attributes follow from it
	}{
		{"plain http", "192.0.2.1:1234", nil, false, formCookiePlain},
		{"tls", "192.0.2.1:1234", nil, true, formCookieSecure},
		{"https at a trusted proxy", "10.0.0.2:1234", http.Header{"X-Forwarded-Proto": {"https"}}, false, formCookieSecure},
		{"https at the first of two proxies", "10.0.0.2:1234", http.Header{"X-Forwarded-Proto": {"HTTPS, http"}}, false, formCookieSecure},
		{"http at a trusted proxy", "10.0.0.2:1234", http.Header{"X-Forwarded-Proto": {"http"}}, false, formCookiePlain},
		{"https claimed by an untrusted client", "192.0.2.1:1234", http.Header{"X-Forwarded-Proto": {"https"}}, false, formCookiePlain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, risk.Allow, func(h *harness) { h.deps.TrustedProxies = trusted })
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = tt.remoteAddr
			for k, v := range tt.header {
				req.Header[k] = v
			}
			if tt.tls {
				req.TLS = &tls.ConnectionState{}
			}
			rec := httptest.NewRecorder()
			h.e.ServeHTTP(rec, req)
			cookies := rec.Result().Cookies()
			if len(cookies) != 1 {
				t.Fatalf("got cookies %v, want one", rec.Header().Values("Set-Cookie"))
			}
			c := cookies[0]
			if c.Name != tt.want || !c.HttpOnly || c.Path != "/" || c.Domain != "" || c.MaxAge != 0 || !respond.ValidBinding(c.Value) {
				t.Errorf("got cookie %s, want %s, HttpOnly, for / on this host only, for the session", c, tt.want)
			}
			secure := tt.want == formCookieSecure
			if secure && (!c.Secure || !c.Partitioned || c.SameSite != http.SameSiteNoneMode) {
				t.Errorf("got cookie %s, want Secure, Partitioned and SameSite=None for framing across sites", c)
			}
			if !secure && (c.Secure || c.Partitioned || c.SameSite != http.SameSiteLaxMode) {
				t.Errorf("got cookie %s, want SameSite=Lax and not Secure over plain HTTP", c)
			}

			// A second page keeps the cookie, so forms in other tabs stay good.
			req2 := httptest.NewRequest(http.MethodGet, "/", nil)
			req2.RemoteAddr, req2.Header, req2.TLS = req.RemoteAddr, req.Header.Clone(), req.TLS
			req2.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
			rec2 := httptest.NewRecorder()
			h.e.ServeHTTP(rec2, req2)
			if got := rec2.Header().Values("Set-Cookie"); len(got) != 0 {
				t.Errorf("second page set cookies %q, want the first kept", got)
			}
		})
	}
}

func TestFormTokens(t *testing.T) {
	ft := respond.NewFormTokens(testSecret)
	binding := base64.RawURLEncoding.EncodeToString(make([]byte, respond.BindingLen))
	at := time.Date(2026, 11, 22, 10, 0, 0, 123e6, time.UTC)
	token := ft.Issue(binding, at)
	if got, ok := ft.Verify(binding, token); !ok || !got.Equal(at) {
		t.Fatalf("verify: got %v, %v, want %v, true", got, ok, at)
	}
	if again := ft.Issue(binding, at); again == token {
		t.Errorf("two tokens issued at the same time are equal: the nonce is missing")
	}
	raw, _ := base64.RawURLEncoding.DecodeString(token)
	for i := range raw {
		b := slices.Clone(raw)
		b[i] ^= 1
		if _, ok := ft.Verify(binding, base64.RawURLEncoding.EncodeToString(b)); ok {
			t.Errorf("token with byte %d changed verified", i)
		}
	}
	for _, bad := range []string{"", "x", token[:len(token)-1], token + "A", token + "=", strings.ToUpper(token)} {
		if _, ok := ft.Verify(binding, bad); ok {
			t.Errorf("verify(%q) succeeded", bad)
		}
	}
	if _, ok := ft.Verify(binding[1:]+"B", token); ok {
		t.Errorf("token verified with another cookie value")
	}
	if _, ok := respond.NewFormTokens(testSecret).Verify(binding, token); !ok {
		t.Errorf("token did not verify with another instance's signer of the same secret")
	}
	if _, ok := respond.NewFormTokens(nil).Verify(binding, token); ok {
		t.Errorf("token verified with a random key")
	}
}

func TestFormFrictionFromRealPost(t *testing.T) {
	// The honeypot is read from the body only, like every field.
	h := newHarness(t, risk.Allow)
	v := &visitor{}
	h.openForm(t, v)
	h.now = h.now.Add(10 * time.Second)
	values := filledForm()
	values.Set(web.FieldToken, v.token)
	hdr := v.header()
	hdr.Set("Content-Type", "application/x-www-form-urlencoded")
	h.do(t, request{method: http.MethodPost, path: "/?leave_blank=" + url.QueryEscape("x"), body: strings.NewReader(values.Encode()), header: hdr})
	if got := h.extraCodes(t); len(got) != 0 {
		t.Errorf("reasons passed to the engine = %v, want none", got)
	}
}
