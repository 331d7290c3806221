package dispatch

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twilio/twilio-go/client"
)

const (
	testTwilioAccount = "AC0123456789abcdef0123456789abcdef"
	testTwilioToken   = "9a8b7c6d5e4f30211203f4e5d6c7b8a9"
)

// testTwilioConfig is a valid auth-token configuration pointed at baseURL.
func testTwilioConfig(baseURL string) TwilioConfig {
	return TwilioConfig{
		AccountSID: testTwilioAccount,
		AuthToken:  testTwilioToken,
		From:       "+442079460000",
		PublicURL:  "https://callbacks.example.com",
		BaseURL:    baseURL,
	}
}

// twilioCreated is the Calls API's documented 201 answer for a new call.
func twilioCreated(sid string) reply {
	return reply{
		Status: 201,
		Header: map[string]string{"Content-Type": "application/json; charset=utf-8"},
		Body: `{
  "account_sid": "` + testTwilioAccount + `",
  "annotation": null,
  "answered_by": null,
  "api_version": "2010-04-01",
  "caller_name": null,
  "date_created": null,
  "date_updated": null,
  "direction": "outbound-api",
  "duration": null,
  "end_time": null,
  "forwarded_from": null,
  "from": "+442079460000",
  "from_formatted": "+44 20 7946 0000",
  "group_sid": null,
  "parent_call_sid": null,
  "phone_number_sid": "PN0123456789abcdef0123456789abcdef",
  "price": null,
  "price_unit": "USD",
  "sid": "` + sid + `",
  "start_time": null,
  "status": "queued",
  "subresource_uris": {
    "notifications": "/2010-04-01/Accounts/` + testTwilioAccount + `/Calls/` + sid + `/Notifications.json",
    "recordings": "/2010-04-01/Accounts/` + testTwilioAccount + `/Calls/` + sid + `/Recordings.json"
  },
  "to": "+447700900123",
  "to_formatted": "+447700900123",
  "trunk_sid": null,
  "uri": "/2010-04-01/Accounts/` + testTwilioAccount + `/Calls/` + sid + `.json",
  "queue_time": "0"
}`,
	}
}

// twilioError is a Twilio REST error answer.
func twilioError(status, code int, message string) reply {
	return reply{
		Status: status,
		Header: map[string]string{"Content-Type": "application/json; charset=utf-8"},
		Body: `{"code": ` + strconv.Itoa(code) + `, "message": "` + message + `", "more_info": "https://www.twilio.com/docs/errors/` +
			strconv.Itoa(code) + `", "status": ` + strconv.Itoa(status) + `}`,
	}
}

func TestTwilioDialerCreatesCall(t *testing.T) {
	rec := newRecorder(t, twilioCreated("CAe1644a7eed5088b159577c5802d8be38"))
	cfg := testTwilioConfig(rec.URL())
	cfg.PublicURL = "https://callbacks.example.com/tollgate/"
	d, err := NewTwilioDialer(cfg)
	if err != nil {
		t.Fatalf("NewTwilioDialer: %v", err)
	}

	res, err := d.Dial(context.Background(), Call{ID: "dec 01/ä&x=1", Number: "+447700900123", Name: "Ada"})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if got, want := res, (Result{ProviderID: "CAe1644a7eed5088b159577c5802d8be38"}); got != want {
		t.Errorf("result = %+v, want %+v", got, want)
	}

	req := rec.only(t)
	if got, want := req.Method, "POST"; got != want {
		t.Errorf("method = %s, want %s", got, want)
	}
	if got, want := req.Path, "/2010-04-01/Accounts/"+testTwilioAccount+"/Calls.json"; got != want {
		t.Errorf("path = %s, want %s", got, want)
	}
	if got, want := req.Header.Get("Content-Type"), "application/x-www-form-urlencoded"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	user, pass, ok := (&http.Request{Header: req.Header}).BasicAuth()
	if !ok || user != testTwilioAccount || pass != testTwilioToken {
		t.Errorf("basic auth = %q, %q, %v; want the account SID and auth token", user, pass, ok)
	}
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		t.Fatalf("body %q: %v", req.Body, err)
	}
	id := url.QueryEscape("dec 01/ä&x=1")
	want := url.Values{
		"To":                   {"+447700900123"},
		"From":                 {"+442079460000"},
		"Url":                  {"https://callbacks.example.com/tollgate/flows/twilio/outbound?callback_id=" + id},
		"Method":               {"POST"},
		"StatusCallback":       {"https://callbacks.example.com/tollgate/flows/twilio/status?callback_id=" + id},
		"StatusCallbackMethod": {"POST"},
		"StatusCallbackEvent":  {"completed"},
	}
	if !reflect.DeepEqual(form, want) {
		t.Errorf("form = %v, want %v", form, want)
	}
	if got, err := url.Parse(form.Get("Url")); err != nil || got.Query().Get("callback_id") != "dec 01/ä&x=1" {
		t.Errorf("Url's id = %v (%v), want the call ID back", got, err)
	}
}

func TestTwilioDialerAuthenticatesWithAPIKey(t *testing.T) {
	rec := newRecorder(t, twilioCreated("CA00000000000000000000000000000001"))
	cfg := testTwilioConfig(rec.URL())
	cfg.APIKeySID = "SK0123456789abcdef0123456789abcdef"
	cfg.APIKeySecret = "keysecret0123456789"
	d, err := NewTwilioDialer(cfg)
	if err != nil {
		t.Fatalf("NewTwilioDialer: %v", err)
	}
	if _, err := d.Dial(context.Background(), Call{ID: "d1", Number: "+447700900123"}); err != nil {
		t.Fatalf("Dial: %v", err)
	}
	req := rec.only(t)
	user, pass, _ := (&http.Request{Header: req.Header}).BasicAuth()
	if got, want := user+":"+pass, cfg.APIKeySID+":"+cfg.APIKeySecret; got != want {
		t.Errorf("basic auth = %q, want %q", got, want)
	}
	if got, want := req.Path, "/2010-04-01/Accounts/"+testTwilioAccount+"/Calls.json"; got != want {
		t.Errorf("path = %s, want %s (the account, not the key)", got, want)
	}
}

func TestTwilioDialerClassifiesErrors(t *testing.T) {
	tests := []struct {
		name      string
		reply     reply
		wantCode  int // 0: no TwilioRestError expected
		permanent bool
		maybe     bool // the call may have been placed
	}{
		{"too many requests", twilioError(429, 20429, "Too Many Requests"), 20429, false, false},
		{"internal error", twilioError(500, 20500, "An internal server error has occurred"), 20500, false, false},
		{"gateway html", reply{Status: 502, Header: map[string]string{"Content-Type": "text/html"}, Body: "<html><body>502 Bad Gateway</body></html>"}, 0, false, false},
		{"gateway timeout", reply{Status: 504, Header: map[string]string{"Content-Type": "text/html"}, Body: "<html><body>504 Gateway Timeout</body></html>"}, 0, false, true},
		{"invalid To", twilioError(400, 21211, "Invalid 'To' Phone Number: +4477009"), 21211, true, false},
		{"To unreachable", twilioError(400, 21214, "'To' phone number cannot be reached"), 21214, true, false},
		{"geo permissions", twilioError(400, 21215, "Account not authorized to call +882. Perhaps you need to enable some international permissions"), 21215, true, false},
		{"bad credentials", twilioError(401, 20003, "Authenticate"), 20003, true, false},
		{"no such account", twilioError(404, 20404, "The requested resource was not found"), 20404, true, false},
		{"created but unreadable", reply{Status: 201, Body: "{not json"}, 0, true, false},
		{"created without sid", reply{Status: 201, Header: map[string]string{"Content-Type": "application/json"}, Body: `{"status":"queued"}`}, 0, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, tt.reply)
			d, err := NewTwilioDialer(testTwilioConfig(rec.URL()))
			if err != nil {
				t.Fatalf("NewTwilioDialer: %v", err)
			}
			_, err = d.Dial(context.Background(), Call{ID: "d1", Number: "+447700900123"})
			if err == nil {
				t.Fatal("Dial succeeded, want an error")
			}
			if got, want := IsPermanent(err), tt.permanent; got != want {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, want)
			}
			if got, want := IsMaybePlaced(err), tt.maybe; got != want {
				t.Errorf("IsMaybePlaced(%v) = %v, want %v", err, got, want)
			}
			var restErr *client.TwilioRestError
			gotCode := 0
			if errors.As(err, &restErr) {
				gotCode = restErr.Code
			}
			if got, want := gotCode, tt.wantCode; got != want {
				t.Errorf("Twilio error code = %d, want %d", got, want)
			}
			if got, want := len(rec.requests()), 1; got != want {
				t.Errorf("requests = %d, want %d", got, want)
			}
		})
	}
}

func TestTwilioDialerNetworkErrorsAreTransient(t *testing.T) {
	d, err := NewTwilioDialer(testTwilioConfig(closedServerURL(t)))
	if err != nil {
		t.Fatalf("NewTwilioDialer: %v", err)
	}
	_, err = d.Dial(context.Background(), Call{ID: "d1", Number: "+447700900123"})
	if err == nil {
		t.Fatal("Dial succeeded against a closed server")
	}
	if IsPermanent(err) || IsMaybePlaced(err) {
		t.Errorf("IsPermanent, IsMaybePlaced(%v) = %v, %v; want false: nothing reached Twilio", err, IsPermanent(err), IsMaybePlaced(err))
	}
}

func TestTwilioDialerHonoursContext(t *testing.T) {
	url, arrived := stallingServer(t)
	d, err := NewTwilioDialer(testTwilioConfig(url))
	if err != nil {
		t.Fatalf("NewTwilioDialer: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := d.Dial(ctx, Call{ID: "d1", Number: "+447700900123"})
		done <- err
	}()
	<-arrived
	cancel()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second): // a watchdog, not a wait: Dial should return at once
		t.Fatal("Dial did not return after its context was cancelled")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Dial error = %v, want context.Canceled", err)
	}
	if IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = true, want false", err)
	}
}

func TestTwilioDialerTimesOut(t *testing.T) {
	url, _ := stallingServer(t)
	cfg := testTwilioConfig(url)
	cfg.Timeout = 50 * time.Millisecond
	d, err := NewTwilioDialer(cfg)
	if err != nil {
		t.Fatalf("NewTwilioDialer: %v", err)
	}
	_, err = d.Dial(context.Background(), Call{ID: "d1", Number: "+447700900123"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dial error = %v, want context.DeadlineExceeded", err)
	}
	if IsPermanent(err) || !IsMaybePlaced(err) {
		t.Errorf("IsPermanent, IsMaybePlaced(%v) = %v, %v; want false, true: Twilio may have created the call", err, IsPermanent(err), IsMaybePlaced(err))
	}
}

func TestTwilioDialerRejectsBadCallsWithoutSending(t *testing.T) {
	for name, c := range map[string]Call{
		"no id":     {Number: "+447700900123"},
		"no number": {ID: "d1"},
	} {
		t.Run(name, func(t *testing.T) {
			rec := newRecorder(t, twilioCreated("CAnever"))
			d, err := NewTwilioDialer(testTwilioConfig(rec.URL()))
			if err != nil {
				t.Fatalf("NewTwilioDialer: %v", err)
			}
			if _, err := d.Dial(context.Background(), c); !IsPermanent(err) {
				t.Errorf("Dial error = %v, want a permanent error", err)
			}
			if got, want := len(rec.requests()), 0; got != want {
				t.Errorf("requests = %d, want %d", got, want)
			}
		})
	}
}

func TestTwilioDialerIsNotIdempotent(t *testing.T) {
	d, err := NewTwilioDialer(testTwilioConfig(""))
	if err != nil {
		t.Fatalf("NewTwilioDialer: %v", err)
	}
	var dialer Dialer = d
	if id, ok := dialer.(IdempotentDialer); ok && id.Idempotent() {
		t.Error("TwilioDialer reports idempotent, want not: Twilio has no idempotency key")
	}
}

func TestTwilioConfigValidation(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*TwilioConfig)
		wantErr string // empty: valid
	}{
		{"valid", func(*TwilioConfig) {}, ""},
		{"api key instead of token", func(c *TwilioConfig) {
			c.AuthToken, c.APIKeySID, c.APIKeySecret = "", "SK0123456789abcdef0123456789abcdef", "secret1"
		}, ""},
		{"no base url", func(c *TwilioConfig) { c.BaseURL = "" }, ""},
		{"public url with path", func(c *TwilioConfig) { c.PublicURL = "http://127.0.0.1:8080/tollgate" }, ""},
		{"no account", func(c *TwilioConfig) { c.AccountSID = "" }, "TwilioConfig.AccountSID"},
		{"api key sid as account", func(c *TwilioConfig) { c.AccountSID = "SK0123456789abcdef0123456789abcdef" }, "TwilioConfig.AccountSID"},
		{"no credentials", func(c *TwilioConfig) { c.AuthToken = "" }, "needs AuthToken, or APIKeySID and APIKeySecret"},
		{"key without secret", func(c *TwilioConfig) { c.APIKeySID = "SK0123456789abcdef0123456789abcdef" }, "APIKeySID and TwilioConfig.APIKeySecret go together"},
		{"secret without key", func(c *TwilioConfig) { c.APIKeySecret = "secret1" }, "APIKeySID and TwilioConfig.APIKeySecret go together"},
		{"malformed key sid", func(c *TwilioConfig) { c.APIKeySID, c.APIKeySecret = "SKshort", "secret1" }, "TwilioConfig.APIKeySID"},
		{"token with punctuation", func(c *TwilioConfig) { c.AuthToken = "abc-123" }, "TwilioConfig.AuthToken"},
		{"no from", func(c *TwilioConfig) { c.From = "" }, "TwilioConfig.From"},
		{"from not E.164", func(c *TwilioConfig) { c.From = "020 7946 0000" }, "TwilioConfig.From"},
		{"no public url", func(c *TwilioConfig) { c.PublicURL = "" }, "TwilioConfig.PublicURL"},
		{"relative public url", func(c *TwilioConfig) { c.PublicURL = "callbacks.example.com" }, "TwilioConfig.PublicURL"},
		{"public url with query", func(c *TwilioConfig) { c.PublicURL = "https://callbacks.example.com/?a=b" }, "TwilioConfig.PublicURL"},
		{"ftp base url", func(c *TwilioConfig) { c.BaseURL = "ftp://127.0.0.1" }, "TwilioConfig.BaseURL"},
		{"base url with path", func(c *TwilioConfig) { c.BaseURL = "http://127.0.0.1:9/2010-04-01" }, "TwilioConfig.BaseURL"},
		{"negative timeout", func(c *TwilioConfig) { c.Timeout = -time.Second }, "TwilioConfig.Timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testTwilioConfig("http://127.0.0.1:9")
			tt.edit(&cfg)
			d, err := NewTwilioDialer(cfg)
			if tt.wantErr == "" {
				if err != nil || d == nil {
					t.Errorf("NewTwilioDialer = %v, %v; want a dialer", d, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewTwilioDialer error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
