package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/smithy-go"
)

// testConnectConfig is a valid static-credential configuration pointed at
// endpoint.
func testConnectConfig(endpoint string) ConnectConfig {
	return ConnectConfig{
		Region:            "eu-west-2",
		InstanceID:        "4b9d7a9e-4a5c-4c3e-9d2f-0f6a1f2b3c4d",
		ContactFlowID:     "846ec553-a005-41c0-8341-0a1b2c3d4e5f",
		SourcePhoneNumber: "+442079460000",
		QueueID:           "9f2e1d3c-7b6a-4e5f-8a9b-1c2d3e4f5a6b",
		AccessKeyID:       "AKIDEXAMPLE",
		SecretAccessKey:   "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		SessionToken:      "session-token-example",
		Endpoint:          endpoint,
	}
}

// testConnectCall is a call with attributes and a name.
func testConnectCall() Call {
	return Call{
		ID:     "dec_01J9ZK3V6Q8W",
		Number: "+447700900123",
		Name:   "Ada Lovelace",
		Flow:   "contact",
		Attributes: map[string]string{
			"score":   "12",
			"reasons": "new_number,ip_country_mismatch",
		},
	}
}

// connectOK is StartOutboundVoiceContact's documented success answer.
func connectOK(contactID string) reply {
	return reply{
		Status: 200,
		Header: map[string]string{"Content-Type": "application/json", "X-Amzn-RequestId": "c9ad1f9e-0000-4000-8000-000000000001"},
		Body:   `{"ContactId":"` + contactID + `"}`,
	}
}

// connectError is an Amazon Connect error answer: the code in
// X-Amzn-ErrorType and the message in the JSON body, as restJson1 services
// send them.
func connectError(status int, code, message string) reply {
	return reply{
		Status: status,
		Header: map[string]string{
			"Content-Type":     "application/json",
			"X-Amzn-ErrorType": code,
			"X-Amzn-RequestId": "c9ad1f9e-0000-4000-8000-000000000002",
		},
		Body: `{"Message":"` + message + `"}`,
	}
}

// sigV4Auth matches a SigV4 Authorization header, capturing the access key,
// region and service of the credential scope and the signed headers.
var sigV4Auth = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request, SignedHeaders=([^,]+), Signature=[0-9a-f]{64}$`)

func TestConnectDialerSendsStartOutboundVoiceContact(t *testing.T) {
	rec := newRecorder(t, connectOK("e7b3c1a0-1111-4222-8333-944455556666"))
	d, err := NewConnectDialer(testConnectConfig(rec.URL()))
	if err != nil {
		t.Fatalf("NewConnectDialer: %v", err)
	}

	res, err := d.Dial(context.Background(), testConnectCall())
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if got, want := res, (Result{ProviderID: "e7b3c1a0-1111-4222-8333-944455556666"}); got != want {
		t.Errorf("result = %+v, want %+v", got, want)
	}

	req := rec.only(t)
	if got, want := req.Method, "PUT"; got != want {
		t.Errorf("method = %s, want %s", got, want)
	}
	if got, want := req.Path, "/contact/outbound-voice"; got != want {
		t.Errorf("path = %s, want %s", got, want)
	}
	if got, want := req.Header.Get("Content-Type"), "application/json"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	m := sigV4Auth.FindStringSubmatch(req.Header.Get("Authorization"))
	if m == nil {
		t.Fatalf("Authorization = %q, want a SigV4 signature", req.Header.Get("Authorization"))
	}
	if got, want := m[1]+" "+m[2]+" "+m[3], "AKIDEXAMPLE eu-west-2 connect"; got != want {
		t.Errorf("credential scope key, region, service = %q, want %q", got, want)
	}
	for _, h := range []string{"host", "x-amz-date", "x-amz-security-token"} {
		if !strings.Contains(";"+m[4]+";", ";"+h+";") {
			t.Errorf("SignedHeaders = %q, want it to include %s", m[4], h)
		}
	}
	if got, want := req.Header.Get("X-Amz-Security-Token"), "session-token-example"; got != want {
		t.Errorf("X-Amz-Security-Token = %q, want %q", got, want)
	}

	var body map[string]any
	if err := json.Unmarshal(req.Body, &body); err != nil {
		t.Fatalf("body %s: %v", req.Body, err)
	}
	want := map[string]any{
		"ClientToken":            "dec_01J9ZK3V6Q8W",
		"InstanceId":             "4b9d7a9e-4a5c-4c3e-9d2f-0f6a1f2b3c4d",
		"ContactFlowId":          "846ec553-a005-41c0-8341-0a1b2c3d4e5f",
		"DestinationPhoneNumber": "+447700900123",
		"SourcePhoneNumber":      "+442079460000",
		"QueueId":                "9f2e1d3c-7b6a-4e5f-8a9b-1c2d3e4f5a6b",
		"Attributes": map[string]any{
			"score":       "12",
			"reasons":     "new_number,ip_country_mismatch",
			"callback_id": "dec_01J9ZK3V6Q8W",
			"name":        "Ada Lovelace",
		},
	}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("body = %v, want %v", body, want)
	}
}

func TestConnectDialerQueueOnlyAndNoName(t *testing.T) {
	rec := newRecorder(t, connectOK("c-2"))
	cfg := testConnectConfig(rec.URL())
	cfg.SourcePhoneNumber = ""
	d, err := NewConnectDialer(cfg)
	if err != nil {
		t.Fatalf("NewConnectDialer: %v", err)
	}
	c := testConnectCall()
	c.Name = ""
	c.Attributes = map[string]string{"name": "from the caller's map", "callback_id": "spoofed"}
	if _, err := d.Dial(context.Background(), c); err != nil {
		t.Fatalf("Dial: %v", err)
	}

	var body struct {
		QueueId           *string
		SourcePhoneNumber *string
		Attributes        map[string]string
	}
	if err := json.Unmarshal(rec.only(t).Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.QueueId == nil || body.SourcePhoneNumber != nil {
		t.Errorf("QueueId, SourcePhoneNumber = %v, %v; want the queue only", body.QueueId, body.SourcePhoneNumber)
	}
	if got, want := body.Attributes, map[string]string{"callback_id": c.ID}; !reflect.DeepEqual(got, want) {
		t.Errorf("attributes = %v, want %v", got, want)
	}
}

// isolateAWSEnv points the default AWS configuration at files that do not
// exist and turns off the instance metadata service, so the default chain
// sees only the environment the test sets.
func isolateAWSEnv(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestConnectDialerUsesDefaultCredentialChain(t *testing.T) {
	isolateAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret-from-env")
	t.Setenv("AWS_SESSION_TOKEN", "")

	rec := newRecorder(t, connectOK("c-3"))
	cfg := testConnectConfig(rec.URL())
	cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken = "", "", ""
	d, err := NewConnectDialer(cfg)
	if err != nil {
		t.Fatalf("NewConnectDialer: %v", err)
	}
	if _, err := d.Dial(context.Background(), testConnectCall()); err != nil {
		t.Fatalf("Dial: %v", err)
	}
	m := sigV4Auth.FindStringSubmatch(rec.only(t).Header.Get("Authorization"))
	if m == nil {
		t.Fatalf("no SigV4 Authorization header")
	}
	if got, want := m[1]+" "+m[2], "AKIDFROMENV eu-west-2"; got != want {
		t.Errorf("credential key and region = %q, want %q", got, want)
	}
}

func TestConnectDialerClassifiesErrors(t *testing.T) {
	tests := []struct {
		name      string
		reply     reply
		wantCode  string // empty: no API error expected
		permanent bool
	}{
		{"throttled", connectError(429, "ThrottlingException", "Rate exceeded"), "ThrottlingException", false},
		{"concurrent call quota", connectError(429, "LimitExceededException", "The allowed limit for the resource has been exceeded."), "LimitExceededException", false},
		{"internal", connectError(500, "InternalServiceException", "Request processing failed because of an error or failure with the service."), "InternalServiceException", false},
		{"gateway html", reply{Status: 502, Header: map[string]string{"Content-Type": "text/html"}, Body: "<html><body>502 Bad Gateway</body></html>"}, "", false},
		{"expired token", connectError(403, "ExpiredTokenException", "The security token included in the request is expired"), "ExpiredTokenException", false},
		{"invalid parameter", connectError(400, "InvalidParameterException", "1 validation error detected: Value at 'destinationPhoneNumber' failed to satisfy constraint"), "InvalidParameterException", true},
		{"invalid request", connectError(400, "InvalidRequestException", "The request is not valid."), "InvalidRequestException", true},
		{"no such flow", connectError(404, "ResourceNotFoundException", "Contact flow not found"), "ResourceNotFoundException", true},
		{"destination not allowed", connectError(403, "DestinationNotAllowedException", "Outbound calls to the destination number are not allowed."), "DestinationNotAllowedException", true},
		{"outbound not permitted", connectError(403, "OutboundContactNotPermittedException", "The contact is not permitted."), "OutboundContactNotPermittedException", true},
		{"access denied", connectError(403, "AccessDeniedException", "User is not authorized to perform: connect:StartOutboundVoiceContact"), "AccessDeniedException", true},
		{"unknown client", connectError(403, "UnrecognizedClientException", "The security token included in the request is invalid."), "UnrecognizedClientException", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, tt.reply)
			d, err := NewConnectDialer(testConnectConfig(rec.URL()))
			if err != nil {
				t.Fatalf("NewConnectDialer: %v", err)
			}
			_, err = d.Dial(context.Background(), testConnectCall())
			if err == nil {
				t.Fatal("Dial succeeded, want an error")
			}
			if got, want := IsPermanent(err), tt.permanent; got != want {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, want)
			}
			var apiErr smithy.APIError
			gotCode := ""
			if errors.As(err, &apiErr) {
				gotCode = apiErr.ErrorCode()
			}
			if got, want := gotCode, tt.wantCode; got != want {
				t.Errorf("error code = %q, want %q", got, want)
			}
			// The SDK must not retry: the dispatcher's queue does.
			if got, want := len(rec.requests()), 1; got != want {
				t.Errorf("requests = %d, want %d", got, want)
			}
		})
	}
}

func TestConnectDialerModeledErrorTypes(t *testing.T) {
	rec := newRecorder(t, connectError(403, "DestinationNotAllowedException", "Outbound calls to the destination number are not allowed."))
	d, err := NewConnectDialer(testConnectConfig(rec.URL()))
	if err != nil {
		t.Fatalf("NewConnectDialer: %v", err)
	}
	_, err = d.Dial(context.Background(), testConnectCall())
	var dna *types.DestinationNotAllowedException
	if !errors.As(err, &dna) {
		t.Fatalf("Dial error = %v, want a *types.DestinationNotAllowedException", err)
	}
	if got, want := dna.ErrorMessage(), "Outbound calls to the destination number are not allowed."; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
}

func TestConnectDialerNetworkErrorsAreTransient(t *testing.T) {
	d, err := NewConnectDialer(testConnectConfig(closedServerURL(t)))
	if err != nil {
		t.Fatalf("NewConnectDialer: %v", err)
	}
	_, err = d.Dial(context.Background(), testConnectCall())
	if err == nil {
		t.Fatal("Dial succeeded against a closed server")
	}
	if IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = true, want false", err)
	}
}

func TestConnectDialerTimesOut(t *testing.T) {
	url, arrived := stallingServer(t)
	cfg := testConnectConfig(url)
	cfg.Timeout = 50 * time.Millisecond
	d, err := NewConnectDialer(cfg)
	if err != nil {
		t.Fatalf("NewConnectDialer: %v", err)
	}
	_, err = d.Dial(context.Background(), testConnectCall())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dial error = %v, want context.DeadlineExceeded", err)
	}
	if IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = true, want false", err)
	}
	select {
	case <-arrived:
	default:
		t.Error("the request never reached the server")
	}
}

func TestConnectDialerRejectsBadCallsWithoutSending(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Call)
	}{
		{"no id", func(c *Call) { c.ID = "" }},
		{"id too long for a ClientToken", func(c *Call) { c.ID = strings.Repeat("x", 501) }},
		{"no number", func(c *Call) { c.Number = "" }},
		{"attribute key with a space", func(c *Call) { c.Attributes["ip country"] = "GB" }},
		{"attributes too large", func(c *Call) { c.Attributes["blob"] = strings.Repeat("a", 32768) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, connectOK("never"))
			d, err := NewConnectDialer(testConnectConfig(rec.URL()))
			if err != nil {
				t.Fatalf("NewConnectDialer: %v", err)
			}
			c := testConnectCall()
			tt.edit(&c)
			_, err = d.Dial(context.Background(), c)
			if !IsPermanent(err) {
				t.Errorf("Dial error = %v, want a permanent error", err)
			}
			if got, want := len(rec.requests()), 0; got != want {
				t.Errorf("requests = %d, want %d", got, want)
			}
		})
	}
}

func TestConnectDialerIsIdempotent(t *testing.T) {
	d, err := NewConnectDialer(testConnectConfig(""))
	if err != nil {
		t.Fatalf("NewConnectDialer: %v", err)
	}
	var dialer Dialer = d
	id, ok := dialer.(IdempotentDialer)
	if !ok || !id.Idempotent() {
		t.Errorf("ConnectDialer idempotent = %v, want true", ok && id.Idempotent())
	}
}

func TestConnectConfigValidation(t *testing.T) {
	isolateAWSEnv(t)
	tests := []struct {
		name    string
		edit    func(*ConnectConfig)
		wantErr string // empty: valid
	}{
		{"valid", func(*ConnectConfig) {}, ""},
		{"queue only", func(c *ConnectConfig) { c.SourcePhoneNumber = "" }, ""},
		{"source number only", func(c *ConnectConfig) { c.QueueID = "" }, ""},
		{"default credential chain", func(c *ConnectConfig) { c.AccessKeyID, c.SecretAccessKey, c.SessionToken = "", "", "" }, ""},
		{"no region", func(c *ConnectConfig) { c.Region = "" }, "ConnectConfig.Region is required"},
		{"no instance", func(c *ConnectConfig) { c.InstanceID = "" }, "ConnectConfig.InstanceID is required"},
		{"no flow", func(c *ConnectConfig) { c.ContactFlowID = "" }, "ConnectConfig.ContactFlowID is required"},
		{"neither number nor queue", func(c *ConnectConfig) { c.SourcePhoneNumber, c.QueueID = "", "" }, "needs SourcePhoneNumber, QueueID or both"},
		{"source number not E.164", func(c *ConnectConfig) { c.SourcePhoneNumber = "020 7946 0000" }, "ConnectConfig.SourcePhoneNumber"},
		{"key without secret", func(c *ConnectConfig) { c.SecretAccessKey = "" }, "AccessKeyID and ConnectConfig.SecretAccessKey go together"},
		{"secret without key", func(c *ConnectConfig) { c.AccessKeyID = "" }, "AccessKeyID and ConnectConfig.SecretAccessKey go together"},
		{"session token alone", func(c *ConnectConfig) { c.AccessKeyID, c.SecretAccessKey = "", "" }, "ConnectConfig.SessionToken needs"},
		{"relative endpoint", func(c *ConnectConfig) { c.Endpoint = "connect.internal" }, "ConnectConfig.Endpoint"},
		{"ftp endpoint", func(c *ConnectConfig) { c.Endpoint = "ftp://127.0.0.1" }, "ConnectConfig.Endpoint"},
		{"negative timeout", func(c *ConnectConfig) { c.Timeout = -time.Second }, "ConnectConfig.Timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConnectConfig("https://vpce-0abc.connect.eu-west-2.vpce.amazonaws.com")
			tt.edit(&cfg)
			d, err := NewConnectDialer(cfg)
			if tt.wantErr == "" {
				if err != nil || d == nil {
					t.Errorf("NewConnectDialer = %v, %v; want a dialer", d, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewConnectDialer error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
