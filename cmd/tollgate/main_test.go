package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log sink the server writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(s.b.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// waitFor returns the first log line with msg, waiting up to 10 s.
func (s *syncBuffer) waitFor(t *testing.T, msg string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range s.lines() {
			if l["msg"] == msg && (match == nil || match(l)) {
				return l
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %q log line within 10s; log:\n%s", msg, s.b.String())
	return nil
}

// startTollgate runs the service as `go run ./cmd/tollgate` would, on a free
// loopback port with the embedded store, and returns its base URL.
func startTollgate(t *testing.T, env ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	// A generous decision budget, so that a slow machine does not turn
	// decisions into fail-mode answers; the fault tests set their own.
	environ := append([]string{"TOLLGATE_ADDR=127.0.0.1:0", "TOLLGATE_LOG_FORMAT=json", "TOLLGATE_DECISION_BUDGET=5s"}, env...)
	go func() { done <- run(ctx, nil, environ, logs) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	l := logs.waitFor(t, "listening", nil)
	return "http://" + l["addr"].(string), logs
}

// spreadNumber is the n-th test number in North American area code area,
// each of the first 800 in an exchange of its own (and later ones 200
// lines apart), so that no two are neighbours the sequential-number
// signal (nearby_numbers, within 100) would count.
func spreadNumber(area, n int) string {
	return fmt.Sprintf("+1%03d%03d%04d", area, 200+n%800, 100+n/800%40*200)
}

func postJSON(t *testing.T, url, body string, header ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRunEndToEnd(t *testing.T) {
	base, logs := startTollgate(t, "TOLLGATE_TRUSTED_PROXIES=127.0.0.1")

	for _, path := range []string{"/healthz", "/readyz", "/"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: got %d, want 200", path, resp.StatusCode)
		}
	}

	status, body := postJSON(t, base+"/api/v1/callbacks", `{"phone":"+1 212 555 0123","name":"Ann"}`, "X-Forwarded-For", "192.0.2.10")
	var accepted struct{ Status, ID string }
	if err := json.Unmarshal([]byte(body), &accepted); err != nil || status != http.StatusAccepted || accepted.ID == "" {
		t.Fatalf("allowed callback: got %d %s, want 202 with an id", status, body)
	}
	logs.waitFor(t, "simulated call placed", func(l map[string]any) bool { return l["id"] == accepted.ID })
	d := logs.waitFor(t, "decision", func(l map[string]any) bool { return l["id"] == accepted.ID })
	if d["action"] != "allow" || d["ip_country"] != "US" || strings.Contains(logs.b.String(), "+12125550123") {
		t.Errorf("decision line: got %v, want allow from US with the number masked", d)
	}

	status, body = postJSON(t, base+"/api/v1/callbacks", `{"phone":"+12015550166"}`, "X-Forwarded-For", "192.0.2.11")
	var blocked struct{ Status, ID string }
	if err := json.Unmarshal([]byte(body), &blocked); err != nil || status != http.StatusAccepted || blocked.Status != "accepted" {
		t.Fatalf("deny-listed number: got %d %s, want the same 202 accepted as an allowed one", status, body)
	}
	d = logs.waitFor(t, "decision", func(l map[string]any) bool { return l["id"] == blocked.ID })
	if d["action"] != "block" {
		t.Errorf("decision for the demo deny-listed number: got %v, want block", d["action"])
	}
	for _, l := range logs.lines() {
		if l["msg"] == "simulated call placed" && l["id"] == blocked.ID {
			t.Errorf("a blocked callback was dialled")
		}
	}

	status, body = postJSON(t, base+"/api/v1/callbacks", `{"phone":"+12015550140"}`, "X-Forwarded-For", "203.0.113.7")
	if status != http.StatusAccepted {
		t.Errorf("Tor exit: got %d %s, want 202", status, body)
	}
	status, _ = postJSON(t, base+"/api/v1/callbacks", `{"phone":"12"}`)
	if status != http.StatusUnprocessableEntity {
		t.Errorf("impossible number: got %d, want 422", status)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), nil, []string{"TOLLGATE_REDIS_URL=http://x", "TOLLGATE_DEFAULT_REGION=XX"}, &out)
	if err == nil || !strings.Contains(err.Error(), "TOLLGATE_REDIS_URL") || !strings.Contains(err.Error(), "TOLLGATE_DEFAULT_REGION") {
		t.Errorf("got %v, want an error naming both bad variables", err)
	}
}

func TestRunHelp(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, nil, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "TOLLGATE_REDIS_URL") {
		t.Errorf("help: got %q, want the variables table", out.String())
	}
}

func TestRunMissingGeoIPDisablesItsSignals(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "GeoLite2-Country.mmdb")
	base, logs := startTollgate(t, "TOLLGATE_GEOIP_COUNTRY_DB="+missing)
	logs.waitFor(t, "GeoIP country signals disabled", nil)
	status, body := postJSON(t, base+"/api/v1/callbacks", `{"phone":"+12015550123"}`)
	if status != http.StatusAccepted {
		t.Fatalf("got %d %s, want 202", status, body)
	}
	d := logs.waitFor(t, "decision", nil)
	reasons := fmt.Sprint(d["reasons"])
	for _, code := range []string{"geoip_country_unavailable", "geoip_asn_unavailable", "geoip_anonymous_unavailable"} {
		if !strings.Contains(reasons, code) {
			t.Errorf("decision reasons: got %s, want %s", reasons, code)
		}
	}
}

func TestRunRefusesCorruptGeoIP(t *testing.T) {
	corrupt := filepath.Join(t.TempDir(), "GeoLite2-ASN.mmdb")
	if err := os.WriteFile(corrupt, []byte("not a MaxMind database"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), nil, []string{"TOLLGATE_ADDR=127.0.0.1:0", "TOLLGATE_GEOIP_ASN_DB=" + corrupt}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), corrupt) {
		t.Errorf("got %v, want a start-up error naming %s", err, corrupt)
	}
}
