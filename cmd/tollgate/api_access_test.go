package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestRunAPIAccessKeys starts the service with two site keys, which turn
// the key mode on: the callback API refuses a request without a key and
// takes one with either key, the decision's log line naming it.
func TestRunAPIAccessKeys(t *testing.T) {
	base, logs := startTollgate(t, "TOLLGATE_API_KEYS=site-a="+testKeyA+";site-b="+testKeyB+":sales")
	// The log is the subject: the start line reports the mode and the key
	// names, each decision's line the key it came with (the decision log
	// does not hold it), and no line a key's secret.
	start := logs.waitFor(t, "callback API access", nil)
	if got, want := fmt.Sprintf("%v %v", start["mode"], start["keys"]), "key [site-a site-b]"; got != want {
		t.Errorf("start line: got mode and keys %q, want %q", got, want)
	}

	status, body := postJSON(t, base+"/api/v1/callbacks", `{"phone":"+1 201 555 0123"}`)
	if status != http.StatusUnauthorized || !strings.Contains(body, `"code":"invalid_api_key"`) {
		t.Errorf("no key: got %d %s, want 401 invalid_api_key", status, body)
	}
	for i, k := range []struct{ name, secret string }{{"site-a", testKeyA}, {"site-b", testKeyB}} {
		status, body = postJSON(t, base+"/api/v1/callbacks", fmt.Sprintf(`{"phone":%q}`, spreadNumber(201, i)), "Authorization", "Bearer "+k.secret)
		if status != http.StatusAccepted {
			t.Fatalf("key %s: got %d %s, want 202", k.name, status, body)
		}
		logs.waitFor(t, "decision", func(l map[string]any) bool { return l["api_key"] == k.name })
	}
	all := logs.String()
	for _, secret := range []string{testKeyA, testKeyB} {
		if strings.Contains(all, secret) {
			t.Errorf("the log shows a key's secret")
		}
	}
}
