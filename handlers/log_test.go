package handlers

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/risk"
)

// logLines parses the JSON log lines whose msg is msg.
func logLines(t *testing.T, logs, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
		}
		if line["msg"] == msg {
			out = append(out, line)
		}
	}
	return out
}

func TestDecisionLogLine(t *testing.T) {
	for _, action := range []risk.Action{risk.Allow, risk.Deflect, risk.Block} {
		t.Run(string(action), func(t *testing.T) {
			h := newHarness(t, action)
			h.postJSON(t, `{"phone":"`+testPhone+`","flow":"sales"}`)

			lines := logLines(t, h.logs.String(), "decision")
			if got, want := len(lines), 1; got != want {
				t.Fatalf("decision lines = %d, want %d:\n%s", got, want, h.logs)
			}
			line := lines[0]
			want := map[string]any{
				"id":             testID,
				"action":         string(action),
				"score":          float64(35),
				"reasons":        []any{"ip_country_mismatch", "mobile_number"},
				"number":         risk.MaskNumber(testNumber),
				"number_country": "GB",
				"number_type":    "mobile",
				"ip_country":     "FR",
				"flow":           "sales",
			}
			for k, w := range want {
				if got := line[k]; !reflect.DeepEqual(got, w) {
					t.Errorf("log %s = %v, want %v", k, got, w)
				}
			}
		})
	}
}

func TestLogsNeverHoldTheRawNumber(t *testing.T) {
	digits := strings.NewReplacer(" ", "").Replace(testPhone)
	tests := []struct {
		name string
		do   func(t *testing.T, h *harness)
	}{
		{"api", func(t *testing.T, h *harness) { h.postJSON(t, `{"phone":"`+testPhone+`"}`) }},
		{"form", func(t *testing.T, h *harness) {
			h.do(t, request{
				method: http.MethodPost,
				path:   "/",
				body:   strings.NewReader(url.Values{"phone": {testPhone}, "consent": {"yes"}}.Encode()),
				header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			})
		}},
	}
	for _, tt := range tests {
		for _, action := range []risk.Action{risk.Allow, risk.Deflect, risk.Block} {
			t.Run(tt.name+"/"+string(action), func(t *testing.T) {
				h := newHarness(t, action)
				tt.do(t, h)
				logs := h.logs.String()
				for _, raw := range []string{testPhone, testNumber, digits, url.QueryEscape(testPhone)} {
					if strings.Contains(logs, raw) {
						t.Errorf("log holds raw number %q:\n%s", raw, logs)
					}
				}
				if !strings.Contains(logs, risk.MaskNumber(testNumber)) {
					t.Errorf("log does not hold the masked number:\n%s", logs)
				}
				if got, want := len(logLines(t, logs, "request")), 1; got != want {
					t.Errorf("request lines = %d, want %d", got, want)
				}
			})
		}
	}
}
