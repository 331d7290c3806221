package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/ivr"
	"github.com/tollgate/tollgate/risk/redistest"
)

// TestChallengeOtherContact keys a stored code, right and wrong, in calls
// other than the one it was issued for, through the JSON API, Twilio and
// Amazon Connect: each is unknown and costs the challenge no attempt, and
// the code still passes in its own call.
func TestChallengeOtherContact(t *testing.T) {
	t.Parallel()
	redistest.Each(t, testChallengeOtherContact)
}

func testChallengeOtherContact(t *testing.T, rdb redis.UniversalClient) {
	st := newStackOn(t, rdb, nil, &dispatch.Simulator{}, withTelephony)

	t.Run("JSON API", func(t *testing.T) {
		status, ch, _ := st.postJSON(t, "/api/v1/challenges", `{"caller":"+12015550150","flow":"support","contact_id":"call-a"}`, testFlowKey)
		id, code := ch["challenge_id"].(string), ch["code"].(string)
		if status != http.StatusOK || ch["verdict"] != "challenge" {
			t.Fatalf("screen: %d %v, want a challenge", status, ch)
		}
		verify := func(contact, digits string) (int, map[string]any) {
			t.Helper()
			body := `{"digits":"` + digits + `","caller":"+12015550150"`
			if contact != "" {
				body += `,"contact_id":"` + contact + `"`
			}
			status, got, _ := st.postJSON(t, "/api/v1/challenges/"+id+"/verify", body+"}", testFlowKey)
			return status, got
		}
		for range 4 {
			for _, digits := range []string{code, otherCode(code)} {
				if status, got := verify("call-b", digits); status != http.StatusOK || got["result"] != "unknown" || got["attempts_left"] != 0.0 {
					t.Errorf("code keyed in another call: got %d %v, want 200 unknown with 0 left", status, got)
				}
			}
		}
		if status, got := verify("", code); status != http.StatusBadRequest || got["error"].(map[string]any)["field"] != "contact_id" {
			t.Errorf("verify without contact_id: got %d %v, want 400 on contact_id", status, got)
		}
		if status, got := verify("call-a", otherCode(code)); status != http.StatusOK || got["result"] != "retry" || got["attempts_left"] != 2.0 {
			t.Errorf("wrong code in its own call: got %d %v, want retry with 2 left", status, got)
		}
		if _, got := verify("call-a", code); got["result"] != "pass" {
			t.Errorf("right code in its own call: got %v, want pass", got)
		}
	})

	t.Run("Twilio", func(t *testing.T) {
		const caller = "+12015550151"
		action, code := gathered(t, twilioPost(t, st.echo, ivr.TwilioVoicePath+"?flow=support",
			url.Values{"CallSid": {"CA-a"}, "From": {caller}, "To": {"+12015550100"}}))
		keyed := func(sid, digits string) string {
			return twilioPost(t, st.echo, action, url.Values{"CallSid": {sid}, "From": {caller}, "Digits": {digits}})
		}
		for range 3 {
			if doc := keyed("CA-b", code); !strings.Contains(doc, ivr.SayGoodbye) {
				t.Errorf("right code in another call: got %s, want goodbye", doc)
			}
		}
		if doc := keyed("CA-a", code); !strings.Contains(doc, "<Enqueue>support</Enqueue>") {
			t.Errorf("right code in its own call: got %s, want the call continued", doc)
		}
	})

	t.Run("Amazon Connect", func(t *testing.T) {
		now := time.Now()
		in := func(contact string, params map[string]string) (int, map[string]string) {
			ev := connectEvent("+12015550152", params)
			ev.Details.ContactData.ContactID = contact
			return postConnect(t, st.echo, ev, testBridgeSecret, now)
		}
		_, got := in("contact-a", map[string]string{"action": "screen", "flow": "support"})
		id, code := got["challenge_id"], got["code"]
		if got["verdict"] != "challenge" {
			t.Fatalf("screen: %v, want a challenge", got)
		}
		verify := map[string]string{"action": "verify", "flow": "support", "challenge_id": id}
		for _, digits := range []string{code, otherCode(code), otherCode(code), otherCode(code)} {
			verify["digits"] = digits
			if _, got := in("contact-b", verify); got["result"] != "unknown" || got["attempts_left"] != "0" {
				t.Errorf("code keyed in another contact: got %v, want unknown with 0 left", got)
			}
		}
		verify["digits"] = code
		if _, got := in("contact-a", verify); got["result"] != "pass" || got["attempts_left"] != "2" {
			t.Errorf("right code in its own contact: got %v, want pass with 2 left", got)
		}
	})
}

// otherCode returns a code of code's length that is not code.
func otherCode(code string) string {
	if strings.Repeat("0", len(code)) == code {
		return strings.Repeat("1", len(code))
	}
	return strings.Repeat("0", len(code))
}
