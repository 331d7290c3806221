package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/contactflows/flowsig"
	"github.com/tollgate/tollgate/risk"
)

// connectEvent is the event a flow's Lambda block sends for action.
func connectEvent(caller string, params map[string]string) events.ConnectEvent {
	return events.ConnectEvent{Name: "ContactFlowEvent", Details: events.ConnectDetails{
		ContactData: events.ConnectContactData{
			ContactID: "c0ffee00-0000-4000-8000-000000000001", Channel: "VOICE", InitiationMethod: "INBOUND",
			CustomerEndpoint: events.ConnectEndpoint{Address: caller, Type: "TELEPHONE_NUMBER"},
			Attributes:       map[string]string{},
		},
		Parameters: params,
	}}
}

// postConnect posts ev as the bridge does, signed with secret at t.
func postConnect(t *testing.T, e *echo.Echo, ev events.ConnectEvent, secret []byte, at time.Time) (int, map[string]string) {
	t.Helper()
	body, _ := json.Marshal(ev)
	req := httptest.NewRequest(http.MethodPost, "/flows/connect", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if secret != nil {
		req.Header.Set(flowsig.HeaderTimestamp, flowsig.Timestamp(at))
		req.Header.Set(flowsig.HeaderSignature, flowsig.Sign(secret, at, body))
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	var got map[string]string
	if rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("answer %s is not a flat map of strings: %v", rec.Body, err)
		}
		for k, v := range got {
			if strings.Trim(k+v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
				t.Errorf("answer %s=%s holds characters Connect refuses", k, v)
			}
			if !slices.Contains(contactflows.ConnectAnswerKeys, k) {
				t.Errorf("answer key %s is not in contactflows.ConnectAnswerKeys, which the contact flows are checked against", k)
			}
		}
	}
	return rec.Code, got
}

func TestConnectConversations(t *testing.T) {
	const caller = "+12015550140"
	now := time.Now()
	screen := map[string]string{"action": "screen", "flow": "support"}
	verify := func(id, digits string) map[string]string {
		return map[string]string{"action": "verify", "flow": "support", "challenge_id": id, "digits": digits}
	}

	e, engine := ivrServer(t)
	status, got := postConnect(t, e, connectEvent(caller, screen), testBridgeSecret, now)
	if status != http.StatusOK || got["result"] != "ok" || got["verdict"] != "challenge" || len(got["code"]) != 4 || got["attempts"] != "3" {
		t.Fatalf("screen: %d %v, want a challenge", status, got)
	}
	id, code := got["challenge_id"], got["code"]
	if _, got = postConnect(t, e, connectEvent(caller, verify(id, "0")), testBridgeSecret, now); got["result"] != "retry" || got["attempts_left"] != "2" {
		t.Errorf("wrong digits: %v, want retry with 2 left", got)
	}
	if _, got = postConnect(t, e, connectEvent(caller, verify(id, code)), testBridgeSecret, now); got["result"] != "pass" {
		t.Errorf("right digits: %v, want pass", got)
	}
	if _, got = postConnect(t, e, connectEvent(caller, verify(id, code)), testBridgeSecret, now); got["result"] != "pass" || got["attempts_left"] != "1" {
		t.Errorf("the signed request replayed: %v, want pass with 1 left, as before", got)
	}
	if _, got = postConnect(t, e, connectEvent(caller, verify(id, code)), testBridgeSecret, now.Add(time.Second)); got["result"] != "spent" {
		t.Errorf("the code keyed again: %v, want spent", got)
	}

	if _, err := engine.ListStore().AddEntry(context.Background(), risk.AllowNumber, risk.Entry{Value: "+12015550141", Author: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, got = postConnect(t, e, connectEvent("+12015550141", screen), testBridgeSecret, now); got["verdict"] != "pass" || got["code"] != "" {
		t.Errorf("allow-listed caller: %v, want pass", got)
	}
	if _, got = postConnect(t, e, connectEvent("anonymous", map[string]string{"action": "issue", "flow": "callback"}), testBridgeSecret, now); got["result"] != "ok" || len(got["code"]) != 4 {
		t.Errorf("issue: %v, want a code", got)
	}
	if _, got = postConnect(t, e, connectEvent(caller, map[string]string{"action": "complete", "callback_id": "cb1"}), testBridgeSecret, now); got["result"] != "ok" {
		t.Errorf("complete: %v, want ok", got)
	}

	// Failing for good, and a blocked caller.
	_, got = postConnect(t, e, connectEvent("+12015550142", screen), testBridgeSecret, now)
	for i := range 3 {
		_, got2 := postConnect(t, e, connectEvent("+12015550142", verify(got["challenge_id"], "x")), testBridgeSecret, now.Add(time.Duration(i)*time.Second))
		got["last"] = got2["result"]
	}
	if got["last"] != "fail" {
		t.Errorf("three wrong codes: last result %s, want fail", got["last"])
	}
	if _, err := engine.ListStore().AddEntry(context.Background(), risk.DenyNumber, risk.Entry{Value: "+12015550143", Author: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, got = postConnect(t, e, connectEvent("+12015550143", screen), testBridgeSecret, now); got["verdict"] != "block" || got["code"] != "" {
		t.Errorf("deny-listed caller: %v, want block", got)
	}

	// Every action the contact flows may send is one this endpoint takes.
	for _, action := range contactflows.ConnectActions {
		params := map[string]string{"action": action, "challenge_id": "x", "callback_id": "cb1"}
		if status, got := postConnect(t, e, connectEvent(caller, params), testBridgeSecret, now); status != http.StatusOK {
			t.Errorf("action %s: %d %v, want it taken", action, status, got)
		}
	}

	for name, tt := range map[string]struct {
		params map[string]string
		secret []byte
		at     time.Time
		status int
	}{
		"wrong secret":   {screen, []byte("another-secret-0123456789abcdefghijk"), now, http.StatusUnauthorized},
		"stale":          {screen, testBridgeSecret, now.Add(-10 * time.Minute), http.StatusUnauthorized},
		"unsigned":       {screen, nil, now, http.StatusUnauthorized},
		"unknown action": {map[string]string{"action": "dance"}, testBridgeSecret, now, http.StatusBadRequest},
		"unknown call":   {map[string]string{"action": "complete", "callback_id": "nope"}, testBridgeSecret, now, http.StatusNotFound},
		"bad flow":       {map[string]string{"action": "screen", "flow": "a b"}, testBridgeSecret, now, http.StatusUnprocessableEntity},
	} {
		if status, got := postConnect(t, e, connectEvent(caller, tt.params), tt.secret, tt.at); status != tt.status {
			t.Errorf("%s: %d %v, want %d", name, status, got, tt.status)
		}
	}
}

func TestContactFlowDownload(t *testing.T) {
	h := newHarness(t, "", func(h *harness) { h.deps.FlowAPIKey = "flow-key-0123456789abcdefghij" })
	get := func(path string) *httptest.ResponseRecorder {
		return h.do(t, request{method: http.MethodGet, path: path, header: http.Header{"Authorization": {"Bearer flow-key-0123456789abcdefghij"}}})
	}
	q := "?lambda_arn=arn:aws:lambda:eu-west-2:111111111111:function:tollgate-connect-bridge" +
		"&queue_arn=arn:aws:connect:eu-west-2:111111111111:instance/11111111-2222-3333-4444-555555555555/queue/66666666-7777-8888-9999-000000000000&flow=support"
	rec := get("/flows/connect/contact-flows/deter-spam.json" + q)
	if rec.Code != http.StatusOK || !json.Valid(rec.Body.Bytes()) || strings.Contains(rec.Body.String(), "{{") ||
		!strings.Contains(rec.Body.String(), "function:tollgate-connect-bridge") {
		t.Errorf("download: %d %.200s", rec.Code, rec.Body)
	}
	if rec := get("/flows/connect/contact-flows/nope.json" + q); rec.Code != http.StatusNotFound {
		t.Errorf("unknown flow: %d", rec.Code)
	}
	if rec := get("/flows/connect/contact-flows/deter-spam.json?lambda_arn=x"); rec.Code != http.StatusBadRequest {
		t.Errorf("bad values: %d %s", rec.Code, rec.Body)
	}
	if rec := h.do(t, request{method: http.MethodGet, path: "/flows/connect/contact-flows/deter-spam.json" + q}); rec.Code != http.StatusUnauthorized {
		t.Errorf("without the key: %d", rec.Code)
	}
}

func TestConnectExpiredCode(t *testing.T) {
	e, _, clock := ivrServerClock(t)
	now := time.Now()
	_, got := postConnect(t, e, connectEvent("+12015550144", map[string]string{"action": "screen"}), testBridgeSecret, now)
	clock.advance(6 * time.Minute)
	_, got = postConnect(t, e, connectEvent("+12015550144", map[string]string{"action": "verify", "challenge_id": got["challenge_id"], "digits": got["code"]}), testBridgeSecret, now)
	if got["result"] != "expired" {
		t.Errorf("right code after expiry: %v, want expired", got)
	}
}
