package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/contactflows/dispatch"
)

// While Twilio's auth token is rotated, a webhook signed with the previous
// token is accepted after the current one; a token that is neither is not.
func TestTwilioPreviousAuthToken(t *testing.T) {
	const previous = "fedcba9876543210fedcba9876543210"
	path := "/flows/twilio/status?callback_id=" + testID
	form := url.Values{"CallSid": {"CA123"}, "CallStatus": {"completed"}, "To": {testNumber}}
	rotating := func(h *harness) {
		h.deps.TwilioAuthToken, h.deps.TwilioPreviousAuthToken, h.deps.PublicURL = testTwilioToken, previous, testPublicURL
		h.deps.Calls.(*fakeQueue).EndFunc = func(ctx context.Context, id, outcome string) (dispatch.Call, error) {
			return dispatch.Call{ID: id}, nil
		}
	}
	for _, tt := range []struct {
		name  string
		token string
		want  int
	}{
		{"current token", testTwilioToken, http.StatusNoContent},
		{"previous token", previous, http.StatusNoContent},
		{"another token", "ffffffffffffffffffffffffffffffff", http.StatusForbidden},
	} {
		h := newHarness(t, "", rotating)
		got := h.do(t, request{method: http.MethodPost, path: path, body: strings.NewReader(form.Encode()), header: http.Header{
			"Content-Type": {"application/x-www-form-urlencoded"}, "X-Twilio-Signature": {twilioSign(tt.token, testPublicURL+path, form)},
		}}).Code
		if got != tt.want {
			t.Errorf("%s: got status %d, want %d", tt.name, got, tt.want)
		}
	}
}

// Tollgate serves at the root: behind a proxy that strips the path of a
// TOLLGATE_PUBLIC_URL such as https://example.com/tollgate, a webhook
// signed for the public URL is accepted; one forwarded with the prefix is
// no route at all, as cmd/tollgate/deploying.md warns.
func TestTwilioPublicURLWithAPath(t *testing.T) {
	const public = "https://example.com/tollgate"
	path := "/flows/twilio/status?callback_id=" + testID
	form := url.Values{"CallSid": {"CA123"}, "CallStatus": {"completed"}, "To": {testNumber}}
	sig := twilioSign(testTwilioToken, public+path, form)
	withPath := func(h *harness) {
		h.deps.TwilioAuthToken, h.deps.PublicURL = testTwilioToken, public
		h.deps.Calls.(*fakeQueue).EndFunc = func(ctx context.Context, id, outcome string) (dispatch.Call, error) {
			return dispatch.Call{ID: id}, nil
		}
	}
	for _, tt := range []struct {
		name, path string
		want       int
	}{
		{"prefix stripped by the proxy", path, http.StatusNoContent},
		{"prefix forwarded", "/tollgate" + path, http.StatusNotFound},
	} {
		h := newHarness(t, "", withPath)
		got := h.do(t, request{method: http.MethodPost, path: tt.path, body: strings.NewReader(form.Encode()), header: http.Header{
			"Content-Type": {"application/x-www-form-urlencoded"}, "X-Twilio-Signature": {sig},
		}}).Code
		if got != tt.want {
			t.Errorf("%s: got status %d, want %d", tt.name, got, tt.want)
		}
	}
}
