package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

const testMetricsToken = "metrics-token-0123456789abcdef"

// scrape GETs url with token as bearer (none when empty) and returns the
// status and body.
func scrape(t *testing.T, url, token string) (int, string) {
	t.Helper()
	status, body, err := fetchText(t.Context(), url, token)
	if err != nil {
		t.Fatal(err)
	}
	return status, body
}

// sample returns the value of series (name{labels} as exposed) in body, or
// -1 when it is missing.
func sample(body, series string) float64 {
	for line := range strings.SplitSeq(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return -1
			}
			return f
		}
	}
	return -1
}

func TestRunMetrics(t *testing.T) {
	base, logs := startTollgate(t, "TOLLGATE_TRUSTED_PROXIES=127.0.0.1",
		"TOLLGATE_METRICS_ADDR=127.0.0.1:0", "TOLLGATE_METRICS_TOKEN="+testMetricsToken,
		"TOLLGATE_FLOW_API_KEY=flow-key-0123456789abcdefgh")
	// The metrics port is chosen when it listens: the log line is the only
	// place that tells it.
	separate := "http://" + logs.waitFor(t, "metrics listening", nil)["addr"].(string) + "/metrics"

	status, body := postJSON(t, base+"/api/v1/callbacks", `{"phone":"+1 212 555 0123"}`, "X-Forwarded-For", "192.0.2.10")
	var allowed struct{ ID string }
	if err := json.Unmarshal([]byte(body), &allowed); err != nil || status != http.StatusAccepted {
		t.Fatalf("allowed callback: got %d %s, want 202", status, body)
	}
	if status, body := postJSON(t, base+"/api/v1/callbacks", `{"phone":"+12015550166"}`, "X-Forwarded-For", "192.0.2.11"); status != http.StatusAccepted {
		t.Fatalf("deny-listed callback: got %d %s, want 202", status, body)
	}
	if status, _ := postJSON(t, base+"/api/v1/callbacks", `{"phone":"12"}`); status != http.StatusUnprocessableEntity {
		t.Fatalf("impossible number: got %d, want 422", status)
	}
	key := []string{"Authorization", "Bearer flow-key-0123456789abcdefgh"}
	status, body = postJSON(t, base+"/api/v1/challenges", `{"caller":"+12015550120","flow":"support","contact_id":"c-1"}`, key...)
	var ch struct {
		Verdict     string
		ChallengeID string `json:"challenge_id"`
	}
	if err := json.Unmarshal([]byte(body), &ch); err != nil || status != http.StatusOK || ch.Verdict != "challenge" {
		t.Fatalf("screening: got %d %s, want 200 with a challenge", status, body)
	}
	if status, body := postJSON(t, base+"/api/v1/challenges/"+ch.ChallengeID+"/verify", `{"digits":"0","caller":"+12015550120","contact_id":"c-1"}`, key...); status != http.StatusOK {
		t.Fatalf("verify: got %d %s, want 200", status, body)
	}
	// The allowed callback is the only call: the dial counter tells when
	// it was placed.
	const placed = `tollgate_dials_total{dialer="simulator",result="placed"}`
	waitUntil(t, "the allowed callback's call placed, on /metrics", func(ctx context.Context) (float64, error) {
		status, body, err := fetchText(ctx, separate, "")
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("metrics address: status %d", status)
		}
		return sample(body, placed), err
	}, func(n float64) bool { return n >= 1 })

	for _, tc := range []struct{ name, token string }{{"no token", ""}, {"wrong token", strings.Repeat("x", len(testMetricsToken))}} {
		if status, body := scrape(t, base+"/metrics", tc.token); status != http.StatusUnauthorized || strings.Contains(body, "tollgate_") {
			t.Errorf("main /metrics with %s: got %d, want 401 and no metrics", tc.name, status)
		}
	}
	want := map[string]float64{
		`tollgate_decisions_total{action="allow"}`:                                                         1,
		`tollgate_decisions_total{action="block"}`:                                                         1,
		`tollgate_decision_reasons_total{action="block",reason="deny_number"}`:                             1,
		`tollgate_decision_errors_total{kind="invalid_number"}`:                                            1,
		`tollgate_engine_duration_seconds_count{op="evaluate"}`:                                            3,
		`tollgate_http_request_duration_seconds_count{code="202",method="POST",route="/api/v1/callbacks"}`: 2,
		`tollgate_screenings_total{verdict="challenge"}`:                                                   1,
		`tollgate_challenges_issued_total{result="issued"}`:                                                1,
		`tollgate_challenge_verifications_total{result="retry"}`:                                           1,
		`tollgate_dials_total{dialer="simulator",result="placed"}`:                                         1,
		`tollgate_store_read_success`:                                                                      1,
		`tollgate_budget_daily`:                                                                            0,
		`tollgate_redis_errors_total{kind="timeout"}`:                                                      0,
		`tollgate_redis_errors_total{kind="other"}`:                                                        0,
	}
	for name, url := range map[string]string{"main server": base + "/metrics", "metrics address": separate} {
		token := testMetricsToken
		if name == "metrics address" {
			token = ""
		}
		status, body := scrape(t, url, token)
		if status != http.StatusOK {
			t.Fatalf("%s: got %d, want 200", name, status)
		}
		for series, v := range want {
			if got := sample(body, series); got != v {
				t.Errorf("%s: %s: got %v, want %v", name, series, got, v)
			}
		}
		if got := sample(body, "tollgate_queue_oldest_age_seconds"); got < 0 || got > 60 {
			t.Errorf("%s: tollgate_queue_oldest_age_seconds: got %v, want 0 to 60", name, got)
		}
	}
}

func TestRunMetricsOffByDefault(t *testing.T) {
	base, logs := startTollgate(t)
	if status, _ := scrape(t, base+"/metrics", testMetricsToken); status != http.StatusNotFound {
		t.Errorf("main /metrics without TOLLGATE_METRICS_TOKEN: got %d, want 404", status)
	}
	// The log is the subject: a metrics listener is announced there, and
	// before "listening", which startTollgate waited for.
	for _, l := range logs.lines() {
		if l["msg"] == "metrics listening" {
			t.Errorf("a metrics server started without TOLLGATE_METRICS_ADDR: %v", l)
		}
	}
}

func TestMetricsConfig(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"TOLLGATE_METRICS_TOKEN": "short"}, "TOLLGATE_METRICS_TOKEN"},
		{map[string]string{"TOLLGATE_METRICS_ADDR": "9090"}, "TOLLGATE_METRICS_ADDR"},
		{map[string]string{"TOLLGATE_ADDR": "127.0.0.1:8080", "TOLLGATE_METRICS_ADDR": "127.0.0.1:8080"}, "TOLLGATE_METRICS_ADDR is TOLLGATE_ADDR"},
	} {
		_, err := LoadConfig(func(k string) string { return tc.env[k] })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error naming %s", tc.env, err, tc.want)
		}
	}
	c, err := LoadConfig(func(k string) string {
		return map[string]string{"TOLLGATE_METRICS_ADDR": "127.0.0.1:9090", "TOLLGATE_METRICS_TOKEN": testMetricsToken}[k]
	})
	if err != nil || c.Metrics != (MetricsConfig{Addr: "127.0.0.1:9090", Token: testMetricsToken}) {
		t.Errorf("got %+v, %v; want the address and token", c.Metrics, err)
	}
}
