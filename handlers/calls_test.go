package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/respond"
)

func TestCallEnd(t *testing.T) {
	const key = "flow-key-0123456789abcdefghij"
	var ended []string
	withKey := func(h *harness) {
		h.deps.FlowAPIKey = key
		h.deps.Calls.(*fakeQueue).EndFunc = func(ctx context.Context, id, outcome string) (dispatch.Call, error) {
			if id != testID {
				return dispatch.Call{}, dispatch.ErrUnknownCall
			}
			ended = append(ended, id+"/"+outcome)
			return dispatch.Call{ID: id}, nil
		}
	}
	post := func(h *harness, id, auth, body string) (int, string) {
		hdr := http.Header{"Content-Type": {"application/json"}}
		if auth != "" {
			hdr.Set("Authorization", auth)
		}
		rec := h.do(t, request{method: http.MethodPost, path: "/api/v1/calls/" + id + "/end", body: strings.NewReader(body), header: hdr})
		return rec.Code, rec.Body.String()
	}
	tests := []struct {
		name, id, auth, body string
		mods                 []func(*harness)
		status               int
		code                 string
	}{
		{"ended", testID, "Bearer " + key, `{"outcome":"answered"}`, []func(*harness){withKey}, http.StatusOK, ""},
		{"no key configured", testID, "Bearer " + key, `{"outcome":"answered"}`, nil, http.StatusNotFound, "not_found"},
		{"wrong key", testID, "Bearer " + key + "x", `{"outcome":"answered"}`, []func(*harness){withKey}, http.StatusUnauthorized, "unauthorized"},
		{"no key", testID, "", `{"outcome":"answered"}`, []func(*harness){withKey}, http.StatusUnauthorized, "unauthorized"},
		{"unknown call", "nope", "Bearer " + key, `{"outcome":"answered"}`, []func(*harness){withKey}, http.StatusNotFound, "not_found"},
		{"bad outcome", testID, "Bearer " + key, `{"outcome":"great"}`, []func(*harness){withKey}, http.StatusUnprocessableEntity, "invalid_outcome"},
		{"unknown field", testID, "Bearer " + key, `{"outcome":"busy","x":1}`, []func(*harness){withKey}, http.StatusBadRequest, "unknown_field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ended = nil
			status, body := post(newHarness(t, "", tt.mods...), tt.id, tt.auth, tt.body)
			if status != tt.status {
				t.Errorf("status = %d, want %d (%s)", status, tt.status, body)
			}
			if tt.code != "" && !strings.Contains(body, `"code":"`+tt.code+`"`) {
				t.Errorf("body = %s, want code %s", body, tt.code)
			}
			if tt.status == http.StatusOK {
				if want := `{"status":"ended","id":"` + testID + `"}`; strings.TrimSpace(body) != want {
					t.Errorf("body = %s, want %s", body, want)
				}
				if len(ended) != 1 || ended[0] != testID+"/answered" {
					t.Errorf("ended %v, want the call answered", ended)
				}
			} else if len(ended) != 0 {
				t.Errorf("ended %v on a refused request", ended)
			}
		})
	}
}

func TestCallbackAPICORS(t *testing.T) {
	origins := func(h *harness) { h.deps.CORSOrigins = []string{"https://shop.example.com"} }
	preflight := func(h *harness, origin string) http.Header {
		return h.do(t, request{method: http.MethodOptions, path: "/api/v1/callbacks", header: http.Header{
			"Origin": {origin}, "Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"content-type"},
		}}).Header()
	}
	h := newHarness(t, "", origins)
	if got := preflight(h, "https://shop.example.com").Get("Access-Control-Allow-Origin"); got != "https://shop.example.com" {
		t.Errorf("allowed origin's preflight: Access-Control-Allow-Origin = %q", got)
	}
	if got := preflight(h, "https://evil.example.net").Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("other origin's preflight: Access-Control-Allow-Origin = %q, want none", got)
	}
	if got := preflight(newHarness(t, ""), "https://shop.example.com").Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("no origins configured: Access-Control-Allow-Origin = %q, want none", got)
	}
	rec := newHarness(t, "allow", origins).do(t, request{method: http.MethodPost, path: "/api/v1/callbacks",
		body:   strings.NewReader(`{"phone":"` + testPhone + `"}`),
		header: http.Header{"Content-Type": {"application/json"}, "Origin": {"https://shop.example.com"}}})
	if got := rec.Header().Get("Access-Control-Allow-Origin"); rec.Code != http.StatusAccepted || got != "https://shop.example.com" {
		t.Errorf("POST from an allowed origin: %d, Access-Control-Allow-Origin = %q", rec.Code, got)
	}
}

// TestCallEndBudget checks that ending a call gets the webhook budget, not
// the shorter decision budget, on both webhooks that end calls.
func TestCallEndBudget(t *testing.T) {
	const key = "flow-key-0123456789abcdefghij"
	var left []time.Duration
	mod := func(h *harness) {
		h.deps.FlowAPIKey = key
		h.deps.TwilioAuthToken, h.deps.PublicURL = testTwilioToken, testPublicURL
		h.deps.Faults.Budget = 50 * time.Millisecond
		h.deps.Calls.(*fakeQueue).EndFunc = func(ctx context.Context, id, outcome string) (dispatch.Call, error) {
			deadline, ok := ctx.Deadline()
			if !ok {
				t.Error("End called without a deadline")
			}
			left = append(left, time.Until(deadline))
			return dispatch.Call{ID: id}, nil
		}
	}
	h := newHarness(t, "", mod)
	rec := h.do(t, request{method: http.MethodPost, path: "/api/v1/calls/" + testID + "/end", body: strings.NewReader(`{"outcome":"answered"}`),
		header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + key}}})
	if rec.Code != http.StatusOK {
		t.Fatalf("call end: status %d, want 200 (%s)", rec.Code, rec.Body)
	}
	path := "/flows/twilio/status?callback_id=" + testID
	final := url.Values{"CallSid": {"CA123"}, "CallStatus": {"completed"}}
	rec = h.do(t, request{method: http.MethodPost, path: path, body: strings.NewReader(final.Encode()), header: http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"}, "X-Twilio-Signature": {twilioSign(testTwilioToken, testPublicURL+path, final)},
	}})
	if rec.Code != http.StatusNoContent {
		t.Fatalf("status callback: status %d, want 204 (%s)", rec.Code, rec.Body)
	}
	if len(left) != 2 {
		t.Fatalf("End called %d times, want 2", len(left))
	}
	for i, l := range left {
		// Far more than the 50ms decision budget; the margin is for a slow machine.
		if l < respond.WebhookBudget/2 || l > respond.WebhookBudget {
			t.Errorf("webhook %d: deadline %s away, want about %s", i, l, respond.WebhookBudget)
		}
	}
}
