package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/contactflows"
)

// While Twilio's auth token is rotated, a webhook signed with the previous
// token is accepted after the current one; a token that is neither is not.
func TestTwilioPreviousAuthToken(t *testing.T) {
	const previous = "fedcba9876543210fedcba9876543210"
	path := "/flows/twilio/status?callback_id=" + testID
	form := url.Values{"CallSid": {"CA123"}, "CallStatus": {"completed"}, "To": {testNumber}}
	rotating := func(h *harness) {
		h.deps.TwilioAuthToken, h.deps.TwilioPreviousAuthToken, h.deps.PublicURL = testTwilioToken, previous, testPublicURL
		h.deps.Calls.(*fakeQueue).EndFunc = func(ctx context.Context, id, outcome string) (contactflows.Call, error) {
			return contactflows.Call{ID: id}, nil
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
