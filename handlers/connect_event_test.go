package handlers

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/contactflows/flowsig"
	"github.com/tollgate/tollgate/risk/redistest"
)

// TestConnectEventFieldsOfOtherTypes posts, signed, Connect events whose
// fields have other JSON types than events.ConnectEvent expects, the
// admin guide's older sample with "Queue": "QueueName" among them: each
// field is ignored, not the event, which is screened.
func TestConnectEventFieldsOfOtherTypes(t *testing.T) {
	t.Parallel()
	redistest.Each(t, testConnectEventFieldsOfOtherTypes)
}

func testConnectEventFieldsOfOtherTypes(t *testing.T, rdb redis.UniversalClient) {
	st := newStackOn(t, rdb, nil, &dispatch.Simulator{}, withTelephony)
	post := func(body string) (int, string) {
		t.Helper()
		now := time.Now()
		req := httptest.NewRequest(http.MethodPost, "/flows/connect", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(flowsig.HeaderTimestamp, flowsig.Timestamp(now))
		req.Header.Set(flowsig.HeaderSignature, flowsig.Sign(testBridgeSecret, now, []byte(body)))
		rec := httptest.NewRecorder()
		st.echo.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	for _, body := range []string{
		`{"Name":"ContactFlowEvent","Details":{"ContactData":{"Attributes":{},"Channel":"VOICE","ContactId":"5ca32fbd","CustomerEndpoint":{"Address":"+12015550170","Type":"TELEPHONE_NUMBER"},"InitialContactId":"5ca32fbd","InitiationMethod":"INBOUND","InstanceARN":"arn:aws:connect:us-east-1:123456789012:instance/9308c2a1","PreviousContactId":"5ca32fbd","Queue":"QueueName","SystemEndpoint":{"Address":"+12015550100","Type":"TELEPHONE_NUMBER"}},"Parameters":{"action":"screen","flow":"support"}}}`,
		`{"Name":7,"Details":{"ContactData":{"ContactId":"c-2","Attributes":{"n":5},"CustomerEndpoint":{"Address":"+12015550171","Type":1}},"Parameters":{"action":"screen","flow":"support","n":1}}}`,
	} {
		status, got := post(body)
		var answer map[string]string
		if err := json.Unmarshal([]byte(got), &answer); err != nil || status != http.StatusOK || answer["result"] != "ok" || answer["verdict"] != "challenge" {
			t.Errorf("event %s: got %d %s, want 200 with a challenge", body, status, got)
		}
	}
	for _, body := range []string{`[]`, `"ContactFlowEvent"`, `{"Name":`} {
		if status, got := post(body); status != http.StatusBadRequest {
			t.Errorf("body %s: got %d %s, want 400", body, status, got)
		}
	}
}
