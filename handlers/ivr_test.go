package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/risk"
)

// TestEndToEndChallengeAPI screens callers and verifies their codes over
// HTTP on every store, then reads the flow's counters.
func TestEndToEndChallengeAPI(t *testing.T) {
	t.Parallel()
	onEveryStore(t, testEndToEndChallengeAPI)
}

func testEndToEndChallengeAPI(t *testing.T, rdb redis.UniversalClient) {
	st := newStackOn(t, rdb, nil, &dispatch.Simulator{})
	if _, err := st.engine.ListStore().AddEntry(context.Background(), risk.AllowNumber, risk.Entry{Value: "+12015550111", Author: "test"}); err != nil {
		t.Fatal(err)
	}
	contacts := make(map[string]string) // challenge id -> its contact
	screen := func(caller, contact string) map[string]any {
		t.Helper()
		status, got, _ := st.postJSON(t, "/api/v1/challenges", `{"caller":"`+caller+`","flow":"support","contact_id":"`+contact+`"}`, testFlowKey)
		if status != http.StatusOK {
			t.Fatalf("screen %s: %d %v", caller, status, got)
		}
		if id, ok := got["challenge_id"].(string); ok {
			contacts[id] = contact
		}
		return got
	}
	verify := func(id, digits string) map[string]any {
		t.Helper()
		status, got, _ := st.postJSON(t, "/api/v1/challenges/"+id+"/verify", `{"digits":"`+digits+`","caller":"+12015550120","contact_id":"`+contacts[id]+`"}`, testFlowKey)
		if status != http.StatusOK {
			t.Fatalf("verify: %d %v", status, got)
		}
		return got
	}

	ch := screen("+12015550120", "c1")
	code, _ := ch["code"].(string)
	if ch["verdict"] != "challenge" || len(code) != 4 || ch["challenge_id"] == "" || ch["attempts"] != 3.0 {
		t.Fatalf("clean caller: %v, want a 4-digit challenge with 3 attempts", ch)
	}
	wrong := "0000"
	if got := verify(ch["challenge_id"].(string), wrong); got["result"] != "retry" || got["attempts_left"] != 2.0 {
		t.Errorf("wrong code: %v, want retry with 2 left", got)
	}
	if got := verify(ch["challenge_id"].(string), code); got["result"] != "pass" {
		t.Errorf("right code: %v, want pass", got)
	}
	if got := verify(ch["challenge_id"].(string), code); got["result"] != "spent" {
		t.Errorf("replayed code: %v, want spent", got)
	}
	late := screen("+12015550121", "c0")
	st.skew.Store(int64(6 * time.Minute))
	if got := verify(late["challenge_id"].(string), late["code"].(string)); got["result"] != "expired" {
		t.Errorf("right code after expiry: %v, want expired", got)
	}
	st.skew.Store(0)

	// Failing for good counts against the caller's next screening.
	ch = screen("+12015550120", "c2")
	for range 3 {
		verify(ch["challenge_id"].(string), wrong)
	}
	if got := screen("(201) 555-0120", "c3"); !strings.Contains(strings.Join(toStrings(got["reasons"]), ","), risk.CodeCallerFailedWarning) {
		t.Errorf("after a failed challenge: %v, want %s", got, risk.CodeCallerFailedWarning)
	}

	if got := screen("+12015550111", "c4"); got["verdict"] != "pass" || got["code"] != nil {
		t.Errorf("allow-listed caller: %v, want pass without a code", got)
	}
	if got := screen("+12015550166", "c5"); got["verdict"] != "block" || got["code"] != nil {
		t.Errorf("deny-listed caller: %v, want block without a code", got)
	}
	if status, got, _ := st.postJSON(t, "/api/v1/challenges", `{"caller":"+12015550120","flow":"support","contact_id":"c6"}`, ""); status != http.StatusUnauthorized {
		t.Errorf("without the key: %d %v, want 401", status, got)
	}

	stats := st.challengeStats(t)
	want := map[string]int64{"screened": 6, "issued": 4, "passed": 1, "failed": 1, "expired": 1, "screen_passed": 1, "disconnected": 1}
	for k, v := range want {
		if got := stats["support"][k]; got != v {
			t.Errorf("stats support|%s = %d, want %d (all: %v)", k, got, v, stats)
		}
	}
}

// challengeStats reads the challenge counters per flow of the challenge
// service's day through the stats API.
func (st *stack) challengeStats(t *testing.T) map[string]map[string]int64 {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, st.url+"/api/v1/challenges/stats?day="+st.challengeNow().Format(time.DateOnly), nil)
	req.Header.Set("Authorization", "Bearer "+testFlowKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var stats struct {
		Flows map[string]map[string]int64 `json:"flows"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
		t.Fatalf("challenge stats: %v", err)
	}
	return stats.Flows
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
