package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/tollgate/tollgate/contactflows/flowsig"
)

const testSecret = "test-bridge-secret-0123456789abcdef"

// sampleEvent is a voice contact as Amazon Connect's "Invoke AWS Lambda
// function" block sends it, shaped after the documented example event.
func sampleEvent() events.ConnectEvent {
	return events.ConnectEvent{
		Name: "ContactFlowEvent",
		Details: events.ConnectDetails{
			ContactData: events.ConnectContactData{
				Attributes:       map[string]string{"callback_id": "cb_01JH2Q4Z8K", "language": "en-GB"},
				Channel:          "VOICE",
				ContactID:        "4a573372-1f28-4e26-b97b-2f0c3b5a9d11",
				CustomerEndpoint: events.ConnectEndpoint{Address: "+447700900123", Type: "TELEPHONE_NUMBER"},
				InitialContactID: "4a573372-1f28-4e26-b97b-2f0c3b5a9d11",
				InitiationMethod: "INBOUND",
				InstanceARN:      "arn:aws:connect:eu-west-2:111111111111:instance/c8c0e68d-2200-4265-82c0-0d9f3a7e1b42",
				Queue: events.ConnectQueue{
					Name: "Support",
					ARN:  "arn:aws:connect:eu-west-2:111111111111:instance/c8c0e68d-2200-4265-82c0-0d9f3a7e1b42/queue/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
				},
				SystemEndpoint: events.ConnectEndpoint{Address: "+442079460000", Type: "TELEPHONE_NUMBER"},
			},
			Parameters: map[string]string{"action": "screen_inbound"},
		},
	}
}

// tollgate is a stand-in for Tollgate's /flows/connect: it checks what the
// bridge sent the way the real endpoint must, then runs answer.
type tollgate struct {
	t        *testing.T
	secret   []byte
	wantBody []byte
	answer   http.HandlerFunc
	calls    atomic.Int32
}

func (tg *tollgate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := tg.t
	tg.calls.Add(1)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Errorf("reading the request body: %v", err)
	}
	if got, want := r.Method+" "+r.URL.Path, "POST /flows/connect"; got != want {
		t.Errorf("request = %q, want %q", got, want)
	}
	if got, want := r.Header.Get("Content-Type"), "application/json"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	if !bytes.Equal(body, tg.wantBody) {
		t.Errorf("body = %s, want %s", body, tg.wantBody)
	}
	err = flowsig.Verify(tg.secret, r.Header.Get(flowsig.HeaderTimestamp), r.Header.Get(flowsig.HeaderSignature), body, time.Now(), 0)
	if err != nil {
		http.Error(w, "signature: "+err.Error(), http.StatusUnauthorized)
		return
	}
	tg.answer(w, r)
}

func answerJSON(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// invoke runs b.Handle through aws-lambda-go's handler, as the Lambda
// runtime does, and decodes the map it returns.
func invoke(t *testing.T, b *Bridge, payload []byte) map[string]string {
	t.Helper()
	out, err := lambda.NewHandler(b.Handle).Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var got map[string]string
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("the handler's answer %s is not a flat map: %v", out, err)
	}
	return got
}

func newTestBridge(endpoint string, timeout time.Duration, logs io.Writer) *Bridge {
	cfg := Config{Endpoint: endpoint + flowsPath, Secret: []byte(testSecret), Timeout: timeout}
	return NewBridge(cfg, nil, slog.New(slog.NewJSONHandler(logs, nil)))
}

func TestHandle(t *testing.T) {
	payload, err := json.Marshal(sampleEvent())
	if err != nil {
		t.Fatal(err)
	}
	errAnswer := func(code string) map[string]string {
		return map[string]string{"result": "error", "error_code": code}
	}
	const leak = "redis at 10.0.0.3:6379 refused"

	tests := []struct {
		name         string
		serverSecret string
		answer       http.HandlerFunc
		want         map[string]string
	}{
		{
			name:   "answer passed through",
			answer: answerJSON(200, `{"result":"challenge","risk_score":"72","reasons":"premium_rate-new_number","challenge_id":"ch_9Q2x-7"}`),
			want:   map[string]string{"result": "challenge", "risk_score": "72", "reasons": "premium_rate-new_number", "challenge_id": "ch_9Q2x-7"},
		},
		{
			name:   "empty values and 201 accepted",
			answer: answerJSON(201, `{"result":"allow","note":""}`),
			want:   map[string]string{"result": "allow", "note": ""},
		},
		{name: "secret differs", serverSecret: "another-secret-0123456789abcdefghij", answer: answerJSON(200, `{"result":"allow"}`), want: errAnswer(codeUnauthorized)},
		{name: "forbidden", answer: answerJSON(403, `{"message":"bridge disabled"}`), want: errAnswer(codeUnauthorized)},
		{name: "rejected", answer: answerJSON(422, `{"message":"unknown action"}`), want: errAnswer(codeRejected)},
		{name: "server error", answer: answerJSON(500, `{"message":"`+leak+`"}`), want: errAnswer(codeServerError)},
		{name: "redirect not followed", answer: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.example/flows/connect", http.StatusTemporaryRedirect)
		}, want: errAnswer(codeServerError)},
		{name: "garbage", answer: answerJSON(200, `<html>`+leak+`</html>`), want: errAnswer(codeBadAnswer)},
		{name: "nested object", answer: answerJSON(200, `{"result":{"code":"allow"}}`), want: errAnswer(codeBadAnswer)},
		{name: "number value", answer: answerJSON(200, `{"result":"allow","score":12}`), want: errAnswer(codeBadAnswer)},
		{name: "array", answer: answerJSON(200, `["allow"]`), want: errAnswer(codeBadAnswer)},
		{name: "null", answer: answerJSON(200, `null`), want: errAnswer(codeBadAnswer)},
		{name: "empty body", answer: answerJSON(200, ``), want: errAnswer(codeBadAnswer)},
		{name: "over 32 KiB", answer: answerJSON(200, `{"result":"allow","pad":"`+strings.Repeat("a", maxAnswerBytes)+`"}`), want: errAnswer(codeBadAnswer)},
		// `{"result":"allow","pad":""}` is 27 bytes: the pad makes the
		// answer exactly 32,768 bytes, which Connect refuses, or one less.
		{name: "exactly 32 KiB", answer: answerJSON(200, `{"result":"allow","pad":"`+strings.Repeat("a", maxAnswerBytes-27)+`"}`), want: errAnswer(codeBadAnswer)},
		{name: "one byte under 32 KiB", answer: answerJSON(200, `{"result":"allow","pad":"`+strings.Repeat("a", maxAnswerBytes-28)+`"}`), want: map[string]string{"result": "allow", "pad": strings.Repeat("a", maxAnswerBytes-28)}},
		{name: "value with a space", answer: answerJSON(200, `{"result":"allow","message":"`+leak+`"}`), want: errAnswer(codeUnsafeAnswer)},
		{name: "value with a plus", answer: answerJSON(200, `{"result":"allow","number":"+447700900123"}`), want: errAnswer(codeUnsafeAnswer)},
		{name: "value not ASCII", answer: answerJSON(200, `{"result":"allów"}`), want: errAnswer(codeUnsafeAnswer)},
		{name: "key with a dot", answer: answerJSON(200, `{"result.code":"allow"}`), want: errAnswer(codeUnsafeAnswer)},
		{name: "empty key", answer: answerJSON(200, `{"":"allow"}`), want: errAnswer(codeUnsafeAnswer)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := tt.serverSecret
			if secret == "" {
				secret = testSecret
			}
			tg := &tollgate{t: t, secret: []byte(secret), wantBody: payload, answer: tt.answer}
			srv := httptest.NewServer(tg)
			defer srv.Close()
			var logs bytes.Buffer
			got := invoke(t, newTestBridge(srv.URL, 2*time.Second, &logs), payload)

			if !maps.Equal(got, tt.want) {
				t.Errorf("answer = %v, want %v", got, tt.want)
			}
			if n := tg.calls.Load(); n != 1 {
				t.Errorf("Tollgate called %d times, want 1", n)
			}
			if code := tt.want["error_code"]; code != "" && !strings.Contains(logs.String(), `"error_code":"`+code+`"`) {
				t.Errorf("log = %s, want an entry with error_code %s", logs.String(), code)
			}
		})
	}
}

func TestHandleForwardsPayloadVerbatim(t *testing.T) {
	// Fields the Go type does not know, and the sender's own spacing, reach
	// Tollgate unchanged, so the signature covers what Connect sent.
	payload := []byte(`{"Name": "ContactFlowEvent", "Details": {"ContactData": {"ContactId": "c-1", "Channel": "VOICE",
		"MediaStreams": {"Customer": {"Audio": null}}, "SegmentAttributes": {"connect:Subtype": {"ValueString": "connect:Telephony"}}},
		"Parameters": {"action": "screen_inbound"}}}`)
	tg := &tollgate{t: t, secret: []byte(testSecret), wantBody: payload, answer: answerJSON(200, `{"result":"allow"}`)}
	srv := httptest.NewServer(tg)
	defer srv.Close()

	got := invoke(t, newTestBridge(srv.URL, 2*time.Second, io.Discard), payload)
	if want := map[string]string{"result": "allow"}; !maps.Equal(got, want) {
		t.Errorf("answer = %v, want %v", got, want)
	}
}

func TestHandleTimeout(t *testing.T) {
	payload, _ := json.Marshal(sampleEvent())
	release := make(chan struct{})
	tg := &tollgate{t: t, secret: []byte(testSecret), wantBody: payload, answer: func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}}
	srv := httptest.NewServer(tg)
	defer srv.Close()
	defer close(release)

	var logs bytes.Buffer
	start := time.Now()
	got := invoke(t, newTestBridge(srv.URL, 100*time.Millisecond, &logs), payload)
	if want := map[string]string{"result": "error", "error_code": codeTimeout}; !maps.Equal(got, want) {
		t.Errorf("answer = %v, want %v", got, want)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("the handler took %s, want about the 100ms timeout", elapsed)
	}
	if !strings.Contains(logs.String(), `"contact_id":"4a573372-1f28-4e26-b97b-2f0c3b5a9d11"`) {
		t.Errorf("log = %s, want the contact ID", logs.String())
	}
}

func TestHandleUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()

	payload, _ := json.Marshal(sampleEvent())
	got := invoke(t, newTestBridge(url, time.Second, io.Discard), payload)
	if want := map[string]string{"result": "error", "error_code": codeUnreachable}; !maps.Equal(got, want) {
		t.Errorf("answer = %v, want %v", got, want)
	}
}

func TestHandleBadEvent(t *testing.T) {
	tg := &tollgate{t: t, secret: []byte(testSecret), answer: answerJSON(200, `{"result":"allow"}`)}
	srv := httptest.NewServer(tg)
	defer srv.Close()

	for _, payload := range []string{`[]`, `null`, `"ContactFlowEvent"`, `7`} {
		got := invoke(t, newTestBridge(srv.URL, time.Second, io.Discard), []byte(payload))
		if want := map[string]string{"result": "error", "error_code": codeBadEvent}; !maps.Equal(got, want) {
			t.Errorf("payload %s: answer = %v, want %v", payload, got, want)
		}
	}
	if n := tg.calls.Load(); n != 0 {
		t.Errorf("Tollgate called %d times, want 0", n)
	}
}

func TestHandleLogsDetailNotAnswer(t *testing.T) {
	payload, _ := json.Marshal(sampleEvent())
	const detail = "policy store unavailable"
	tg := &tollgate{t: t, secret: []byte(testSecret), wantBody: payload, answer: answerJSON(503, `{"message":"`+detail+`"}`)}
	srv := httptest.NewServer(tg)
	defer srv.Close()

	var logs bytes.Buffer
	got := invoke(t, newTestBridge(srv.URL, time.Second, &logs), payload)
	for k, v := range got {
		if strings.Contains(v, "policy") || strings.Contains(k, "policy") {
			t.Errorf("answer %v carries Tollgate's text", got)
		}
	}
	if !strings.Contains(logs.String(), detail) || !strings.Contains(logs.String(), "status 503") {
		t.Errorf("log = %s, want the status and Tollgate's message", logs.String())
	}
	if strings.Contains(logs.String(), "+447700900123") {
		t.Errorf("log = %s, want no caller number", logs.String())
	}
}

func TestHandleBadEventLogMasksNumbers(t *testing.T) {
	srv := httptest.NewServer(&tollgate{t: t, secret: []byte(testSecret), answer: answerJSON(200, `{"result":"allow"}`)})
	defer srv.Close()

	// A payload that is no JSON object: logged as a snippet.
	payload := `[{"Name":"ContactFlowEvent","Details":{"ContactData":{"CustomerEndpoint":{"Address":"+447700900123","Type":"TELEPHONE_NUMBER"}}}}]`
	var logs bytes.Buffer
	invoke(t, newTestBridge(srv.URL, time.Second, &logs), []byte(payload))
	if !strings.Contains(logs.String(), "not a Connect event") || !strings.Contains(logs.String(), "+4477******23") {
		t.Errorf("log = %s, want the payload with its number masked", logs.String())
	}
	if strings.Contains(logs.String(), "447700900123") {
		t.Errorf("log = %s, want no caller number", logs.String())
	}
}

// TestHandleFieldsOfOtherTypes forwards events whose fields have other JSON
// types than events.ConnectEvent expects, such as the admin guide's older
// sample with "Queue": "QueueName": the fields are ignored, the event is
// forwarded byte for byte and Tollgate's answer handed back.
func TestHandleFieldsOfOtherTypes(t *testing.T) {
	for _, payload := range []string{
		`{"Name":"ContactFlowEvent","Details":{"ContactData":{"Attributes":{},"Channel":"VOICE","ContactId":"5ca32fbd","CustomerEndpoint":{"Address":"+1234567890","Type":"TELEPHONE_NUMBER"},"InitialContactId":"5ca32fbd","InitiationMethod":"INBOUND","InstanceARN":"arn:aws:connect:us-east-1:123456789012:instance/9308c2a1","PreviousContactId":"5ca32fbd","Queue":"QueueName","SystemEndpoint":{"Address":"+1234567890","Type":"TELEPHONE_NUMBER"}},"Parameters":{"action":"screen"}}}`,
		`{"Name":7,"Details":{"ContactData":{"ContactId":"c-2","Attributes":{"n":5}},"Parameters":{"action":"screen","n":1}}}`,
	} {
		tg := &tollgate{t: t, secret: []byte(testSecret), wantBody: []byte(payload), answer: answerJSON(200, `{"result":"ok","verdict":"pass"}`)}
		srv := httptest.NewServer(tg)
		var logs bytes.Buffer
		got := invoke(t, newTestBridge(srv.URL, time.Second, &logs), []byte(payload))
		srv.Close()
		if want := map[string]string{"result": "ok", "verdict": "pass"}; !maps.Equal(got, want) {
			t.Errorf("payload %s: answer = %v, want %v", payload, got, want)
		}
		if n := tg.calls.Load(); n != 1 {
			t.Errorf("payload %s: Tollgate called %d times, want 1", payload, n)
		}
		if !strings.Contains(logs.String(), "ignored") {
			t.Errorf("payload %s: log = %s, want the ignored field named", payload, logs.String())
		}
	}
}
