package handlers

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/contactflows/flowsig"
	"github.com/tollgate/tollgate/handlers/ivr"
)

// FuzzConnectEvent feeds the Amazon Connect endpoint arbitrary, correctly
// signed bodies: it must answer without a panic or a 5xx, and a 200 is the
// flat map of strings a flow reads, every value only letters, digits, '-'
// and '_'.
//
//	go test ./handlers -run '^$' -fuzz '^FuzzConnectEvent$' -fuzztime 30s
func FuzzConnectEvent(f *testing.F) {
	ev, _ := json.Marshal(connectEvent("+12015550150", map[string]string{"action": "screen"}))
	for _, seed := range []string{string(ev), "", "{}", "null", `{"Details":{"Parameters":{"action":"verify","challenge_id":"x","digits":"\u0000"}}}`,
		`{"Details":{"ContactData":{"CustomerEndpoint":{"Address":"` + strings.Repeat("9", 500) + `"}},"Parameters":{"action":"screen","flow":"é"}}}`,
		`{"Details":{"Parameters":{"action":"complete","callback_id":"` + strings.Repeat("a", 100) + `"}}}`} {
		f.Add(seed)
	}
	e, _ := ivrServer(f)
	f.Fuzz(func(t *testing.T, body string) {
		now := time.Now()
		req := httptest.NewRequest(http.MethodPost, "/flows/connect", strings.NewReader(body))
		req.Header.Set(flowsig.HeaderTimestamp, flowsig.Timestamp(now))
		req.Header.Set(flowsig.HeaderSignature, flowsig.Sign(testBridgeSecret, now, []byte(body)))
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Errorf("body %q: status %d %s", body, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusOK {
			return
		}
		var answer map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
			t.Fatalf("body %q: answer %s is not a flat map of strings: %v", body, rec.Body, err)
		}
		for k, v := range answer {
			if !connectValue.MatchString(v) {
				t.Errorf("body %q: answer %s = %q holds what a flow cannot read", body, k, v)
			}
		}
	})
}

// connectValue is what an Amazon Connect flow accepts in a Lambda answer.
var connectValue = regexp.MustCompile(`^[A-Za-z0-9_-]*$`)

// FuzzTwilioVoice feeds the Twilio voice webhooks arbitrary, correctly
// signed form bodies and queries: no panic, no 5xx, and a 200 is a
// well-formed TwiML document.
//
//	go test ./handlers -run '^$' -fuzz '^FuzzTwilioVoice$' -fuzztime 30s
func FuzzTwilioVoice(f *testing.F) {
	for _, seed := range []struct{ path, body string }{
		{ivr.TwilioVoicePath + "?flow=support", "CallSid=CA1&From=%2B12015550150"},
		{ivr.TwilioVoicePath, "From=anonymous&StirVerstat=TN-Validation-Failed"},
		{ivr.TwilioVerifyPath + "?challenge=x&code=1234", "Digits=12%2334&From=%2B1"},
		{ivr.TwilioVerifyPath + "?code=" + strings.Repeat("9", 200), "Digits=" + strings.Repeat("%00", 40)},
		{ivr.TwilioVoicePath + "?flow=%ff", "%zz=&&=="},
	} {
		f.Add(seed.path, seed.body)
	}
	e, _ := ivrServer(f)
	f.Fuzz(func(t *testing.T, path, body string) {
		if _, err := url.ParseRequestURI(path); err != nil || !strings.HasPrefix(path, ivr.TwilioVoicePath) || strings.ContainsAny(path, " \r\n#") {
			t.Skip() // not a request a client can send
		}
		parsed := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		parsed.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if err := parsed.ParseForm(); err == nil {
			req.Header.Set("X-Twilio-Signature", twilioSign(testTwilioToken, testPublicURL+parsed.URL.RequestURI(), parsed.PostForm))
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Errorf("%s %q: status %d %s", path, body, rec.Code, rec.Body)
		}
		if rec.Code == http.StatusOK {
			if err := wellFormedXML(rec.Body.Bytes()); err != nil || !strings.Contains(rec.Body.String(), "<Response>") {
				t.Errorf("%s %q: TwiML %s: %v", path, body, rec.Body, err)
			}
		}
	})
}

// wellFormedXML reports the first syntax error of doc, or nil.
func wellFormedXML(doc []byte) error {
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
