package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/tollgate/tollgate/risk/redistest"
)

// Bounds of the fault tests.
const (
	faultBudget = 150 * time.Millisecond
	// answerBound is the longest any one public answer may take under a
	// fault: far past the budget, so that a loaded CI machine does not
	// fail the test, yet far short of a store that hangs.
	answerBound = 2 * time.Second
	// p95Bound is what 95% of the answers of a test stay within: the
	// budget and a margin for a loaded machine.
	p95Bound = faultBudget + 250*time.Millisecond
	// recoveryBound is how soon full service must return once Redis does.
	recoveryBound = 5 * time.Second
	faultFlowKey  = "flow-key-0123456789abcdef0123"
)

// faultRig is Tollgate talking to a real redis-server through a toxiproxy
// proxy the test can poison.
type faultRig struct {
	base  string
	logs  *syncBuffer
	proxy *toxiproxy.Proxy
	redis *redistest.Server
	seq   atomic.Int64
	http  *http.Client
}

func newFaultRig(t *testing.T) *faultRig {
	t.Helper()
	rs := redistest.NewServer(t)
	api := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(api, "redis", "127.0.0.1:0", rs.Addr)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	base, logs := startTollgate(t,
		"TOLLGATE_REDIS_URL=redis://"+p.Listen+"/0",
		"TOLLGATE_DECISION_BUDGET="+faultBudget.String(),
		"TOLLGATE_TRUSTED_PROXIES=127.0.0.1",
		"TOLLGATE_FLOW_API_KEY="+faultFlowKey,
		"TOLLGATE_SHUTDOWN_TIMEOUT=8s",
		"TOLLGATE_SIMULATOR_DURATION=0s",
	)
	rig := &faultRig{base: base, logs: logs, proxy: p, redis: rs, http: &http.Client{Timeout: 10 * time.Second}}
	// Connections the client dialed but never used are new to the server,
	// and Shutdown waits 5 s before it counts them idle: close them before
	// the service stops (cleanups run last first).
	t.Cleanup(rig.http.CloseIdleConnections)
	return rig
}

// answer is one public endpoint's answer.
type answer struct {
	what   string
	status int
	took   time.Duration
	body   string
}

func (r *faultRig) do(t *testing.T, what, method, path, contentType, body string, header ...string) answer {
	t.Helper()
	req, _ := http.NewRequest(method, r.base+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	start := time.Now()
	resp, err := r.http.Do(req)
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return answer{what: what}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{what: what, status: resp.StatusCode, took: time.Since(start), body: string(b)}
}

// callback asks for a callback for a fresh number, far from the others,
// from a fresh address in a network of its own (198.18.0.0/15, one /24
// for each of 512 requests), so that neither the number nor the network
// velocity signals deflect it.
func (r *faultRig) callback(t *testing.T) answer {
	n := r.seq.Add(1)
	body := fmt.Sprintf(`{"phone":%q}`, spreadNumber(201, int(n)))
	return r.do(t, "callback API", http.MethodPost, "/api/v1/callbacks", "application/json", body,
		"X-Forwarded-For", fmt.Sprintf("198.%d.%d.7", 18+n/256%2, n%256))
}

// round sends one request to every public surface and checks each answer:
// never a 5xx, always within answerBound; under a fault, the callback is
// deflected and the caller challenged with a stateless code that passes.
func (r *faultRig) round(t *testing.T, faulty bool) []answer {
	t.Helper()
	n := r.seq.Add(1)
	var out []answer
	check := func(a answer) answer {
		out = append(out, a)
		if a.status >= 500 || a.status == 0 {
			t.Errorf("%s: status %d, want no 5xx; body %s", a.what, a.status, a.body)
		}
		if a.took > answerBound {
			t.Errorf("%s: answered in %v, want within %v", a.what, a.took, answerBound)
		}
		return a
	}
	cb := check(r.callback(t))
	form := url.Values{"phone": {spreadNumber(202, int(n))}, "consent": {"yes"}}
	check(r.do(t, "form submit", http.MethodPost, "/", "application/x-www-form-urlencoded", form.Encode(), "Accept", "text/html"))
	check(r.do(t, "form page", http.MethodGet, "/", "", ""))
	ready := check(r.do(t, "readyz", http.MethodGet, "/readyz", "", ""))
	check(r.do(t, "healthz", http.MethodGet, "/healthz", "", ""))
	ch := check(r.do(t, "challenge", http.MethodPost, "/api/v1/challenges", "application/json",
		fmt.Sprintf(`{"caller":%q,"flow":"ivr","contact_id":"contact-%d"}`, spreadNumber(203, int(n)), n),
		"Authorization", "Bearer "+faultFlowKey))
	if !faulty {
		return out
	}
	if !strings.Contains(cb.body, `"status":"deflected"`) {
		t.Errorf("callback under a fault: %d %s, want the deflect fail mode", cb.status, cb.body)
	}
	if !strings.Contains(ready.body, `"status":"degraded"`) {
		t.Errorf("readyz under a fault: %d %s, want degraded", ready.status, ready.body)
	}
	var res struct {
		Verdict     string   `json:"verdict"`
		Reasons     []string `json:"reasons"`
		ChallengeID string   `json:"challenge_id"`
		Code        string   `json:"code"`
	}
	if err := json.Unmarshal([]byte(ch.body), &res); err != nil || res.Verdict != "challenge" ||
		!strings.HasPrefix(res.ChallengeID, "fallback-") || len(res.Reasons) == 0 || res.Reasons[0] != "store_unavailable" {
		t.Errorf("challenge under a fault: %s, want a fallback challenge with reason store_unavailable", ch.body)
		return out
	}
	v := check(r.do(t, "verify", http.MethodPost, "/api/v1/challenges/"+res.ChallengeID+"/verify", "application/json",
		fmt.Sprintf(`{"digits":%q,"contact_id":"contact-%d"}`, res.Code, n), "Authorization", "Bearer "+faultFlowKey))
	if !strings.Contains(v.body, `"result":"pass"`) {
		t.Errorf("verify of the fallback code under a fault: %s, want pass", v.body)
	}
	return out
}

// waitFullService polls the callback API until a decision is made with the
// store again (202: allowed or blocked by the engine, not the deflect fail
// mode) and returns how long that took, failing past recoveryBound.
func (r *faultRig) waitFullService(t *testing.T) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < recoveryBound+time.Second {
		if a := r.callback(t); a.status == http.StatusAccepted {
			took := time.Since(start)
			if took > recoveryBound {
				t.Errorf("full service returned after %v, want within %v", took, recoveryBound)
			}
			return took
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no full service within %v of Redis coming back", recoveryBound)
	return 0
}

// within95 fails the test unless 95% of answers came within p95Bound.
func within95(t *testing.T, answers []answer) {
	t.Helper()
	if len(answers) == 0 {
		t.Error("no answers to time")
		return
	}
	took := make([]time.Duration, len(answers))
	for i, a := range answers {
		took[i] = a.took
	}
	slices.Sort(took)
	p95 := took[(len(took)*95+99)/100-1]
	if p95 > p95Bound {
		t.Errorf("95th percentile of %d answers: %v, want within %v", len(took), p95, p95Bound)
	}
}

// fallbacks counts the log lines of fail-mode answers on surface.
func (r *faultRig) fallbacks(surface string) int {
	n := 0
	for _, l := range r.logs.lines() {
		if l["msg"] == "store unavailable; fail mode answered" && l["surface"] == surface {
			n++
		}
	}
	return n
}

// noServerErrors fails the test if Tollgate logged a failed request or a
// panic.
func (r *faultRig) noServerErrors(t *testing.T) {
	t.Helper()
	for _, l := range r.logs.lines() {
		if l["msg"] == "request failed" || strings.Contains(fmt.Sprint(l["err"]), "panic") {
			t.Errorf("server error logged: %v", l)
		}
	}
}

func TestFaultsPoisonedRedis(t *testing.T) {
	r := newFaultRig(t)
	r.round(t, false)
	r.waitFullService(t)
	var answers []answer

	toxics := []struct {
		name, json string
	}{
		{"latency above the budget", `{"name":"slow","type":"latency","stream":"downstream","attributes":{"latency":600}}`},
		{"timeout: data stops, connections hang", `{"name":"stall","type":"timeout","stream":"downstream","attributes":{"timeout":0}}`},
		{"connections reset", `{"name":"reset","type":"reset_peer","stream":"downstream","attributes":{"timeout":0}}`},
	}
	for _, tx := range toxics {
		t.Run(tx.name, func(t *testing.T) {
			w, err := r.proxy.Toxics.AddToxicJson(strings.NewReader(tx.json))
			if err != nil {
				t.Fatal(err)
			}
			for range 5 {
				answers = append(answers, r.round(t, true)...)
			}
			if err := r.proxy.Toxics.RemoveToxic(context.Background(), w.Name); err != nil {
				t.Fatal(err)
			}
			t.Logf("full service back %v after the toxic was removed", r.waitFullService(t))
		})
	}
	t.Run("connections dropped and refused", func(t *testing.T) {
		r.proxy.Stop()
		for range 5 {
			answers = append(answers, r.round(t, true)...)
		}
		if err := r.proxy.Start(); err != nil {
			t.Fatal(err)
		}
		t.Logf("full service back %v after the proxy came back", r.waitFullService(t))
	})
	within95(t, answers)
	r.noServerErrors(t)
	if !strings.Contains(fmt.Sprint(r.logs.lines()), "store_unavailable") {
		t.Error("no decision log line carries the store_unavailable reason")
	}
}

// redis-server is killed and restarted while 200 callback requests are
// sent over a few seconds: every answer is a deflection or an acceptance,
// within the bound, and full service returns within 5 s of the restart.
func TestFaultsRedisKilledUnderLoad(t *testing.T) {
	r := newFaultRig(t)
	r.waitFullService(t)

	const requests, senders = 200, 4
	deadline := time.Now().Add(20 * time.Second)
	var (
		mu      sync.Mutex
		answers []answer
		sent    atomic.Int64
		wg      sync.WaitGroup
	)
	for range senders {
		wg.Go(func() {
			for sent.Add(1) <= requests && time.Now().Before(deadline) {
				a := r.callback(t)
				mu.Lock()
				answers = append(answers, a)
				mu.Unlock()
				time.Sleep(60 * time.Millisecond)
			}
		})
	}
	time.Sleep(time.Second)
	if err := r.redis.Stop(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := r.redis.Restart(); err != nil {
		t.Fatal(err)
	}
	took := r.waitFullService(t)
	wg.Wait()
	t.Logf("full service back %v after redis-server restarted", took)

	counts := map[int]int{}
	for _, a := range answers {
		counts[a.status]++
		if a.status != http.StatusAccepted && !(a.status == http.StatusOK && strings.Contains(a.body, `"status":"deflected"`)) {
			t.Errorf("answer %d %s, want 202 accepted or 200 deflected", a.status, a.body)
		}
		if a.took > answerBound {
			t.Errorf("answered in %v, want within %v", a.took, answerBound)
		}
	}
	if counts[http.StatusOK] == 0 || counts[http.StatusAccepted] == 0 {
		t.Errorf("answers by status %v, want both deflections (while Redis was down) and acceptances", counts)
	}
	// Every deflection is the fail mode's: the numbers are far apart and
	// the addresses fresh, so the engine itself deflects none.
	if fb := r.fallbacks("api"); fb == 0 || fb < counts[http.StatusOK] {
		t.Errorf("%d fail-mode answers logged on the API, want at least one and no fewer than the %d deflections", fb, counts[http.StatusOK])
	}
	within95(t, answers)
	t.Logf("%d answers by status: %v", len(answers), counts)
	r.noServerErrors(t)
}
