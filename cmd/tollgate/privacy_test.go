package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestLogsMaskNumbers runs a callback that fails and is given up, an
// impossible number, an IVR screening with a wrong code and a call-end
// report through the real server, and checks that its log never holds a
// full phone number, in any of the forms it was sent in.
func TestLogsMaskNumbers(t *testing.T) {
	const key = "flow-key-0123456789abcdefgh"
	base, logs, adm := startTollgateAdmin(t, "TOLLGATE_FLOW_API_KEY="+key, "TOLLGATE_SIMULATOR_OUTCOME=failed", "TOLLGATE_DIAL_MAX_ATTEMPTS=1")

	status, body := postJSON(t, base+"/api/v1/callbacks", `{"phone":"+1 201 555 0123","name":"Ann"}`)
	var accepted struct{ ID string }
	if err := json.Unmarshal([]byte(body), &accepted); err != nil || status != http.StatusAccepted {
		t.Fatalf("callback: got %d %s, want 202", status, body)
	}
	// A worker logs that it gives a call up before it records the call
	// dead: once the call is dead, the log holds that line.
	if d := adm.waitDecision(t, accepted.ID, "with its call settled", callSettled); d.Call.State != callDead {
		t.Fatalf("call of the failing callback: got %q, want %s", d.Call.State, callDead)
	}

	if status, body := postJSON(t, base+"/api/v1/callbacks", `{"phone":"+1 201 555 01234567"}`); status != http.StatusUnprocessableEntity {
		t.Errorf("impossible number: got %d %s, want 422", status, body)
	}

	if status, body := postJSON(t, base+"/api/v1/challenges", `{"caller":"+12015550124","flow":"support","contact_id":"c-1"}`, "Authorization", "Bearer "+key); status != http.StatusOK {
		t.Fatalf("screening: got %d %s, want 200", status, body)
	}
	// A withheld caller is always challenged: the wrong codes, keyed with
	// the caller's number, are certain to be checked and to fail.
	status, body = postJSON(t, base+"/api/v1/challenges", `{"caller":"anonymous","flow":"support","contact_id":"c-2"}`, "Authorization", "Bearer "+key)
	var screened struct {
		Verdict     string `json:"verdict"`
		ChallengeID string `json:"challenge_id"`
		Code        string `json:"code"`
	}
	if err := json.Unmarshal([]byte(body), &screened); err != nil || status != http.StatusOK || screened.ChallengeID == "" {
		t.Fatalf("withheld caller's screening: got %d %s, want 200 with a challenge", status, body)
	}
	wrong := "0000"
	if screened.Code == wrong {
		wrong = "1111"
	}
	result := ""
	for range 3 {
		status, body = postJSON(t, base+"/api/v1/challenges/"+screened.ChallengeID+"/verify", `{"digits":"`+wrong+`","caller":"+12015550124","contact_id":"c-2"}`, "Authorization", "Bearer "+key)
		if status != http.StatusOK {
			t.Fatalf("verify: got %d %s, want 200", status, body)
		}
		result = body
	}
	if !strings.Contains(result, `"result":"fail"`) {
		t.Errorf("third wrong code: %s, want fail", result)
	}
	if status, body := postJSON(t, base+"/api/v1/calls/"+accepted.ID+"/end", `{"outcome":"answered"}`, "Authorization", "Bearer "+key); status >= 500 {
		t.Errorf("call end: got %d %s", status, body)
	}
	// The log is the subject: the screening's line is checked below.
	logs.waitFor(t, "caller screened", nil)

	out := logs.String()
	for _, raw := range []string{"2015550123", "201 555 0123", "2015550124", "20155501234567", "201 555 01234567"} {
		if strings.Contains(out, raw) {
			t.Errorf("log holds %q:\n%s", raw, out)
		}
	}
	for _, masked := range []string{"+1201*****23", "+1201*****24"} {
		if !strings.Contains(out, masked) {
			t.Errorf("log does not hold the masked number %s: the flow did not log what it should", masked)
		}
	}
}
