package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/ivr"
	"github.com/tollgate/tollgate/risk"
)

// testBridgeSecret signs the Amazon Connect bridge's requests in tests.
var testBridgeSecret = []byte("bridge-secret-0123456789abcdefghijklmn")

// endKnown ends callback "cb1" and no other.
func endKnown(_ context.Context, id, _ string) (dispatch.Call, error) {
	if id != "cb1" {
		return dispatch.Call{}, dispatch.ErrUnknownCall
	}
	return dispatch.Call{ID: id}, nil
}

// ivrClock is the challenge service's clock in IVR tests; tests move it.
type ivrClock struct{ at atomic.Int64 }

func (c *ivrClock) now() time.Time          { return time.Unix(0, c.at.Load()) }
func (c *ivrClock) advance(d time.Duration) { c.at.Add(int64(d)) }

// ivrServer is the server with a real engine and challenge service on an
// in-process store, taking Twilio's voice webhooks.
func ivrServer(t testing.TB) (*echo.Echo, *risk.Engine) {
	e, engine, _ := ivrServerClock(t)
	return e, engine
}

// ivrServerClock is ivrServer with the clock of its challenges.
func ivrServerClock(t testing.TB) (*echo.Echo, *risk.Engine, *ivrClock) {
	t.Helper()
	engine, rdb := realEngine(t)
	clock := &ivrClock{}
	clock.at.Store(time.Now().UnixNano())
	challenges, err := contactflows.NewChallenges(contactflows.ChallengeOptions{Redis: rdb, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	cont, _ := contactflows.ParseTwilioContinue("enqueue:support")
	e := NewServer(Deps{
		Engine: engine, Challenges: challenges, Calls: &fakeQueue{EndFunc: endKnown},
		TwilioAuthToken: testTwilioToken, PublicURL: testPublicURL, TwilioContinue: cont,
		BridgeSecrets: [][]byte{testBridgeSecret},
	})
	return e, engine, clock
}

// twilioPost posts a signed Twilio webhook to the URL path, which may be a
// full URL under testPublicURL, and returns the TwiML.
func twilioPost(t *testing.T, e *echo.Echo, path string, form url.Values) string {
	t.Helper()
	path = strings.TrimPrefix(path, testPublicURL)
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twilioSign(testTwilioToken, testPublicURL+path, form))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/xml") {
		t.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body)
	}
	return rec.Body.String()
}

var gatherAction = regexp.MustCompile(`<Gather input="dtmf" numDigits="4" timeout="8" action="([^"]+)" method="POST" actionOnEmptyResult="true">`)

// gathered returns the action and code of the Gather in doc.
func gathered(t *testing.T, doc string) (action, code string) {
	t.Helper()
	m := gatherAction.FindStringSubmatch(doc)
	if m == nil {
		t.Fatalf("no Gather in %s", doc)
	}
	action = strings.ReplaceAll(m[1], "&amp;", "&")
	u, err := url.Parse(action)
	if err != nil {
		t.Fatal(err)
	}
	code = u.Query().Get(ivr.ParamCode)
	if spoken := contactflows.SpokenDigits(code); !strings.Contains(doc, "enter the code "+spoken) {
		t.Errorf("the code %s is not read digit by digit in %s", code, doc)
	}
	return action, code
}

func TestTwilioConversations(t *testing.T) {
	const caller = "+12015550130"
	call := func(sid string) url.Values {
		return url.Values{"CallSid": {sid}, "From": {caller}, "To": {"+12015550100"}}
	}
	keyed := func(digits string) url.Values {
		return url.Values{"CallSid": {"CA1"}, "From": {caller}, "Digits": {digits}}
	}
	const connected, goodbye = "<Enqueue>support</Enqueue>", "<Hangup></Hangup>"

	t.Run("pass first time", func(t *testing.T) {
		e, _ := ivrServer(t)
		action, code := gathered(t, twilioPost(t, e, ivr.TwilioVoicePath+"?flow=support", call("CA1")))
		if doc := twilioPost(t, e, action, keyed(code)); !strings.Contains(doc, connected) {
			t.Errorf("right code: %s, want the call continued", doc)
		}
	})
	t.Run("pass on the second try, after no input", func(t *testing.T) {
		e, _ := ivrServer(t)
		action, code := gathered(t, twilioPost(t, e, ivr.TwilioVoicePath, call("CA1")))
		doc := twilioPost(t, e, action, keyed(""))
		if !strings.Contains(doc, ivr.SayNoInput) {
			t.Errorf("no input: %s, want %q and the code again", doc, ivr.SayNoInput)
		}
		again, sameCode := gathered(t, doc)
		if sameCode != code {
			t.Errorf("code read again = %s, want %s", sameCode, code)
		}
		if doc := twilioPost(t, e, again, keyed(code)); !strings.Contains(doc, connected) {
			t.Errorf("right code on the second try: %s", doc)
		}
	})
	t.Run("fail after the limit, then the caller is flagged", func(t *testing.T) {
		e, engine := ivrServer(t)
		action, code := gathered(t, twilioPost(t, e, ivr.TwilioVoicePath, call("CA1")))
		wrong := "0000"
		if wrong == code {
			wrong = "1111"
		}
		doc := twilioPost(t, e, action, keyed(wrong))
		if !strings.Contains(doc, ivr.SayWrongCode) {
			t.Errorf("wrong code: %s, want %q", doc, ivr.SayWrongCode)
		}
		action, _ = gathered(t, doc)
		action, _ = gathered(t, twilioPost(t, e, action, keyed(wrong)))
		if doc := twilioPost(t, e, action, keyed(wrong)); !strings.Contains(doc, goodbye) || strings.Contains(doc, "<Gather") {
			t.Errorf("third wrong code: %s, want goodbye", doc)
		}
		if doc := twilioPost(t, e, action, keyed(code)); !strings.Contains(doc, goodbye) {
			t.Errorf("right code after the limit: %s, want goodbye", doc)
		}
		s, err := engine.ScreenCaller(context.Background(), risk.CallerRequest{Caller: caller})
		if err != nil || !s.Has(risk.CodeCallerFailedWarning) {
			t.Errorf("next screening %+v, %v; want %s", s, err, risk.CodeCallerFailedWarning)
		}
	})
	t.Run("expired code", func(t *testing.T) {
		e, _, clock := ivrServerClock(t)
		action, code := gathered(t, twilioPost(t, e, ivr.TwilioVoicePath, call("CA1")))
		clock.advance(6 * time.Minute)
		if doc := twilioPost(t, e, action, keyed(code)); !strings.Contains(doc, goodbye) {
			t.Errorf("right code after expiry: %s, want goodbye", doc)
		}
	})
	t.Run("replayed verify", func(t *testing.T) {
		e, _ := ivrServer(t)
		action, code := gathered(t, twilioPost(t, e, ivr.TwilioVoicePath, call("CA1")))
		first := twilioPost(t, e, action, keyed(code))
		if doc := twilioPost(t, e, action, keyed(code)); doc != first {
			t.Errorf("the signed request replayed: got %s, want %s, as before", doc, first)
		}
		// The code keyed again, in a later step Twilio signed.
		if doc := twilioPost(t, e, strings.Replace(action, "step=1", "step=2", 1), keyed(code)); !strings.Contains(doc, goodbye) {
			t.Errorf("code keyed again: %s, want goodbye", doc)
		}
	})
	t.Run("blocked caller", func(t *testing.T) {
		e, engine := ivrServer(t)
		if _, err := engine.ListStore().AddEntry(context.Background(), risk.DenyNumber, risk.Entry{Value: caller, Author: "test"}); err != nil {
			t.Fatal(err)
		}
		if doc := twilioPost(t, e, ivr.TwilioVoicePath, call("CA1")); !strings.Contains(doc, ivr.SayGoodbye) || !strings.Contains(doc, goodbye) {
			t.Errorf("deny-listed caller: %s, want a polite goodbye", doc)
		}
	})
	t.Run("allow-listed caller skips the challenge", func(t *testing.T) {
		e, engine := ivrServer(t)
		if _, err := engine.ListStore().AddEntry(context.Background(), risk.AllowNumber, risk.Entry{Value: caller, Author: "test"}); err != nil {
			t.Fatal(err)
		}
		if doc := twilioPost(t, e, ivr.TwilioVoicePath, call("CA1")); !strings.Contains(doc, connected) || strings.Contains(doc, "<Gather") {
			t.Errorf("allow-listed caller: %s, want the call continued", doc)
		}
	})
	t.Run("answered callback challenges the callee", func(t *testing.T) {
		e, _ := ivrServer(t)
		doc := twilioPost(t, e, dispatch.TwilioOutboundPath+"?callback_id=cb1", url.Values{"CallSid": {"CA9"}, "To": {caller}})
		if !strings.Contains(doc, ivr.TwilioGreeting) {
			t.Errorf("answered callback: %s, want the greeting", doc)
		}
		action, code := gathered(t, doc)
		if doc := twilioPost(t, e, action, url.Values{"CallSid": {"CA9"}, "To": {caller}, "Digits": {code}}); !strings.Contains(doc, connected) {
			t.Errorf("callee's right code: %s", doc)
		}
	})
}
