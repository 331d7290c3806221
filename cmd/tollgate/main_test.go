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
)

// syncBuffer is a log sink the server writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
	// ended is closed once the server stopped writing: its log is whole.
	ended <-chan struct{}
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String is the log so far.
func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
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

// logSoFar is the error of a log line not written yet; it shows the log as
// it is when reported.
type logSoFar struct{ s *syncBuffer }

func (e logSoFar) Error() string { return "not in the log yet; the log:\n" + e.s.String() }

// waitFor returns the first log line with msg for which match (when not
// nil) is true, waiting for it as waitUntil does; once the server stopped,
// a line still missing fails the test at once. It is for the tests whose
// subject is the log, and for the bound address, which only the log tells:
// other tests wait on state.
func (s *syncBuffer) waitFor(t *testing.T, msg string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	read := func(context.Context) (map[string]any, error) {
		t.Helper()
		for _, l := range s.lines() {
			if l["msg"] == msg && (match == nil || match(l)) {
				return l, nil
			}
		}
		select {
		case <-s.ended:
			t.Fatalf("no %q log line: the server stopped; the log:\n%s", msg, s)
		default:
		}
		return nil, logSoFar{s}
	}
	return waitUntil(t, fmt.Sprintf("a %q log line", msg), read, nil)
}

// startTollgate runs the service as `go run ./cmd/tollgate` would, on a free
// loopback port with the embedded store, and returns its base URL.
func startTollgate(t *testing.T, env ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan struct{})
	logs := &syncBuffer{ended: ended}
	var runErr error
	// A generous decision budget, so that a slow machine does not turn
	// decisions into fail-mode answers; the fault tests set their own.
	environ := append([]string{"TOLLGATE_ADDR=127.0.0.1:0", "TOLLGATE_LOG_FORMAT=json", "TOLLGATE_DECISION_BUDGET=5s"}, env...)
	go func() { runErr = run(ctx, nil, environ, logs); close(ended) }()
	t.Cleanup(func() {
		cancel()
		<-ended
		if runErr != nil {
			t.Errorf("run: %v", runErr)
		}
	})
	// The port is chosen when the server listens: the log line is the
	// only place that tells it.
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
	base, logs, adm := startTollgateAdmin(t, "TOLLGATE_TRUSTED_PROXIES=127.0.0.1")

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
	d := adm.waitDecision(t, accepted.ID, "with its call settled", callSettled)
	if d.Decision.Action != "allow" || d.Decision.IPCountry != "US" || !d.dialled() {
		t.Errorf("decision: got %s from %q, call %q; want allow from US, its call placed", d.Decision.Action, d.Decision.IPCountry, d.Call.State)
	}
	// The log is the subject here: it holds the number only masked.
	if strings.Contains(logs.String(), "+12125550123") {
		t.Errorf("the log holds the whole number +12125550123")
	}

	status, body = postJSON(t, base+"/api/v1/callbacks", `{"phone":"+12015550166"}`, "X-Forwarded-For", "192.0.2.11")
	var blocked struct{ Status, ID string }
	if err := json.Unmarshal([]byte(body), &blocked); err != nil || status != http.StatusAccepted || blocked.Status != "accepted" {
		t.Fatalf("deny-listed number: got %d %s, want the same 202 accepted as an allowed one", status, body)
	}
	if d := adm.waitDecision(t, blocked.ID, "logged", nil); d.Decision.Action != "block" {
		t.Errorf("decision for the demo deny-listed number: got %v, want block", d.Decision.Action)
	}
	// The simulator's log is the record of what it dialled: the API shows
	// no call for a decision that is not allow.
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
	base, logs, adm := startTollgateAdmin(t, "TOLLGATE_GEOIP_COUNTRY_DB="+missing)
	// The warning is the subject: it tells the operator what is off and
	// how to fix it.
	logs.waitFor(t, "GeoIP country signals disabled", nil)
	status, body := postJSON(t, base+"/api/v1/callbacks", `{"phone":"+12015550123"}`)
	var accepted struct{ ID string }
	if err := json.Unmarshal([]byte(body), &accepted); err != nil || status != http.StatusAccepted {
		t.Fatalf("got %d %s, want 202", status, body)
	}
	d := adm.waitDecision(t, accepted.ID, "logged", nil)
	reasons := fmt.Sprint(d.codes())
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
