package handlers

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/contactflows/flowsig"
)

// A malformed v1 value in X-Tollgate-Signature is skipped: a valid value
// after it still admits the request, and a header of malformed values only
// does not.
func TestConnectSignatureSkipsMalformedValue(t *testing.T) {
	e, _ := ivrServer(t)
	now := time.Now()
	body, _ := json.Marshal(connectEvent("+12015550140", map[string]string{"action": "screen", "flow": "support"}))
	valid := flowsig.Sign(testBridgeSecret, now, body)
	for _, tt := range []struct {
		signature string
		want      int
	}{
		{"v1=zz," + valid, http.StatusOK},
		{"v1=" + strings.Repeat("0", 10) + ", " + valid, http.StatusOK},
		{"v1=" + strings.Repeat("g", 64) + "," + valid, http.StatusOK},
		{"v1=zz", http.StatusUnauthorized},
	} {
		req := httptest.NewRequest(http.MethodPost, "/flows/connect", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(flowsig.HeaderTimestamp, flowsig.Timestamp(now))
		req.Header.Set(flowsig.HeaderSignature, tt.signature)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if got := rec.Code; got != tt.want {
			t.Errorf("signature %q: got status %d, want %d", tt.signature, got, tt.want)
		}
	}
}
