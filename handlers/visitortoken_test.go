package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/risk"
)

var testNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// handToken builds a token by the documented recipe, independently of
// SignVisitorToken.
func handToken(secret []byte, user string, exp int64) string {
	payload := "v1." + base64.RawURLEncoding.EncodeToString([]byte(user)) + "." + strconv.FormatInt(exp, 10)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(payload))
	return payload + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func TestVisitorTokens(t *testing.T) {
	exp := testNow.Add(time.Hour).Unix()
	good := handToken(testSecret, "user-42", exp)
	if got := SignVisitorToken(testSecret, "user-42", time.Unix(exp, 0)); got != good {
		t.Errorf("SignVisitorToken = %s, want the documented %s", got, good)
	}
	parts := strings.Split(good, ".")
	tests := []struct {
		name, token, err string
	}{
		{"valid", good, ""},
		{"expired", handToken(testSecret, "user-42", testNow.Unix()), "expired"},
		{"expiry too far ahead", handToken(testSecret, "user-42", testNow.Add(2*time.Hour).Unix()), "ahead"},
		{"other secret", handToken([]byte("another secret, another site...."), "user-42", exp), "bad signature"},
		{"user swapped", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte("admin")) + "." + parts[2] + "." + parts[3], "bad signature"},
		{"expiry extended", parts[0] + "." + parts[1] + "." + strconv.FormatInt(exp+60, 10) + "." + parts[3], "bad signature"},
		{"version", "v3" + strings.TrimPrefix(good, "v1"), "not a v1 or v2 token"},
		{"v2 with v1's parts", "v2" + strings.TrimPrefix(good, "v1"), "not a v1 or v2 token"},
		{"empty user", handToken(testSecret, "", exp), "no user id"},
		{"garbage", "hello", "not a v1 or v2 token"},
		{"too long", good + strings.Repeat("x", 600), "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := verifyVisitorToken(testSecret, tt.token, testNow)
			switch {
			case tt.err == "" && (err != nil || c.User != "user-42"):
				t.Errorf("got %+v, %v; want user-42", c, err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("got %+v, %v; want an error with %q", c, err, tt.err)
			}
		})
	}
}

func TestCallbackCreateVisitorToken(t *testing.T) {
	secret := func(h *harness) { h.deps.VisitorSecret, h.deps.Now = testSecret, func() time.Time { return testNow } }
	valid := handToken(testSecret, "user-42", testNow.Add(time.Hour).Unix())
	clean := newHarness(t, risk.Allow, secret).postJSON(t, `{"phone":"`+testPhone+`"}`)
	tests := []struct {
		name, token   string
		mods          []func(*harness)
		authenticated bool
		reason        bool
	}{
		{"valid", valid, []func(*harness){secret}, true, false},
		{"forged", handToken([]byte("guess"), "user-42", testNow.Add(time.Hour).Unix()), []func(*harness){secret}, false, true},
		// Without a secret the field is ignored: nothing vouched, nothing scored.
		{"no secret configured", valid, nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, risk.Allow, tt.mods...)
			rec := h.postJSON(t, `{"phone":"`+testPhone+`","visitor_token":"`+tt.token+`"}`)
			req := h.requests[0]
			if (req.Visitor != nil) != tt.authenticated {
				t.Errorf("Visitor = %+v, want one: %v", req.Visitor, tt.authenticated)
			}
			got := len(req.Extra) == 1 && req.Extra[0].Code == risk.CodeVisitorTokenInvalid
			if got != tt.reason {
				t.Errorf("extra reasons = %+v, want visitor_token_invalid: %v", req.Extra, tt.reason)
			}
			assertLookAlike(t, clean, rec)
		})
	}
}

// The form carries the visitor token a host site put in the iframe's URL
// through to the decision.
func TestFormVisitorToken(t *testing.T) {
	h := newHarness(t, risk.Allow, func(h *harness) { h.deps.VisitorSecret = testSecret })
	token := handToken(testSecret, "user-42", h.now.Add(time.Hour).Unix())
	v := &visitor{}
	rec := h.do(t, request{method: "GET", path: "/?visitor_token=" + token, header: v.header()})
	v.take(rec)
	if want := `name="visitor_token" value="` + token + `"`; !strings.Contains(rec.Body.String(), want) {
		t.Fatalf("form does not carry the token: want %s in\n%s", want, rec.Body)
	}
	h.now = h.now.Add(10 * time.Second)
	h.submit(t, v, with(filledForm(), "visitor_token", token))
	if len(h.requests) != 1 || h.requests[0].Visitor == nil {
		t.Errorf("engine requests %+v, want one authenticated", h.requests)
	}
}

// TestVisitorTokensV2 reads the claims of v2 tokens and refuses altered
// ones.
func TestVisitorTokensV2(t *testing.T) {
	exp := testNow.Add(30 * time.Minute).Unix()
	claims := VisitorClaims{User: "user-7", Expiry: exp, Number: "+447700900123", Flow: "vip", Once: true, ID: "t-1"}
	good := SignVisitorClaims(testSecret, claims)
	if c, err := verifyVisitorToken(testSecret, good, testNow); err != nil || c != claims {
		t.Errorf("verify: got %+v, %v; want %+v", c, err, claims)
	}
	parts := strings.Split(good, ".")
	forged := strings.Replace(good, parts[1], base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"user-7","exp":`+strconv.FormatInt(exp, 10)+`,"flow":"vip"}`)), 1)
	for name, tok := range map[string]string{
		"claims changed":       forged,
		"single-use, no jti":   SignVisitorClaims(testSecret, VisitorClaims{User: "u", Expiry: exp, Once: true}),
		"bad flow":             SignVisitorClaims(testSecret, VisitorClaims{User: "u", Expiry: exp, Flow: "a b"}),
		"no user":              SignVisitorClaims(testSecret, VisitorClaims{Expiry: exp}),
		"expiry too far ahead": SignVisitorClaims(testSecret, VisitorClaims{User: "u", Expiry: testNow.Add(2 * time.Hour).Unix()}),
	} {
		if c, err := verifyVisitorToken(testSecret, tok, testNow); err == nil {
			t.Errorf("%s: got %+v, want an error", name, c)
		}
	}
}
