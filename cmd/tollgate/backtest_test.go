package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/handlers/admin"
)

// TestBacktestAPI sends callbacks through the public API, then replays
// them through POST /api/v1/admin/backtest: with the settings in force
// nothing changes, a draft that blocks the callbacks' country changes each
// allowed one, a streamed run reports its progress, and a viewer, a period
// older than the retention and a draft that does not validate are refused.
func TestBacktestAPI(t *testing.T) {
	base, _, viewer := startTollgateAdmin(t, "TOLLGATE_TRUSTED_PROXIES=127.0.0.1")
	adm := newAdminAPIAs(t, base, "admin")
	const n = 12
	for i := range n {
		status, body := postJSON(t, base+"/api/v1/callbacks", `{"phone":"`+spreadNumber(201, i)+`"}`,
			"X-Forwarded-For", "10.20.0."+string(rune('1'+i%9)))
		if status != http.StatusAccepted && status != http.StatusOK {
			t.Fatalf("callback %d: %d %s", i, status, body)
		}
	}
	backtest := func(a *adminAPI, body string, header ...string) (int, string) {
		return postJSON(t, base+"/api/v1/admin/backtest", body, append([]string{"Authorization", "Bearer " + a.token}, header...)...)
	}
	answer := func(body string) admin.BacktestAnswer {
		t.Helper()
		status, out := backtest(adm, body)
		if status != http.StatusOK {
			t.Fatalf("backtest %s: %d %s", body, status, out)
		}
		var a admin.BacktestAnswer
		if err := json.Unmarshal([]byte(out), &a); err != nil {
			t.Fatal(err)
		}
		return a
	}

	same := answer(`{}`)
	if same.Decisions != n || same.Changed != 0 {
		t.Errorf("the settings in force: replayed %d, changed %d; want %d and 0", same.Decisions, same.Changed, n)
	}
	allowed := 0
	for _, ac := range same.Actions {
		if ac.Before == "allow" {
			allowed += ac.Count
		}
	}
	blocked := answer(`{"policy":{"account_policy":{"default":"ALLOW","countries":{"US":"BLOCK"}}}}`)
	if allowed == 0 || blocked.Changed != allowed || blocked.CallsAvoided != allowed {
		t.Errorf("US blocked: changed %d, calls avoided %d; want the %d allowed", blocked.Changed, blocked.CallsAvoided, allowed)
	}
	if merged := answer(`{"settings":{"block_at":200,"deflect_at":150}}`); merged.Decisions != n {
		t.Errorf("a partial settings draft replayed %d, want %d", merged.Decisions, n)
	}

	status, out := backtest(adm, `{}`, "Accept", admin.NDJSON)
	lines := bufio.NewScanner(strings.NewReader(out))
	var last string
	progress := 0
	for lines.Scan() {
		last = lines.Text()
		if strings.HasPrefix(last, `{"done"`) {
			progress++
		}
	}
	if status != http.StatusOK || progress == 0 || !strings.HasPrefix(last, `{"result":`) {
		t.Errorf("streamed: %d, %d progress lines, last %q; want progress then the result", status, progress, last)
	}

	// The command line, as a shell runs it.
	policy := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(policy, []byte(`{"account_policy":{"default":"ALLOW","countries":{"US":"BLOCK"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var cli strings.Builder
	err := runBacktest(t.Context(), []string{"-policy", policy, "-from", "1h"},
		[]string{"TOLLGATE_ADMIN_URL=" + base, "TOLLGATE_ADMIN_TOKEN=" + adm.token}, &cli)
	if err != nil || !strings.Contains(cli.String(), fmt.Sprintf("%d decisions from", n)) ||
		!strings.Contains(cli.String(), fmt.Sprintf("%d would change", allowed)) || !strings.Contains(cli.String(), "replayed ") {
		t.Errorf("tollgate backtest: %v\n%s", err, cli.String())
	}

	for _, tc := range []struct {
		name   string
		a      *adminAPI
		body   string
		status int
	}{
		{"viewer", viewer, `{}`, http.StatusForbidden},
		{"older than the retention", adm, `{"from":"2000-01-01T00:00:00Z"}`, http.StatusUnprocessableEntity},
		{"from after to", adm, `{"from":"2026-01-02T00:00:00Z","to":"2026-01-01T00:00:00Z"}`, http.StatusUnprocessableEntity},
		{"unknown setting", adm, `{"settings":{"blockat":10}}`, http.StatusUnprocessableEntity},
		{"invalid draft", adm, `{"settings":{"block_at":-5}}`, http.StatusUnprocessableEntity},
	} {
		if status, out := backtest(tc.a, tc.body); status != tc.status {
			t.Errorf("%s: got %d %s, want %d", tc.name, status, out, tc.status)
		}
	}
}
