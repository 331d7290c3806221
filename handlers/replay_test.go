package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/ivr"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// TestSignedReplaysChangeNothing replays signed Twilio and Connect
// requests that screened a caller and failed its challenge for good: each
// replay is answered as the request was, with the same code, and the
// failure counts against the caller once (a warning), not once a replay
// (critical from three).
func TestSignedReplaysChangeNothing(t *testing.T) {
	t.Parallel()
	redistest.Each(t, testSignedReplaysChangeNothing)
}

func testSignedReplaysChangeNothing(t *testing.T, rdb redis.UniversalClient) {
	st := newStackOn(t, rdb, nil, &dispatch.Simulator{}, withTelephony)
	failures := func(number string) (warning, critical bool) {
		t.Helper()
		sc, err := st.engine.ScreenCaller(context.Background(), risk.CallerRequest{Caller: number})
		if err != nil {
			t.Fatal(err)
		}
		return sc.Has(risk.CodeCallerFailedWarning), sc.Has(risk.CodeCallerFailedCritical)
	}

	t.Run("Twilio", func(t *testing.T) {
		const caller = "+12015550180"
		call := url.Values{"CallSid": {"CA-r"}, "From": {caller}, "To": {"+12015550100"}}
		first := twilioPost(t, st.echo, ivr.TwilioVoicePath+"?flow=support", call)
		for range 4 {
			if doc := twilioPost(t, st.echo, ivr.TwilioVoicePath+"?flow=support", call); doc != first {
				t.Fatalf("screening replayed: got %s, want %s, as before", doc, first)
			}
		}
		action, code := gathered(t, first)
		keyed := url.Values{"CallSid": {"CA-r"}, "From": {caller}, "Digits": {otherCode(code)}}
		var last string
		for i := range 3 {
			if i > 0 {
				action, _ = gathered(t, last)
			}
			last = twilioPost(t, st.echo, action, keyed)
			if i == 0 {
				// Twilio signs names and values run together, so the captured
				// request re-cut ("Digits1=234" for "Digits=1234") carries the same
				// signature: it is the same request, answered as before.
				digits := keyed.Get("Digits")
				recut := url.Values{"CallSid": {"CA-r"}, "From": {caller}, "Digits" + digits[:1]: {digits[1:]}}
				path := strings.TrimPrefix(action, testPublicURL)
				req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(recut.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("X-Twilio-Signature", twilioSign(testTwilioToken, testPublicURL+path, keyed))
				rec := httptest.NewRecorder()
				st.echo.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || rec.Body.String() != last {
					t.Errorf("re-cut replay: got %d %s, want %s, as before", rec.Code, rec.Body, last)
				}
			}
		}
		for range 3 {
			if doc := twilioPost(t, st.echo, action, keyed); doc != last {
				t.Errorf("failing verify replayed: got %s, want %s, as before", doc, last)
			}
		}
		if warning, critical := failures(caller); !warning || critical {
			t.Errorf("caller's failures: got warning %v, critical %v; want one failure counted, a warning", warning, critical)
		}
	})

	t.Run("JSON API, codes keyed after the challenge failed", func(t *testing.T) {
		const caller = "+12015550182"
		_, ch, _ := st.postJSON(t, "/api/v1/challenges", `{"caller":"`+caller+`","flow":"support","contact_id":"call-r"}`, testFlowKey)
		id, code := ch["challenge_id"].(string), ch["code"].(string)
		for range 6 {
			st.postJSON(t, "/api/v1/challenges/"+id+"/verify", `{"digits":"`+otherCode(code)+`","caller":"`+caller+`","contact_id":"call-r"}`, testFlowKey)
		}
		if warning, critical := failures(caller); !warning || critical {
			t.Errorf("caller's failures: got warning %v, critical %v; want one failure counted, a warning", warning, critical)
		}
	})

	t.Run("Amazon Connect", func(t *testing.T) {
		const caller = "+12015550181"
		now := time.Now()
		screen := connectEvent(caller, map[string]string{"action": "screen", "flow": "support"})
		_, first := postConnect(t, st.echo, screen, testBridgeSecret, now)
		for range 4 {
			if _, got := postConnect(t, st.echo, screen, testBridgeSecret, now); got["challenge_id"] != first["challenge_id"] || got["code"] != first["code"] {
				t.Fatalf("screening replayed: got %v, want %v, as before", got, first)
			}
		}
		verify := connectEvent(caller, map[string]string{"action": "verify", "flow": "support", "challenge_id": first["challenge_id"], "digits": otherCode(first["code"])})
		var last map[string]string
		for i := range 3 {
			_, last = postConnect(t, st.echo, verify, testBridgeSecret, now.Add(time.Duration(i)*time.Second))
		}
		if last["result"] != "fail" {
			t.Fatalf("third wrong code: got %v, want fail", last)
		}
		for range 3 {
			if _, got := postConnect(t, st.echo, verify, testBridgeSecret, now.Add(2*time.Second)); got["result"] != "fail" {
				t.Errorf("failing verify replayed: got %v, want fail, as before", got)
			}
		}
		if warning, critical := failures(caller); !warning || critical {
			t.Errorf("caller's failures: got warning %v, critical %v; want one failure counted, a warning", warning, critical)
		}
	})
}
