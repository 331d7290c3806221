package handlers

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/audit"
	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/spike"
)

// stack is the whole service over HTTP: a real engine and call queue on
// an in-process store, the simulator dialer, and the server on loopback.
type stack struct {
	url    string
	engine *risk.Engine
	// rdb is the Redis every part of the stack shares.
	rdb   redis.UniversalClient
	queue *dispatch.Queue
	sim   *dispatch.Simulator
	// echo is the server, for its route table.
	echo *echo.Echo
	// users and audit are the console's stores.
	users *auth.Store
	audit *audit.Log
	// skew moves the challenge service's clock ahead of challengeNow.
	skew atomic.Int64
	// midday is how far the challenge service's clock is set from the real
	// one: to the middle of today, UTC, so that a test's counts, even with
	// skew, fall on one day whenever it runs.
	midday time.Duration
	// alerts are the spike alerts; detector finds them on demand.
	alerts   *spike.Store
	detector *spike.Detector
	// clockSkew moves the server's clock (Deps.Now) and the users store's
	// ahead of the real one.
	clockSkew atomic.Int64
}

// challengeNow is the challenge service's clock: the middle of the day
// the stack started on, moved on as real time goes and by skew.
func (st *stack) challengeNow() time.Time {
	return time.Now().Add(st.midday + time.Duration(st.skew.Load()))
}

// testFlowKey is the flow API key of every stack.
const testFlowKey = "flow-key-0123456789abcdefghij"

// newStack is the stack on a new in-process store.
func newStack(t *testing.T, settings func(*risk.Settings), sim *dispatch.Simulator) *stack {
	t.Helper()
	return newStackOn(t, miniRedis(t), settings, sim)
}

// withTelephony signs the stack's telephony webhooks as the tests' Twilio
// account and Connect bridge do, and continues a passed Twilio caller to
// the support queue.
func withTelephony(d *Deps) {
	cont, _ := contactflows.ParseTwilioContinue("enqueue:support")
	d.TwilioAuthToken, d.PublicURL, d.TwilioContinue = testTwilioToken, testPublicURL, cont
	d.BridgeSecrets = [][]byte{testBridgeSecret}
}

// newStackOn is the stack on rdb, which holds no keys; deps, if any, edit
// the server's dependencies before it starts.
func newStackOn(t *testing.T, rdb redis.UniversalClient, settings func(*risk.Settings), sim *dispatch.Simulator, deps ...func(*Deps)) *stack {
	t.Helper()
	engine := engineOn(t, rdb)
	s := risk.DefaultSettings()
	s.Account.Countries = map[string]risk.Mode{"CU": risk.ModeBlock}
	s.Deflect = risk.Channels{ChatURL: "https://example.com/chat", Phone: "+44 20 7946 0000"}
	if settings != nil {
		settings(&s)
	}
	if err := engine.SettingsStore().SaveSettings(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if _, err := engine.ListStore().AddEntry(context.Background(), risk.DenyNumber, risk.Entry{Value: "+12015550166", Reason: "fraud", Author: "test"}); err != nil {
		t.Fatal(err)
	}
	queue, err := dispatch.NewQueue(dispatch.QueueOptions{Redis: rdb, Dialer: sim, Release: engine.Release, Placed: engine.RecordPlaced, Budget: engine, Rates: engine.SettingsStore().DispatchRates, Spikes: engine.SettingsStore().SpikeSettings})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- queue.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	st := &stack{engine: engine, rdb: rdb, queue: queue, sim: sim}
	start := time.Now()
	st.midday = start.UTC().Truncate(24 * time.Hour).Add(12 * time.Hour).Sub(start)
	challenges, err := contactflows.NewChallenges(contactflows.ChallengeOptions{Redis: rdb, Now: st.challengeNow})
	if err != nil {
		t.Fatal(err)
	}
	st.users, st.audit = auth.NewStore(rdb, auth.Throttle{}), audit.NewLog(rdb)
	st.users.SetClock(func() time.Time { return time.Now().Add(time.Duration(st.clockSkew.Load())) })
	st.alerts = spike.NewStore(rdb, engine.ListStore())
	if st.detector, err = spike.NewDetector(spike.DetectorOptions{Redis: rdb, Store: st.alerts, Settings: engine.SettingsStore().SpikeSettings, Audit: st.audit}); err != nil {
		t.Fatal(err)
	}
	d := Deps{
		Engine: engine, Calls: queue, Challenges: challenges, FlowAPIKey: testFlowKey, Channels: EngineChannels(engine),
		// The test client is the proxy: postFrom names the visitor's
		// address in X-Forwarded-For.
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		Now:            func() time.Time { return time.Now().Add(time.Duration(st.clockSkew.Load())) },
		Form:           FormConfig{Secret: testSecret, MinFillTime: 1500 * time.Millisecond},
		// A generous budget, so that a slow machine does not turn
		// decisions into fail-mode answers.
		Faults: Faults{Budget: 5 * time.Second},
		Console: &admin.Deps{
			Users: st.users, Audit: st.audit, Sessions: auth.NewSessionStore(rdb),
			Engine: engine, Settings: engine.SettingsStore(), Lists: engine.ListStore(), Queue: queue, Decisions: queue.DecisionLog(), Challenges: challenges, Alerts: st.alerts, InsecureCookies: true,
		},
	}
	for _, edit := range deps {
		edit(&d)
	}
	st.echo = NewServer(d)
	srv := httptest.NewServer(st.echo)
	t.Cleanup(srv.Close)
	st.url = srv.URL
	return st
}

// post asks for a callback through the JSON API.
func (st *stack) post(t *testing.T, body string) (int, map[string]any, http.Header) {
	t.Helper()
	return st.postJSON(t, "/api/v1/callbacks", body, "")
}

// postFrom asks for a callback through the JSON API as a visitor at ip.
func (st *stack) postFrom(t *testing.T, ip, body string) (int, map[string]any, http.Header) {
	t.Helper()
	return st.postJSON(t, "/api/v1/callbacks", body, "", "X-Forwarded-For", ip)
}

// postJSON posts body to path, with the API key key unless it is empty and
// the header name-value pairs, and decodes the JSON answer.
func (st *stack) postJSON(t *testing.T, path, body, key string, header ...string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, st.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("answer %s: %v", b, err)
	}
	return resp.StatusCode, got, resp.Header
}

// settle waits until the queue has nothing left to dial.
func (st *stack) settle(t *testing.T, id string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err := st.queue.Status(context.Background(), id)
		if err == nil && s.State == "ended" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("call %s not placed: %+v %v", id, s, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestEndToEndCallbacks asks for callbacks over HTTP on every store: an
// allowed one is dialed through the queue and the simulator, each refused
// one gets the same answer and no call.
func TestEndToEndCallbacks(t *testing.T) {
	t.Parallel()
	// allowed is an allowed answer's headers, which refused answers match.
	var allowed http.Header
	t.Run("allowed", func(t *testing.T) {
		onEveryStore(t, func(t *testing.T, rdb redis.UniversalClient) {
			st := newStackOn(t, rdb, nil, &dispatch.Simulator{})
			status, legit, hdr := st.post(t, `{"phone":"+1 201 555 0123","name":"Ann"}`)
			if status != http.StatusAccepted || legit["status"] != "accepted" {
				t.Fatalf("legit request: %d %v", status, legit)
			}
			st.settle(t, legit["id"].(string))
			calls := st.sim.Calls()
			if len(calls) != 1 || calls[0].Number != "+12015550123" || calls[0].Name != "Ann" || calls[0].ID != legit["id"] {
				t.Fatalf("simulated calls = %+v, want one to +12015550123", calls)
			}
			allowed = hdr
		})
	})
	if allowed == nil {
		t.Fatal("no allowed answer to compare refused ones with")
	}

	// Each refused request gets the answer an allowed one gets, and no call.
	refused := func(t *testing.T, st *stack, body string) {
		t.Helper()
		before := st.sim.Count()
		status, got, h := st.post(t, body)
		if status != http.StatusAccepted || got["status"] != "accepted" || got["id"] == "" || len(got) != 2 {
			t.Errorf("answer %d %v, want the allow-shaped 202", status, got)
		}
		if h.Get("Content-Type") != allowed.Get("Content-Type") || h.Get("Content-Length") != allowed.Get("Content-Length") {
			t.Errorf("headers %v differ from an allowed answer's %v", h, allowed)
		}
		time.Sleep(100 * time.Millisecond)
		if n := st.sim.Count(); n != before {
			t.Errorf("%d calls placed for a refused request", n-before)
		}
	}
	t.Run("deny-listed number", func(t *testing.T) {
		onEveryStore(t, func(t *testing.T, rdb redis.UniversalClient) {
			refused(t, newStackOn(t, rdb, nil, &dispatch.Simulator{}), `{"phone":"+1 201 555 0166"}`)
		})
	})
	t.Run("blocked country", func(t *testing.T) {
		onEveryStore(t, func(t *testing.T, rdb redis.UniversalClient) {
			blockFR := func(s *risk.Settings) { s.Account.Countries["FR"] = risk.ModeBlock }
			refused(t, newStackOn(t, rdb, blockFR, &dispatch.Simulator{}), `{"phone":"+33 1 42 68 53 00"}`)
		})
	})
	t.Run("duplicate while the first call is on", func(t *testing.T) {
		onEveryStore(t, func(t *testing.T, rdb redis.UniversalClient) {
			st := newStackOn(t, rdb, nil, &dispatch.Simulator{Duration: time.Second})
			_, first, _ := st.post(t, `{"phone":"+1 201 555 0124"}`)
			for deadline := time.Now().Add(5 * time.Second); st.sim.Count() == 0; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the first call was not dialed")
				}
			}
			refused(t, st, `{"phone":"(201) 555-0124"}`)
			st.settle(t, first["id"].(string))
			if n := st.sim.Count(); n != 1 {
				t.Errorf("%d calls placed, want 1", n)
			}
		})
	})

	t.Run("deflect shows the channels", func(t *testing.T) {
		onEveryStore(t, func(t *testing.T, rdb redis.UniversalClient) {
			st := newStackOn(t, rdb, func(s *risk.Settings) { s.RequireAuth = true }, &dispatch.Simulator{})
			status, got, _ := st.post(t, `{"phone":"+1 201 555 0125"}`)
			alt, _ := got["alternatives"].(map[string]any)
			if status != http.StatusOK || got["status"] != "deflected" || alt["chat_url"] != "https://example.com/chat" || alt["phone"] != "+44 20 7946 0000" {
				t.Errorf("answer %d %v, want the deflection channels", status, got)
			}
			time.Sleep(100 * time.Millisecond)
			if n := st.sim.Count(); n != 0 {
				t.Errorf("%d calls placed for a deflected request", n)
			}
		})
	})
}

// TestEndToEndFormFriction fills the form over HTTP as a script would: the
// honeypot and a too-fast submission are reasons in the recorded decision,
// and the page says nothing about them.
func TestEndToEndFormFriction(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	tokenRE := regexp.MustCompile(`name="token" value="([^"]+)"`)
	submit := func(t *testing.T, wait time.Duration, extra url.Values) (string, risk.Decision) {
		t.Helper()
		resp, err := client.Get(st.url + "/")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := tokenRE.FindSubmatch(page)
		if m == nil {
			t.Fatalf("form without a token:\n%s", page)
		}
		time.Sleep(wait)
		form := url.Values{"token": {string(m[1])}, "region": {"US"}, "phone": {"201 555 0150"}, "consent": {"yes"}}
		for k, v := range extra {
			form[k] = v
		}
		resp, err = client.PostForm(st.url+"/", form)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		ds, err := st.queue.DecisionLog().Decisions(context.Background(), 1)
		if err != nil || len(ds) != 1 {
			t.Fatalf("decision log: %v %v", ds, err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		return string(body), ds[0]
	}
	clean, d := submit(t, 1600*time.Millisecond, nil)
	if d.Action != risk.Allow || len(d.Reasons) != 0 {
		t.Fatalf("clean submission: %s %v", d.Action, d.Codes())
	}
	for name, tt := range map[string]struct {
		wait  time.Duration
		extra url.Values
		code  string
	}{
		"honeypot": {1600 * time.Millisecond, url.Values{"leave_blank": {"http://cheap-pills.example"}, "phone": {"201 555 0451"}}, risk.CodeFormHoneypot},
		"too fast": {0, url.Values{"phone": {"201 555 0752"}}, risk.CodeFormTooFast},
	} {
		t.Run(name, func(t *testing.T) {
			page, d := submit(t, tt.wait, tt.extra)
			if !d.Has(tt.code) {
				t.Errorf("reasons %v, want %s", d.Codes(), tt.code)
			}
			if !samePage(clean, page) {
				t.Errorf("the page differs from a clean submission's:\n%s\n%s", page, clean)
			}
		})
	}
}

// samePage compares outcome pages with their references and the
// visitors' own (masked) numbers taken out.
func samePage(a, b string) bool {
	own := regexp.MustCompile(`(data-testid="callback-(?:reference|number)">)[^<]*<`)
	return own.ReplaceAllString(a, "${1}<") == own.ReplaceAllString(b, "${1}<")
}
