package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/labstack/echo/v4"

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
	req.Header.Set(flowsig.HeaderTimestamp, flowsig.Timestamp(at))
	req.Header.Set(flowsig.HeaderSignature, flowsig.Sign(secret, at, body))
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
	if _, got = postConnect(t, e, connectEvent(caller, verify(id, code)), testBridgeSecret, now); got["result"] != "spent" {
		t.Errorf("replayed: %v, want spent", got)
	}

	if _, err := engine.AddEntry(context.Background(), risk.AllowNumber, risk.Entry{Value: "+12015550141", Author: "test"}); err != nil {
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

	for name, tt := range map[string]struct {
		params map[string]string
		secret []byte
		at     time.Time
		status int
	}{
		"wrong secret":   {screen, []byte("another-secret-0123456789abcdefghijk"), now, http.StatusUnauthorized},
		"stale":          {screen, testBridgeSecret, now.Add(-10 * time.Minute), http.StatusUnauthorized},
		"unknown action": {map[string]string{"action": "dance"}, testBridgeSecret, now, http.StatusBadRequest},
		"unknown call":   {map[string]string{"action": "complete", "callback_id": "nope"}, testBridgeSecret, now, http.StatusNotFound},
		"bad flow":       {map[string]string{"action": "screen", "flow": "a b"}, testBridgeSecret, now, http.StatusUnprocessableEntity},
	} {
		if status, got := postConnect(t, e, connectEvent(caller, tt.params), tt.secret, tt.at); status != tt.status {
			t.Errorf("%s: %d %v, want %d", name, status, got, tt.status)
		}
	}
}
