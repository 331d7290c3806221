package contactflows

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
	"testing"
)

// twilioSign computes Twilio's webhook signature independently of
// twilio-go: base64 of HMAC-SHA1, keyed with the auth token, over the URL
// followed by each parameter's name and value sorted by name.
func twilioSign(authToken, fullURL string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	data := fullURL
	for _, k := range keys {
		data += k + params[k]
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(data))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestValidTwilioSignature(t *testing.T) {
	const token = "9a8b7c6d5e4f30211203f4e5d6c7b8a9"
	const statusURL = "https://callbacks.example.com/twilio/status?id=dec_01J9ZK3V6Q8W"
	form := map[string]string{
		"AccountSid":   "AC0123456789abcdef0123456789abcdef",
		"CallSid":      "CAe1644a7eed5088b159577c5802d8be38",
		"CallStatus":   "completed",
		"CallDuration": "42",
		"To":           "+447700900123",
		"From":         "+442079460000",
	}
	values := func(m map[string]string) url.Values {
		v := url.Values{}
		for k, s := range m {
			v.Set(k, s)
		}
		return v
	}
	sig := twilioSign(token, statusURL, form)

	tampered := values(form)
	tampered.Set("CallStatus", "busy")
	repeated := values(form)
	repeated.Add("CallStatus", "busy")
	getURL := "https://callbacks.example.com/twilio/outbound?id=dec_01J9ZK3V6Q8W&CallStatus=ringing"

	tests := []struct {
		name      string
		token     string
		url       string
		params    url.Values
		signature string
		want      bool
	}{
		{"valid POST", token, statusURL, values(form), sig, true},
		{"valid GET", token, getURL, nil, twilioSign(token, getURL, nil), true},
		{"default port written out", token, "https://callbacks.example.com:443/twilio/status?id=dec_01J9ZK3V6Q8W", values(form), sig, true},
		{"parameter changed", token, statusURL, tampered, sig, false},
		{"parameter repeated", token, statusURL, repeated, sig, false},
		{"parameter dropped", token, statusURL, url.Values{"CallStatus": {"completed"}}, sig, false},
		{"other URL", token, "https://callbacks.example.com/twilio/status?id=dec_other", values(form), sig, false},
		{"other token", "0000000000000000000000000000000a", statusURL, values(form), sig, false},
		{"no signature", token, statusURL, values(form), "", false},
		{"no token", "", statusURL, values(form), twilioSign("", statusURL, form), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := ValidTwilioSignature(tt.token, tt.url, tt.params, tt.signature), tt.want; got != want {
				t.Errorf("ValidTwilioSignature = %v, want %v", got, want)
			}
		})
	}
}
