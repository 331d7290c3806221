package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/contactflows/dispatch"
)

const (
	testTwilioToken = "0123456789abcdef0123456789abcdef"
	testPublicURL   = "https://callbacks.example.com"
)

// twilioSign signs a webhook as Twilio documents it: HMAC-SHA1 over the
// full URL followed by each POST parameter's name and value, sorted by
// name, in base64.
func twilioSign(token, fullURL string, form url.Values) string {
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range form {
			if !yield(k) {
				return
			}
		}
	}) {
		b.WriteString(k + form.Get(k))
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestTwilioStatusCallback(t *testing.T) {
	var ended []string
	withTwilio := func(h *harness) {
		h.deps.TwilioAuthToken, h.deps.PublicURL = testTwilioToken, testPublicURL
		h.deps.Calls.(*fakeQueue).EndFunc = func(ctx context.Context, id, outcome string) (dispatch.Call, error) {
			ended = append(ended, id+"/"+outcome)
			return dispatch.Call{ID: id}, nil
		}
	}
	path := "/flows/twilio/status?callback_id=" + testID
	post := func(h *harness, form url.Values, sig string) int {
		return h.do(t, request{method: http.MethodPost, path: path, body: strings.NewReader(form.Encode()), header: http.Header{
			"Content-Type": {"application/x-www-form-urlencoded"}, "X-Twilio-Signature": {sig},
		}}).Code
	}
	final := url.Values{"CallSid": {"CA123"}, "CallStatus": {"no-answer"}, "To": {testNumber}}
	tests := []struct {
		name   string
		mods   []func(*harness)
		form   url.Values
		sig    string
		status int
		ended  []string
	}{
		{"final status ends the call", []func(*harness){withTwilio}, final, twilioSign(testTwilioToken, testPublicURL+path, final), http.StatusNoContent, []string{testID + "/no-answer"}},
		{"ringing is not the end", []func(*harness){withTwilio}, url.Values{"CallStatus": {"ringing"}}, twilioSign(testTwilioToken, testPublicURL+path, url.Values{"CallStatus": {"ringing"}}), http.StatusNoContent, nil},
		{"signed for another URL", []func(*harness){withTwilio}, final, twilioSign(testTwilioToken, "http://internal:8080"+path, final), http.StatusForbidden, nil},
		{"signed with another token", []func(*harness){withTwilio}, final, twilioSign("ffffffffffffffffffffffffffffffff", testPublicURL+path, final), http.StatusForbidden, nil},
		{"unsigned", []func(*harness){withTwilio}, final, "", http.StatusForbidden, nil},
		{"not configured", nil, final, twilioSign(testTwilioToken, testPublicURL+path, final), http.StatusNotFound, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ended = nil
			if got := post(newHarness(t, "", tt.mods...), tt.form, tt.sig); got != tt.status {
				t.Errorf("status = %d, want %d", got, tt.status)
			}
			if !slices.Equal(ended, tt.ended) {
				t.Errorf("ended %v, want %v", ended, tt.ended)
			}
		})
	}
}

func TestTwilioOutboundTwiML(t *testing.T) {
	cont, err := contactflows.ParseTwilioContinue("enqueue:callbacks")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, "", func(h *harness) {
		h.deps.TwilioAuthToken, h.deps.PublicURL, h.deps.TwilioContinue = testTwilioToken, testPublicURL+"/", cont
	})
	// Every address the Twilio dialer hands Twilio is served.
	served := map[string]bool{}
	for _, r := range h.e.Routes() {
		served[r.Method+" "+r.Path] = true
	}
	for _, p := range []string{dispatch.TwilioOutboundPath, dispatch.TwilioStatusPath} {
		if !served["POST "+p] {
			t.Errorf("POST %s is not served", p)
		}
	}
	path := dispatch.TwilioOutboundPath + "?callback_id=" + testID
	form := url.Values{"CallSid": {"CA1"}, "CallStatus": {"in-progress"}}
	rec := h.do(t, request{method: http.MethodPost, path: path, body: strings.NewReader(form.Encode()), header: http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"}, "X-Twilio-Signature": {twilioSign(testTwilioToken, testPublicURL+path, form)},
	}})
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/xml") || !strings.Contains(rec.Body.String(), "<Enqueue>callbacks</Enqueue>") {
		t.Errorf("outbound TwiML = %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
}
