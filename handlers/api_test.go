package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
)

// decodeError parses an error response body.
func decodeError(t *testing.T, body string) respond.ErrorBody {
	t.Helper()
	var resp respond.ErrorResponse
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&resp); err != nil {
		t.Fatalf("error body %q is not {\"error\":{...}}: %v", body, err)
	}
	if resp.Error.Message == "" {
		t.Errorf("error body %q has no message", body)
	}
	return resp.Error
}

func TestCallbackCreateAllow(t *testing.T) {
	h := newHarness(t, risk.Allow)
	rec := h.postJSON(t, `{"phone":"`+testPhone+`","name":"Ann","flow":"sales","reason":"My order"}`)

	if got, want := rec.Code, http.StatusAccepted; got != want {
		t.Fatalf("status = %d, want %d; body %s", got, want, rec.Body)
	}
	if got, want := rec.Body.String(), `{"status":"accepted","id":"`+testID+`"}`+"\n"; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	if got, want := rec.Header().Get("Content-Type"), "application/json"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	if got, want := len(h.requests), 1; got != want {
		t.Fatalf("engine calls = %d, want %d", got, want)
	}
	req := h.requests[0]
	if got, want := req.Phone, testPhone; got != want {
		t.Errorf("engine phone = %q, want %q", got, want)
	}
	if got, want := req.Flow, "sales"; got != want {
		t.Errorf("engine flow = %q, want %q", got, want)
	}
	if got, want := len(h.calls), 1; got != want {
		t.Fatalf("calls submitted = %d, want %d", got, want)
	}
	wantCall := dispatch.Call{
		ID:      testID,
		Number:  testNumber,
		Country: "GB",
		Name:    "Ann",
		Flow:    "sales",
		Attributes: map[string]string{
			"score":          "35",
			"reasons":        "ip_country_mismatch,mobile_number",
			"number_country": "GB",
			"number_type":    "mobile",
			"ip_country":     "FR",
			"visitor_reason": "My order",
		},
		RequestedAt: testDecision(risk.Allow, risk.Request{}).At,
	}
	if got := h.calls[0]; !reflect.DeepEqual(got, wantCall) {
		t.Errorf("call = %+v, want %+v", got, wantCall)
	}
}

func TestCallbackCreateBlockQueuesNoCall(t *testing.T) {
	h := newHarness(t, risk.Block)
	rec := h.postJSON(t, `{"phone":"`+testPhone+`"}`)
	if got, want := rec.Code, http.StatusAccepted; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got, want := rec.Body.String(), `{"status":"accepted","id":"`+testID+`"}`+"\n"; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	if got, want := len(h.calls), 0; got != want {
		t.Errorf("calls submitted = %d, want %d", got, want)
	}
	if got, want := h.recorded, []risk.Action{risk.Block}; !reflect.DeepEqual(got, want) {
		t.Errorf("recorded %v, want %v: a blocked decision is recorded like an allowed one", got, want)
	}
}

func TestCallbackCreateAllowAndBlockLookAlike(t *testing.T) {
	const body = `{"phone":"` + testPhone + `","name":"Ann"}`
	assertLookAlike(t, newHarness(t, risk.Allow).postJSON(t, body), newHarness(t, risk.Block).postJSON(t, body))
}

func TestCallbackCreateDeflect(t *testing.T) {
	tests := []struct {
		name    string
		deflect Deflection
		want    string
	}{
		{
			name:    "all alternatives",
			deflect: Deflection{ChatURL: "https://example.com/chat", Phone: "+44 20 7946 0000", Hours: "Mon-Fri 9-17"},
			want:    `{"status":"deflected","alternatives":{"chat_url":"https://example.com/chat","phone":"+44 20 7946 0000","hours":"Mon-Fri 9-17"}}`,
		},
		{
			name:    "chat only",
			deflect: Deflection{ChatURL: "https://example.com/chat"},
			want:    `{"status":"deflected","alternatives":{"chat_url":"https://example.com/chat"}}`,
		},
		{
			name: "none configured",
			want: `{"status":"deflected","alternatives":{}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, risk.Deflect, func(h *harness) { h.deps.Channels = func() Deflection { return tt.deflect } })
			rec := h.postJSON(t, `{"phone":"`+testPhone+`"}`)
			if got, want := rec.Code, http.StatusOK; got != want {
				t.Fatalf("status = %d, want %d", got, want)
			}
			if got, want := rec.Body.String(), tt.want+"\n"; got != want {
				t.Errorf("body = %s, want %s", got, want)
			}
			if got, want := len(h.calls), 0; got != want {
				t.Errorf("calls submitted = %d, want %d", got, want)
			}
			if strings.Contains(strings.ToLower(rec.Body.String()), "risk") {
				t.Errorf("body %s mentions risk", rec.Body)
			}
		})
	}
}

func TestCallbackCreateRejectsBadInput(t *testing.T) {
	long := func(n int) string { return strings.Repeat("7", n) }
	tests := []struct {
		name        string
		contentType string // "-" for none
		body        string
		chunked     bool
		wantStatus  int
		wantCode    string
		wantField   string
	}{
		{"no content type", "-", `{"phone":"1"}`, false, 415, "unsupported_media_type", ""},
		{"text/plain", "text/plain", `{"phone":"1"}`, false, 415, "unsupported_media_type", ""},
		{"form content type", "application/x-www-form-urlencoded", `phone=1`, false, 415, "unsupported_media_type", ""},
		{"bad media type", "application/json; =", `{"phone":"1"}`, false, 415, "unsupported_media_type", ""},
		{"latin1 charset", "application/json; charset=iso-8859-1", `{"phone":"1"}`, false, 415, "unsupported_media_type", ""},
		{"empty body", "", ``, false, 400, "malformed_json", ""},
		{"whitespace body", "", "  \n", false, 400, "malformed_json", ""},
		{"truncated", "", `{"phone":"1"`, false, 400, "malformed_json", ""},
		{"truncated string", "", `{"phone":"1`, false, 400, "malformed_json", ""},
		{"syntax", "", `{phone:"1"}`, false, 400, "malformed_json", ""},
		{"not json", "", `phone=1`, false, 400, "malformed_json", ""},
		{"unknown field", "", `{"phone":"1","email":"a@b.c"}`, false, 400, "unknown_field", ""},
		{"phone number type", "", `{"phone":447700900123}`, false, 400, "wrong_type", "phone"},
		{"name object", "", `{"phone":"1","name":{"first":"Ann"}}`, false, 400, "wrong_type", "name"},
		{"flow bool", "", `{"phone":"1","flow":true}`, false, 400, "wrong_type", "flow"},
		{"top-level array", "", `[{"phone":"1"}]`, false, 400, "wrong_type", ""},
		{"top-level string", "", `"+447700900123"`, false, 400, "wrong_type", ""},
		{"second object", "", `{"phone":"1"} {"phone":"2"}`, false, 400, "trailing_data", ""},
		{"trailing garbage", "", `{"phone":"1"}x`, false, 400, "trailing_data", ""},
		{"trailing brace", "", `{"phone":"1"}}`, false, 400, "trailing_data", ""},
		{"invalid utf-8 in name", "", "{\"phone\":\"1\",\"name\":\"Ann\xff\"}", false, 400, "invalid_utf8", ""},
		{"invalid utf-8 in phone", "", "{\"phone\":\"\xc3\x28\"}", false, 400, "invalid_utf8", ""},
		{"missing phone", "", `{"name":"Ann"}`, false, 422, "missing_phone", "phone"},
		{"null phone", "", `{"phone":null}`, false, 422, "missing_phone", "phone"},
		{"blank phone", "", `{"phone":"   "}`, false, 422, "missing_phone", "phone"},
		{"empty object", "", `{}`, false, 422, "missing_phone", "phone"},
		{"null body", "", `null`, false, 422, "missing_phone", "phone"},
		{"phone too long", "", `{"phone":"` + long(65) + `"}`, false, 422, "phone_too_long", "phone"},
		{"name too long", "", `{"phone":"1","name":"` + strings.Repeat("é", 101) + `"}`, false, 422, "name_too_long", "name"},
		{"name with control", "", `{"phone":"1","name":"Ann\u0000"}`, false, 422, "invalid_name", "name"},
		{"bad flow", "", `{"phone":"1","flow":"../etc"}`, false, 422, "invalid_flow", "flow"},
		{"dot flow", "", `{"phone":"1","flow":"."}`, false, 422, "invalid_flow", "flow"},
		{"dot-dot flow", "", `{"phone":"1","flow":".."}`, false, 422, "invalid_flow", "flow"},
		{"oversized", "", `{"phone":"1","name":"` + strings.Repeat("a", 70<<10) + `"}`, false, 413, "body_too_large", ""},
		{"oversized chunked", "", `{"phone":"1","name":"` + strings.Repeat("a", 70<<10) + `"}`, true, 413, "body_too_large", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, risk.Allow)
			header := http.Header{"Content-Type": {"application/json"}}
			switch tt.contentType {
			case "-":
				header = http.Header{}
			case "":
			default:
				header.Set("Content-Type", tt.contentType)
			}
			var body = strings.NewReader(tt.body)
			r := request{method: http.MethodPost, path: "/api/v1/callbacks", body: body, header: header}
			if tt.chunked {
				r.body = struct{ *strings.Reader }{body} // hides the length, as a chunked body would
			}
			rec := h.do(t, r)
			if got, want := rec.Code, tt.wantStatus; got != want {
				t.Fatalf("status = %d, want %d; body %s", got, want, rec.Body)
			}
			if got, want := rec.Header().Get("Content-Type"), "application/json"; got != want {
				t.Errorf("Content-Type = %q, want %q", got, want)
			}
			e := decodeError(t, rec.Body.String())
			if got, want := e.Code, tt.wantCode; got != want {
				t.Errorf("code = %q, want %q (message %q)", got, want, e.Message)
			}
			if got, want := e.Field, tt.wantField; got != want {
				t.Errorf("field = %q, want %q", got, want)
			}
			if got, want := len(h.requests), 0; got != want {
				t.Errorf("engine calls = %d, want %d", got, want)
			}
		})
	}
}

func TestCallbackCreateUnknownFieldMessage(t *testing.T) {
	h := newHarness(t, risk.Allow)
	rec := h.postJSON(t, `{"phone":"1","`+strings.Repeat("x", 500)+`":1}`)
	e := decodeError(t, rec.Body.String())
	if got, want := e.Code, "unknown_field"; got != want {
		t.Errorf("code = %q, want %q", got, want)
	}
	if got := len(e.Message); got > 200 {
		t.Errorf("message is %d bytes long, want the field name cut short", got)
	}
}

func TestCallbackCreateInvalidNumber(t *testing.T) {
	h := newHarness(t, risk.Allow, evaluateWith(func(ctx context.Context, req risk.Request) (risk.Decision, error) {
		return risk.Decision{}, fmt.Errorf("parsing: %w", &risk.NumberError{Problem: "The number is too short."})
	}))
	rec := h.postJSON(t, `{"phone":"+44 12"}`)
	if got, want := rec.Code, http.StatusUnprocessableEntity; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got, want := rec.Body.String(), `{"error":{"code":"invalid_phone","message":"The number is too short.","field":"phone"}}`+"\n"; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	if got, want := len(h.calls), 0; got != want {
		t.Errorf("calls submitted = %d, want %d", got, want)
	}
}

// A failing engine gives the fail mode's answer, what a customer sees for
// that action, never a 5xx; the internal error is logged, not sent.
func TestCallbackCreateEngineFailure(t *testing.T) {
	tests := []struct {
		mode       FormFailMode
		wantStatus int
		wantBody   string
		wantCalls  int
	}{
		{"", http.StatusOK, `"status":"deflected"`, 0},
		{FailDeflect, http.StatusOK, `"status":"deflected"`, 0},
		{FailBlock, http.StatusAccepted, `{"status":"accepted","id":"` + testIDFallback + `"}`, 0},
		{FailAllow, http.StatusAccepted, `{"status":"accepted","id":"` + testIDFallback + `"}`, 1},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			var observed []string
			h := newHarness(t, risk.Allow, evaluateWith(func(ctx context.Context, req risk.Request) (risk.Decision, error) {
				return risk.Decision{}, errors.New("dial tcp 10.0.0.7:6379: connection refused")
			}), func(h *harness) {
				h.deps.Faults = Faults{Form: tt.mode, ObserveFallback: func(surface, mode string) { observed = append(observed, surface+"/"+mode) }}
			})
			rec := h.postJSON(t, `{"phone":"`+testPhone+`"}`)
			if got, want := rec.Code, tt.wantStatus; got != want {
				t.Fatalf("status = %d, want %d", got, want)
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("body = %s, want it to hold %s", rec.Body, tt.wantBody)
			}
			if strings.Contains(rec.Body.String(), "10.0.0.7") || strings.Contains(rec.Body.String(), "refused") {
				t.Errorf("body %s leaks the internal error", rec.Body)
			}
			if !strings.Contains(h.logs.String(), "connection refused") {
				t.Errorf("log does not hold the internal error:\n%s", h.logs)
			}
			mode := string(tt.mode)
			if mode == "" {
				mode = string(FailDeflect)
			}
			if got, want := observed, []string{"api/" + mode}; !slices.Equal(got, want) {
				t.Errorf("fallbacks observed = %v, want %v", got, want)
			}
			lines := logLines(t, h.logs.String(), "decision")
			if len(lines) != 1 || !strings.Contains(fmt.Sprint(lines[0]["reasons"]), risk.CodeStoreUnavailable) {
				t.Errorf("decision log lines = %v, want one with reason %s", lines, risk.CodeStoreUnavailable)
			}
			if got, want := len(h.calls), tt.wantCalls; got != want {
				t.Errorf("calls queued = %d, want %d", got, want)
			}
		})
	}
}

// Under the allow fail mode, a call the queue cannot store is not claimed
// as accepted: the visitor is offered the other channels.
func TestCallbackCreateFailAllowQueueDown(t *testing.T) {
	h := newHarness(t, risk.Allow, evaluateWith(func(ctx context.Context, req risk.Request) (risk.Decision, error) {
		return risk.Decision{}, errors.New("redis: connection refused")
	}), func(h *harness) {
		h.deps.Faults = Faults{Form: FailAllow}
		h.deps.Calls.(*fakeQueue).RecordFunc = func(context.Context, risk.Decision, *dispatch.Call) error {
			return fmt.Errorf("%w: connection refused", dispatch.ErrNotRecorded)
		}
	})
	rec := h.postJSON(t, `{"phone":"`+testPhone+`"}`)
	if got, want := rec.Code, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if !strings.Contains(rec.Body.String(), `"status":"deflected"`) {
		t.Errorf("body = %s, want a deflection", rec.Body)
	}
	lines := logLines(t, h.logs.String(), "decision")
	if len(lines) != 1 || lines[0]["action"] != "deflect" {
		t.Errorf("decision log lines = %v, want one deflection", lines)
	}
}

// A slow engine is cut off at the decision budget and the fail mode
// answers.
func TestCallbackCreateBudget(t *testing.T) {
	var left time.Duration
	h := newHarness(t, risk.Allow, evaluateWith(func(ctx context.Context, req risk.Request) (risk.Decision, error) {
		if dl, ok := ctx.Deadline(); ok {
			left = time.Until(dl)
		}
		<-ctx.Done()
		return risk.Decision{}, ctx.Err()
	}), func(h *harness) { h.deps.Faults = Faults{Budget: 50 * time.Millisecond} })
	// Without the budget the engine would wait for the request's own end:
	// give it one, so the test fails rather than hangs.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	rec := h.do(t, request{method: http.MethodPost, path: "/api/v1/callbacks", body: strings.NewReader(`{"phone":"` + testPhone + `"}`),
		header: http.Header{"Content-Type": {"application/json"}}, ctx: ctx})
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("answered after %v; the engine was not cut off at the 50ms budget", took)
	}
	if left <= 0 || left > 50*time.Millisecond {
		t.Errorf("engine's deadline %v away, want within the 50ms budget", left)
	}
	if got, want := rec.Code, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if !strings.Contains(h.logs.String(), "context deadline exceeded") {
		t.Errorf("log does not hold the deadline:\n%s", h.logs)
	}
}

func TestCallbackCreateUnknownAction(t *testing.T) {
	h := newHarness(t, risk.Action("maybe"))
	rec := h.postJSON(t, `{"phone":"`+testPhone+`"}`)
	if got, want := rec.Code, http.StatusInternalServerError; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got, want := len(h.calls), 0; got != want {
		t.Errorf("calls submitted = %d, want %d", got, want)
	}
}

// A store that cannot record fails allow and block alike, with the fail
// mode's answer, so the failure tells nothing. An allowed request's lock is released, off the request
// path, only when the call surely was not queued; after an unclear failure
// it holds the number until its TTL, so a retry cannot place a second call.
func TestCallbackCreateRecordFailure(t *testing.T) {
	notRecorded := fmt.Errorf("%w: dial tcp: connection refused", dispatch.ErrNotRecorded)
	unclear := errors.New("read tcp: i/o timeout")
	tests := []struct {
		action  risk.Action
		err     error
		release bool
	}{
		{risk.Allow, notRecorded, true},
		{risk.Allow, unclear, false},
		{risk.Block, notRecorded, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.action)+"/"+tt.err.Error(), func(t *testing.T) {
			unblock := make(chan struct{})
			released := make(chan string, 1)
			h := newHarness(t, tt.action, func(h *harness) {
				h.deps.Calls.(*fakeQueue).RecordFunc = func(context.Context, risk.Decision, *dispatch.Call) error { return tt.err }
				h.deps.Engine.(*fakeEngine).ReleaseFunc = func(ctx context.Context, number, id string) error {
					<-unblock
					released <- number + "/" + id
					return nil
				}
			})
			answered := make(chan *httptest.ResponseRecorder, 1)
			go func() { answered <- h.postJSON(t, `{"phone":"`+testPhone+`"}`) }()
			var rec *httptest.ResponseRecorder
			select {
			case rec = <-answered:
			case <-time.After(2 * time.Second):
				t.Fatal("the response waited for the lock release")
			}
			close(unblock)
			if got, want := rec.Code, http.StatusOK; got != want {
				t.Errorf("status = %d, want %d (the deflect fail mode)", got, want)
			}
			if strings.Contains(rec.Body.String(), "connection refused") || strings.Contains(rec.Body.String(), "timeout") {
				t.Errorf("body %s leaks the store error", rec.Body)
			}
			select {
			case got := <-released:
				if !tt.release {
					t.Errorf("released %s, want the lock kept", got)
				} else if want := testNumber + "/" + testID; got != want {
					t.Errorf("released %s, want %s", got, want)
				}
			case <-time.After(300 * time.Millisecond):
				if tt.release {
					t.Error("the lock was not released")
				}
			}
		})
	}
}

func TestPanicBecomesLogged500(t *testing.T) {
	h := newHarness(t, risk.Allow, evaluateWith(func(ctx context.Context, req risk.Request) (risk.Decision, error) {
		panic("engine exploded")
	}))
	rec := h.postJSON(t, `{"phone":"`+testPhone+`"}`)
	if got, want := rec.Code, http.StatusInternalServerError; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got, want := decodeError(t, rec.Body.String()).Code, "internal"; got != want {
		t.Errorf("code = %q, want %q", got, want)
	}
	if strings.Contains(rec.Body.String(), "exploded") {
		t.Errorf("body %s leaks the panic", rec.Body)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "engine exploded") || !strings.Contains(logs, `"stack":`) {
		t.Errorf("log does not hold the panic and its stack:\n%s", logs)
	}
}
