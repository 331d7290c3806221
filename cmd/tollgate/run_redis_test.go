package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk/redistest"
)

// TestMain shares one redis-server and one Redis Cluster between the
// package's integration tests; see redistest.Each.
func TestMain(m *testing.M) { redistest.Main(m) }

// redisURL is the TOLLGATE_REDIS_URL naming the backend rdb talks to.
func redisURL(t *testing.T, rdb redis.UniversalClient) string {
	t.Helper()
	switch c := rdb.(type) {
	case *redis.Client:
		return "redis://" + c.Options().Addr + "/0"
	case *redis.ClusterClient:
		return "redis+cluster://" + strings.Join(c.Options().Addrs, ",")
	}
	t.Fatalf("client %T: want *redis.Client or *redis.ClusterClient", rdb)
	return ""
}

// TestRunOnRedis runs the service on a redis-server and on a Redis Cluster
// named by TOLLGATE_REDIS_URL, with the demo data: it is ready, dials an
// allowed callback and refuses the demo deny-listed number.
func TestRunOnRedis(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		base, _, adm := startTollgateAdmin(t, "TOLLGATE_REDIS_URL="+redisURL(t, rdb), "TOLLGATE_DEMO_DATA=1", "TOLLGATE_TRUSTED_PROXIES=127.0.0.1")
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /readyz: got %d, want 200", resp.StatusCode)
		}

		var allowed, blocked struct{ Status, ID string }
		status, body := postJSON(t, base+"/api/v1/callbacks", `{"phone":"+1 212 555 0123"}`, "X-Forwarded-For", "192.0.2.10")
		if err := json.Unmarshal([]byte(body), &allowed); err != nil || status != http.StatusAccepted || allowed.ID == "" {
			t.Fatalf("allowed callback: got %d %s, want 202 with an id", status, body)
		}
		if d := adm.waitDecision(t, allowed.ID, "with its call settled", callSettled); d.Decision.Action != "allow" || !d.dialled() {
			t.Errorf("decision: got %s, call %q; want allow, its call placed", d.Decision.Action, d.Call.State)
		}

		status, body = postJSON(t, base+"/api/v1/callbacks", `{"phone":"+12015550166"}`, "X-Forwarded-For", "192.0.2.11")
		if err := json.Unmarshal([]byte(body), &blocked); err != nil || status != http.StatusAccepted {
			t.Fatalf("deny-listed number: got %d %s, want 202", status, body)
		}
		if d := adm.waitDecision(t, blocked.ID, "logged", nil); d.Decision.Action != "block" {
			t.Errorf("decision for the demo deny-listed number: got %v, want block", d.Decision.Action)
		}
		if n, err := rdb.Exists(t.Context(), "tg:{calls}:decisions").Result(); err != nil || n != 1 {
			t.Errorf("EXISTS the decision log on the backend = %d, %v; want 1, nil", n, err)
		}
	})
}
