package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// Two site keys, as while site-a moves from its old key to its new one;
// the new one is bound to two flows.
var (
	testKeyOld = APIKeyConfig{Name: "site-a-2025", Secret: "old-0123456789abcdefghijklmnopqrstuv"}
	testKeyNew = APIKeyConfig{Name: "site-a-2026", Secret: "new-0123456789abcdefghijklmnopqrstuv", Flows: []string{"sales", "support"}}
)

// withAPIAccess sets the harness's API access.
func withAPIAccess(mode APIAccessMode, keys ...APIKeyConfig) func(*harness) {
	return func(h *harness) { h.deps.API = APIAccess{Mode: mode, Keys: keys} }
}

// postWithKey posts body to the callback API with the Authorization
// header auth, none when empty.
func (h *harness) postWithKey(t *testing.T, body, auth string) *httptest.ResponseRecorder {
	t.Helper()
	hdr := http.Header{"Content-Type": {"application/json"}}
	if auth != "" {
		hdr.Set("Authorization", auth)
	}
	return h.do(t, request{method: http.MethodPost, path: "/api/v1/callbacks", body: strings.NewReader(body), header: hdr})
}

// assertUnauthorized fails unless rec is a 401 with code in the JSON
// error body and a WWW-Authenticate challenge.
func assertUnauthorized(t *testing.T, rec *httptest.ResponseRecorder, code string) {
	t.Helper()
	if got, want := rec.Code, http.StatusUnauthorized; got != want {
		t.Fatalf("status = %d, want %d; body %s", got, want, rec.Body)
	}
	if got, want := decodeError(t, rec.Body.String()).Code, code; got != want {
		t.Errorf("error code = %q, want %q", got, want)
	}
	if rec.Header().Get(echo.HeaderWWWAuthenticate) == "" {
		t.Errorf("401 without a WWW-Authenticate header: %v", rec.Header())
	}
}

func TestAPIAccessOpen(t *testing.T) {
	for _, mode := range []APIAccessMode{"", APIOpen} {
		h := newHarness(t, risk.Allow, withAPIAccess(mode, testKeyOld))
		rec := h.postJSON(t, `{"phone":"`+testPhone+`"}`)
		if got, want := rec.Code, http.StatusAccepted; got != want {
			t.Errorf("mode %q: status = %d, want %d; body %s", mode, got, want, rec.Body)
		}
	}
}

// An attacker without the site's key probes the API: nothing they send
// reaches the engine, and a key that is almost right is as wrong as none.
func TestAPIAccessKeyRefused(t *testing.T) {
	h := newHarness(t, risk.Allow, withAPIAccess(APIKeyRequired, testKeyOld, testKeyNew))
	body := `{"phone":"` + testPhone + `"}`
	for name, auth := range map[string]string{
		"no header":         "",
		"empty bearer":      "Bearer ",
		"other scheme":      "Basic " + testKeyNew.Secret,
		"no scheme":         testKeyNew.Secret,
		"guessed":           "Bearer 0123456789abcdefghijklmnopqrstuvwxyz",
		"prefix of a key":   "Bearer " + testKeyNew.Secret[:len(testKeyNew.Secret)-1],
		"key and more":      "Bearer " + testKeyNew.Secret + "x",
		"key's name":        "Bearer " + testKeyNew.Name,
		"two keys at once":  "Bearer " + testKeyOld.Secret + testKeyNew.Secret,
		"lower-case scheme": "bearer " + testKeyNew.Secret,
	} {
		t.Run(name, func(t *testing.T) {
			assertUnauthorized(t, h.postWithKey(t, body, auth), respond.CodeInvalidAPIKey)
		})
	}
	if got, want := len(h.requests), 0; got != want {
		t.Errorf("engine calls = %d, want %d", got, want)
	}
	if got, want := len(h.recorded), 0; got != want {
		t.Errorf("decisions recorded = %d, want %d", got, want)
	}
}

// TestAttackAPIWithoutKey is a script that found the callback API of a
// site using key mode, over HTTP against the real stack on a real Redis:
// without a key, and with the keys it can guess or has stolen from a
// retired integration, it gets 401 and leaves no decision behind; the
// site's own key gets 202.
func TestAttackAPIWithoutKey(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := newStackOn(t, rdb, nil, &dispatch.Simulator{}, func(d *Deps) {
			d.API = APIAccess{Mode: APIKeyRequired, Keys: []APIKeyConfig{testKeyNew}}
		})
		const body = `{"phone":"+1 201 555 0123","name":"Ann"}`
		for name, key := range map[string]string{
			"no key":          "",
			"guessed key":     "0123456789abcdefghijklmnopqrstuvwxyz",
			"retired key":     testKeyOld.Secret,
			"the key but one": testKeyNew.Secret[:len(testKeyNew.Secret)-1],
			"the key's name":  testKeyNew.Name,
		} {
			status, got, hdr := st.postJSON(t, "/api/v1/callbacks", body, key)
			errBody, _ := got["error"].(map[string]any)
			if status != http.StatusUnauthorized || errBody["code"] != respond.CodeInvalidAPIKey || hdr.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: answer %d %v %v, want 401 %s with a WWW-Authenticate challenge", name, status, got, hdr, respond.CodeInvalidAPIKey)
			}
		}
		ds, err := st.queue.DecisionLog().Decisions(context.Background(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(ds), 0; got != want {
			t.Fatalf("decisions logged after the attack = %d, want %d: %+v", got, want, ds)
		}

		status, got, _ := st.postJSON(t, "/api/v1/callbacks", body, testKeyNew.Secret)
		if status != http.StatusAccepted || got["status"] != "accepted" {
			t.Fatalf("the site's key: answer %d %v, want 202 accepted", status, got)
		}
		ds, err = st.queue.DecisionLog().Decisions(context.Background(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 || ds[0].ID != got["id"] {
			t.Errorf("decisions logged = %+v, want the one of %v", ds, got["id"])
		}
	})
}

// Both keys of a rotation are taken, each under its own name, and neither
// secret reaches the log.
func TestAPIAccessKeyRotation(t *testing.T) {
	h := newHarness(t, risk.Allow, withAPIAccess(APIKeyRequired, testKeyOld, testKeyNew))
	for _, k := range []APIKeyConfig{testKeyOld, testKeyNew} {
		h.logs.Reset()
		rec := h.postWithKey(t, `{"phone":"`+testPhone+`"}`, "Bearer "+k.Secret)
		if got, want := rec.Code, http.StatusAccepted; got != want {
			t.Fatalf("key %s: status = %d, want %d; body %s", k.Name, got, want, rec.Body)
		}
		if got, want := logField(t, h.logs.String(), "decision", "api_key"), k.Name; got != want {
			t.Errorf("decision line's api_key = %q, want %q", got, want)
		}
		for _, s := range []string{testKeyOld.Secret, testKeyNew.Secret} {
			if strings.Contains(h.logs.String(), s) {
				t.Errorf("the log holds a key's secret:\n%s", h.logs)
			}
		}
	}
	if got, want := len(h.requests), 2; got != want {
		t.Errorf("engine calls = %d, want %d", got, want)
	}
}

// logField returns field of the first JSON log line with message msg.
func logField(t *testing.T, logs, msg, field string) string {
	t.Helper()
	for line := range strings.Lines(logs) {
		if strings.Contains(line, `"msg":"`+msg+`"`) {
			_, rest, ok := strings.Cut(line, `"`+field+`":"`)
			if !ok {
				return ""
			}
			v, _, _ := strings.Cut(rest, `"`)
			return v
		}
	}
	t.Fatalf("no %q line in the log:\n%s", msg, logs)
	return ""
}

// Without a key mode, a decision's log line names no key.
func TestAPIAccessOpenLogsNoKey(t *testing.T) {
	h := newHarness(t, risk.Allow)
	h.postWithKey(t, `{"phone":"`+testPhone+`"}`, "Bearer "+testKeyNew.Secret)
	if got := logField(t, h.logs.String(), "decision", "api_key"); got != "" {
		t.Errorf("decision line's api_key = %q, want none", got)
	}
}

// The key a request authenticated with, with its flows, is on the request
// for the handlers after the middleware, and in the engine's context.
func TestAPIAccessKeyOnRequest(t *testing.T) {
	s := &server{api: newAPIAccess(APIAccess{Mode: APIKeyRequired, Keys: []APIKeyConfig{testKeyOld, testKeyNew}}, nil)}
	for _, k := range []APIKeyConfig{testKeyOld, testKeyNew} {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/callbacks", nil)
		req.Header.Set("Authorization", "Bearer "+k.Secret)
		c := echo.New().NewContext(req, httptest.NewRecorder())
		var got APIKey
		var ok bool
		err := s.requireAPIAccess(func(c echo.Context) error {
			got, ok = apiKeyOf(c)
			return nil
		})(c)
		if err != nil {
			t.Fatalf("key %s: %v", k.Name, err)
		}
		if want := (APIKey{Name: k.Name, Flows: k.Flows}); !ok || got.Name != want.Name || !slices.Equal(got.Flows, want.Flows) {
			t.Errorf("apiKeyOf = %+v, %v; want %+v, true", got, ok, want)
		}
	}

	var engineKey APIKey
	h := newHarness(t, risk.Allow, withAPIAccess(APIKeyRequired, testKeyNew), evaluateWith(func(ctx context.Context, req risk.Request) (risk.Decision, error) {
		engineKey, _ = apiKeyFrom(ctx)
		return testDecision(risk.Allow, req), nil
	}))
	h.postWithKey(t, `{"phone":"`+testPhone+`","flow":"sales"}`, "Bearer "+testKeyNew.Secret)
	if got, want := engineKey.Name, testKeyNew.Name; got != want {
		t.Errorf("key in the engine's context = %q, want %q", got, want)
	}

	c := echo.New().NewContext(httptest.NewRequest(http.MethodPost, "/", nil), httptest.NewRecorder())
	if k, ok := apiKeyOf(c); ok {
		t.Errorf("apiKeyOf without a key = %+v, true; want false", k)
	}
}

func TestAPIAccessVisitorToken(t *testing.T) {
	h := newHarness(t, risk.Allow, withAPIAccess(APIVisitorToken), func(h *harness) { h.deps.VisitorSecret = testSecret })
	exp := testNow.Add(30 * time.Minute).Unix()
	body := func(token string) string {
		return fmt.Sprintf(`{"phone":%q,"visitor_token":%q}`, testPhone, token)
	}
	valid := handToken(testSecret, "user-42", exp)
	for _, tt := range []struct{ name, body, auth string }{
		{"no token", `{"phone":"` + testPhone + `"}`, ""},
		{"empty token", body(""), ""},
		{"forged", body(handToken([]byte("another secret, another site...."), "user-42", exp)), ""},
		{"expired", body(handToken(testSecret, "user-42", testNow.Unix())), ""},
		{"garbage", body("hello"), ""},
		{"not JSON", "phone=" + testPhone + "&visitor_token=" + valid, ""},
		{"token as a bearer key", `{"phone":"` + testPhone + `"}`, "Bearer " + valid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := h.postWithKey(t, tt.body, tt.auth)
			assertUnauthorized(t, rec, respond.CodeInvalidVisitorToken)
			if got, want := decodeError(t, rec.Body.String()).Field, "visitor_token"; got != want {
				t.Errorf("error field = %q, want %q", got, want)
			}
		})
	}
	if got, want := len(h.requests), 0; got != want {
		t.Fatalf("engine calls = %d, want %d", got, want)
	}

	rec := h.postWithKey(t, body(valid), "")
	if got, want := rec.Code, http.StatusAccepted; got != want {
		t.Fatalf("valid token: status = %d, want %d; body %s", got, want, rec.Body)
	}
	if got, want := len(h.requests), 1; got != want {
		t.Fatalf("engine calls = %d, want %d", got, want)
	}
	if h.requests[0].Visitor == nil {
		t.Errorf("engine request not authenticated; the handler did not get the token the middleware read")
	}
}

// The body the middleware read is the one the handler decodes: its
// strict checks still apply after it.
func TestAPIAccessVisitorTokenKeepsStrictBody(t *testing.T) {
	h := newHarness(t, risk.Allow, withAPIAccess(APIVisitorToken), func(h *harness) { h.deps.VisitorSecret = testSecret })
	token := handToken(testSecret, "user-42", testNow.Add(time.Minute).Unix())
	rec := h.postJSON(t, fmt.Sprintf(`{"phone":%q,"visitor_token":%q,"extra":1}`, testPhone, token))
	if got, want := rec.Code, http.StatusBadRequest; got != want {
		t.Fatalf("status = %d, want %d; body %s", got, want, rec.Body)
	}
	if got, want := decodeError(t, rec.Body.String()).Code, respond.CodeUnknownField; got != want {
		t.Errorf("error code = %q, want %q", got, want)
	}
}

// Off, the API is not there: 404 as for any unknown path, preflight too.
func TestAPIAccessOff(t *testing.T) {
	h := newHarness(t, risk.Allow, withAPIAccess(APIOff), func(h *harness) { h.deps.CORSOrigins = []string{"https://www.example.com"} })
	rec := h.postWithKey(t, `{"phone":"`+testPhone+`"}`, "")
	if got, want := rec.Code, http.StatusNotFound; got != want {
		t.Fatalf("status = %d, want %d; body %s", got, want, rec.Body)
	}
	if got, want := decodeError(t, rec.Body.String()).Code, respond.CodeNotFound; got != want {
		t.Errorf("error code = %q, want %q", got, want)
	}
	pre := h.do(t, request{method: http.MethodOptions, path: "/api/v1/callbacks", header: http.Header{
		"Origin": {"https://www.example.com"}, "Access-Control-Request-Method": {"POST"},
	}})
	if got, want := pre.Code, http.StatusNotFound; got != want {
		t.Errorf("preflight status = %d, want %d", got, want)
	}
	if got, want := len(h.requests), 0; got != want {
		t.Errorf("engine calls = %d, want %d", got, want)
	}
}

// The form keeps its own friction whatever the API's mode.
func TestAPIAccessLeavesFormAlone(t *testing.T) {
	for _, mode := range []APIAccessMode{APIKeyRequired, APIVisitorToken, APIOff} {
		t.Run(string(mode), func(t *testing.T) {
			h := newHarness(t, risk.Allow, withAPIAccess(mode, testKeyOld), func(h *harness) { h.deps.VisitorSecret = testSecret })
			rec := h.submitClean(t, filledForm())
			assertHTML(t, rec, http.StatusOK)
			if got, want := len(h.requests), 1; got != want {
				t.Fatalf("engine calls = %d, want %d", got, want)
			}
			if got := h.extraCodes(t); len(got) != 0 {
				t.Errorf("friction reasons %v for a clean submission, want none", got)
			}
		})
	}
}

// A browser on an allowed origin may send the key, and can read the 401.
func TestAPIAccessCORS(t *testing.T) {
	const origin = "https://www.example.com"
	h := newHarness(t, risk.Allow, withAPIAccess(APIKeyRequired, testKeyNew), func(h *harness) { h.deps.CORSOrigins = []string{origin} })
	pre := h.do(t, request{method: http.MethodOptions, path: "/api/v1/callbacks", header: http.Header{
		"Origin": {origin}, "Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"authorization,content-type"},
	}})
	if got := strings.ToLower(pre.Header().Get("Access-Control-Allow-Headers")); !strings.Contains(got, "authorization") {
		t.Errorf("preflight Access-Control-Allow-Headers = %q, want Authorization in it", got)
	}
	rec := h.do(t, request{method: http.MethodPost, path: "/api/v1/callbacks", body: strings.NewReader(`{"phone":"` + testPhone + `"}`),
		header: http.Header{"Origin": {origin}, "Content-Type": {"application/json"}}})
	assertUnauthorized(t, rec, respond.CodeInvalidAPIKey)
	if got, want := rec.Header().Get("Access-Control-Allow-Origin"), origin; got != want {
		t.Errorf("401's Access-Control-Allow-Origin = %q, want %q", got, want)
	}
}

// A mode that cannot work is a wiring mistake.
func TestAPIAccessWiringMistakes(t *testing.T) {
	for name, mod := range map[string]func(*harness){
		"key without keys":             withAPIAccess(APIKeyRequired),
		"visitor-token without secret": withAPIAccess(APIVisitorToken),
		"unknown mode":                 withAPIAccess("closed"),
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("NewServer did not panic")
				}
			}()
			newHarness(t, risk.Allow, mod)
		})
	}
}

func TestAPIKeyConfigHidesSecret(t *testing.T) {
	cfg := APIAccess{Mode: APIKeyRequired, Keys: []APIKeyConfig{testKeyNew}}
	for _, s := range []string{fmt.Sprint(testKeyNew), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%v", cfg.Keys)} {
		if strings.Contains(s, testKeyNew.Secret) {
			t.Errorf("printed %s, which holds the secret", s)
		}
		if !strings.Contains(s, testKeyNew.Name) {
			t.Errorf("printed %s, want the key's name in it", s)
		}
	}
}
