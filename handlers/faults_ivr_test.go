package handlers

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/ivr"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/geo"
)

// faultyIVR is the server with a real engine and challenge service on an
// in-process store the test can stop, with the IVR fail mode given.
func faultyIVR(t *testing.T, mode ivr.FailMode) (*echo.Echo, *miniredis.Miniredis, *[]string) {
	t.Helper()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr(), MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	db, err := geo.Demo()
	if err != nil {
		t.Fatal(err)
	}
	engine, err := risk.NewEngine(risk.Options{Redis: rdb, GeoIP: db, DefaultRegion: "US"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(engine.Close)
	challenges, err := contactflows.NewChallenges(contactflows.ChallengeOptions{Redis: rdb})
	if err != nil {
		t.Fatal(err)
	}
	cont, _ := contactflows.ParseTwilioContinue("enqueue:support")
	var observed []string
	e := NewServer(Deps{
		Engine: engine, Challenges: challenges, Calls: &fakeQueue{EndFunc: endKnown},
		TwilioAuthToken: testTwilioToken, PublicURL: testPublicURL, TwilioContinue: cont,
		BridgeSecrets: [][]byte{testBridgeSecret}, FlowAPIKey: testFlowKey,
		Faults: Faults{IVR: mode, ObserveFallback: func(s, m string) { observed = append(observed, s+"/"+m) }},
	})
	return e, m, &observed
}

func TestIVRFallbackTwilio(t *testing.T) {
	const caller, connected, goodbye = "+12015550130", "<Enqueue>support</Enqueue>", "<Hangup></Hangup>"
	call := url.Values{"CallSid": {"CA1"}, "From": {caller}, "To": {"+12015550100"}}
	keyed := func(digits string) url.Values {
		return url.Values{"CallSid": {"CA1"}, "From": {caller}, "Digits": {digits}}
	}

	t.Run("store down: every caller keys a stateless code", func(t *testing.T) {
		e, m, observed := faultyIVR(t, ivr.FailChallenge)
		m.Close()
		action, code := gathered(t, twilioPost(t, e, ivr.TwilioVoicePath, call))
		if !strings.Contains(action, "challenge=fallback-") {
			t.Errorf("gather action %s, want a fallback challenge", action)
		}
		if doc := twilioPost(t, e, action, keyed(code)); !strings.Contains(doc, connected) {
			t.Errorf("right fallback code: %s, want connected", doc)
		}
		if len(*observed) == 0 || (*observed)[0] != "ivr/challenge" {
			t.Errorf("fallbacks observed = %v, want ivr/challenge", *observed)
		}
	})
	t.Run("store down: wrong codes end the call", func(t *testing.T) {
		e, m, _ := faultyIVR(t, ivr.FailChallenge)
		m.Close()
		action, code := gathered(t, twilioPost(t, e, ivr.TwilioVoicePath, call))
		wrong := "0000"
		if code == wrong {
			wrong = "1111"
		}
		doc := ""
		for range 3 {
			doc = twilioPost(t, e, action, keyed(wrong))
		}
		if !strings.Contains(doc, goodbye) {
			t.Errorf("third wrong code: %s, want goodbye", doc)
		}
	})
	t.Run("store dies after the code was issued: a stateless one is read", func(t *testing.T) {
		e, m, _ := faultyIVR(t, ivr.FailChallenge)
		// A withheld caller is challenged by the engine itself.
		withheld := url.Values{"CallSid": {"CA1"}, "From": {"anonymous"}, "To": {"+12015550100"}}
		action, _ := gathered(t, twilioPost(t, e, ivr.TwilioVoicePath, withheld))
		if strings.Contains(action, "fallback-") {
			t.Fatalf("gather action %s, want a stored challenge while the store is up", action)
		}
		m.Close()
		doc := twilioPost(t, e, action, keyed("1234"))
		if !strings.Contains(doc, ivr.SayCodeUnchecked) {
			t.Fatalf("unverifiable code: %s, want a new code", doc)
		}
		action, code := gathered(t, doc)
		if doc := twilioPost(t, e, action, keyed(code)); !strings.Contains(doc, connected) {
			t.Errorf("new fallback code: %s, want connected", doc)
		}
	})
	t.Run("store down: a callee answering a callback keys a stateless code", func(t *testing.T) {
		e, m, observed := faultyIVR(t, ivr.FailChallenge)
		m.Close()
		outbound := dispatch.TwilioOutboundPath + "?callback_id=cb1"
		action, code := gathered(t, twilioPost(t, e, outbound, url.Values{"CallSid": {"CA2"}, "CallStatus": {"in-progress"}}))
		if !strings.Contains(action, "challenge=fallback-") {
			t.Errorf("gather action %s, want a fallback challenge", action)
		}
		if doc := twilioPost(t, e, action, url.Values{"CallSid": {"CA2"}, "Digits": {code}}); !strings.Contains(doc, connected) {
			t.Errorf("right fallback code: %s, want connected", doc)
		}
		if len(*observed) == 0 || (*observed)[0] != "ivr/challenge" {
			t.Errorf("fallbacks observed = %v, want ivr/challenge", *observed)
		}
	})
	t.Run("store down, pass mode: callers go through", func(t *testing.T) {
		e, m, observed := faultyIVR(t, ivr.FailPass)
		m.Close()
		if doc := twilioPost(t, e, ivr.TwilioVoicePath, call); !strings.Contains(doc, connected) {
			t.Errorf("pass mode: %s, want connected", doc)
		}
		if len(*observed) == 0 || (*observed)[0] != "ivr/pass" {
			t.Errorf("fallbacks observed = %v, want ivr/pass", *observed)
		}
	})
}

func TestIVRFallbackConnect(t *testing.T) {
	e, m, _ := faultyIVR(t, ivr.FailChallenge)
	m.Close()
	now := time.Now()
	status, res := postConnect(t, e, connectEvent("+12015550130", map[string]string{"action": "screen"}), testBridgeSecret, now)
	if status != http.StatusOK || res["verdict"] != "challenge" || !strings.HasPrefix(res["challenge_id"], "fallback-") {
		t.Fatalf("screen with the store down: %d %v, want a fallback challenge", status, res)
	}
	status, res = postConnect(t, e, connectEvent("+12015550130", map[string]string{
		"action": "verify", "challenge_id": res["challenge_id"], "digits": res["code"]}), testBridgeSecret, now)
	if status != http.StatusOK || res["result"] != "pass" {
		t.Errorf("verify with the store down: %d %v, want pass", status, res)
	}
	status, res = postConnect(t, e, connectEvent("+12015550130", map[string]string{"action": "issue"}), testBridgeSecret, now)
	if status != http.StatusOK || res["result"] != "ok" || !strings.HasPrefix(res["challenge_id"], "fallback-") || len(res["code"]) != 4 {
		t.Errorf("issue with the store down: %d %v, want a fallback code", status, res)
	}
	status, res = postConnect(t, e, connectEvent("+12015550130", map[string]string{
		"action": "verify", "challenge_id": "AAAAAAAAAAAAAAAAAAAAAA", "digits": "1234"}), testBridgeSecret, now)
	if status != http.StatusOK || res["result"] != "expired" || res["reason"] != risk.CodeStoreUnavailable {
		t.Errorf("verify of a stored code with the store down: %d %v, want expired, store_unavailable", status, res)
	}
}

// TestIVRFallbackOtherContact checks that a stateless code is checked only
// in the contact it was issued to, where the transport names the contact,
// and that a refusal costs the owner no attempt.
func TestIVRFallbackOtherContact(t *testing.T) {
	e, m, _ := faultyIVR(t, ivr.FailChallenge)
	m.Close()
	const caller, connected, goodbye = "+12015550131", "<Enqueue>support</Enqueue>", "<Hangup></Hangup>"

	t.Run("Twilio", func(t *testing.T) {
		action, code := gathered(t, twilioPost(t, e, ivr.TwilioVoicePath, url.Values{"CallSid": {"CA7"}, "From": {caller}, "To": {"+12015550100"}}))
		if doc := twilioPost(t, e, action, url.Values{"CallSid": {"CA8"}, "From": {caller}, "Digits": {code}}); !strings.Contains(doc, goodbye) {
			t.Errorf("code keyed in another call: %s, want goodbye", doc)
		}
		if doc := twilioPost(t, e, action, url.Values{"CallSid": {"CA7"}, "From": {caller}, "Digits": {code}}); !strings.Contains(doc, connected) {
			t.Errorf("code keyed in its own call: %s, want connected", doc)
		}
	})
	t.Run("Connect", func(t *testing.T) {
		now := time.Now()
		_, res := postConnect(t, e, connectEvent(caller, map[string]string{"action": "screen"}), testBridgeSecret, now)
		other := connectEvent(caller, map[string]string{"action": "verify", "challenge_id": res["challenge_id"], "digits": res["code"]})
		other.Details.ContactData.ContactID = "c0ffee00-0000-4000-8000-000000000002"
		if status, got := postConnect(t, e, other, testBridgeSecret, now); status != http.StatusOK || got["result"] != "unknown" {
			t.Errorf("verify in another contact: %d %v, want unknown", status, got)
		}
		own := connectEvent(caller, map[string]string{"action": "verify", "challenge_id": res["challenge_id"], "digits": res["code"]})
		if status, got := postConnect(t, e, own, testBridgeSecret, now); status != http.StatusOK || got["result"] != "pass" {
			t.Errorf("verify in its own contact: %d %v, want pass", status, got)
		}
	})
	t.Run("JSON API", func(t *testing.T) {
		post := func(path, body string) map[string]any {
			t.Helper()
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+testFlowKey)
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			var got map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK {
				t.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body)
			}
			return got
		}
		ch := post("/api/v1/challenges", `{"caller":"`+caller+`","flow":"support","contact_id":"call-7"}`)
		id, code := ch["challenge_id"].(string), ch["code"].(string)
		if got := post("/api/v1/challenges/"+id+"/verify", `{"digits":"`+code+`","contact_id":"call-8"}`); got["result"] != "unknown" {
			t.Errorf("verify naming another contact: %v, want unknown", got)
		}
		if got := post("/api/v1/challenges/"+id+"/verify", `{"digits":"`+code+`","contact_id":"call-7"}`); got["result"] != "pass" || got["attempts_left"] != float64(2) {
			t.Errorf("verify naming its own contact: %v, want pass with 2 attempts left", got)
		}
	})
}
