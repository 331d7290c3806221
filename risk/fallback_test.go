package risk_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
)

// TestFallbackAllowScoresWhatNeedsNoRedis checks that the allow fail mode
// decides a request as Evaluate does on a store that has seen nothing:
// the same action and, store_unavailable aside, the same reasons.
func TestFallbackAllowScoresWhatNeedsNoRedis(t *testing.T) {
	tests := []struct {
		name  string
		phone string
		ip    netip.Addr
		want  risk.Action
		extra []risk.Reason
	}{
		{"clean", usNum, usIP, risk.Allow, nil},
		{"premium rate", gbPrem, gbIP, risk.Deflect, nil},
		{"VoIP", gbVoIP, gbIP, risk.Deflect, nil},
		{"Tor exit, hosting", "+12015550124", torIP, risk.Block, nil},
		{"VPN, geo mismatch", "+447400123459", netip.MustParseAddr("2001:db8:1::9"), risk.Block, nil},
		{"geo mismatch alone", "+12015558111", gbIP, risk.Allow, nil},
		{"honeypot", "+12015550125", usIP, risk.Block, []risk.Reason{{Code: risk.CodeFormHoneypot, Detail: "test"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := risk.Request{Phone: tt.phone, IP: tt.ip, UserAgent: "test", Extra: tt.extra}
			ev, err := newEngine(t, miniStore(t), nil).Evaluate(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			fb, err := newEngine(t, miniStore(t), nil).Fallback(req, risk.Allow, "test outage")
			if err != nil {
				t.Fatal(err)
			}
			wantAction(t, ev, tt.want)
			wantAction(t, fb, tt.want, risk.CodeStoreUnavailable)
			got := slices.DeleteFunc(fb.Codes(), func(c string) bool { return c == risk.CodeStoreUnavailable })
			if want := ev.Codes(); !slices.Equal(got, want) {
				t.Errorf("fallback reasons: got %v, want Evaluate's %v", got, want)
			}
			if fb.Score != ev.Score {
				t.Errorf("fallback score: got %d, want Evaluate's %d", fb.Score, ev.Score)
			}
		})
	}
}

// TestFallbackAllowOncePerNumber checks the in-process stand-in for the
// outstanding-callback lock: one fail-mode callback per number per
// duplicate TTL.
func TestFallbackAllowOncePerNumber(t *testing.T) {
	e := newEngine(t, miniStore(t), nil)
	req := risk.Request{Phone: usNum, IP: usIP, UserAgent: "test"}
	first, err := e.Fallback(req, risk.Allow, "test outage")
	if err != nil {
		t.Fatal(err)
	}
	wantAction(t, first, risk.Allow)
	second, err := e.Fallback(req, risk.Allow, "test outage")
	if err != nil {
		t.Fatal(err)
	}
	wantAction(t, second, risk.Block, risk.CodeDuplicate)
	other, err := e.Fallback(risk.Request{Phone: "+12015550199", IP: usIP, UserAgent: "test"}, risk.Allow, "test outage")
	if err != nil {
		t.Fatal(err)
	}
	wantAction(t, other, risk.Allow)
	// Deflect and block fail modes take no hold and score nothing.
	d, err := e.Fallback(risk.Request{Phone: gbPrem, IP: gbIP}, risk.Deflect, "test outage")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.Codes(), []string{risk.CodeStoreUnavailable}; !slices.Equal(got, want) {
		t.Errorf("deflect fail mode reasons: got %v, want %v", got, want)
	}
}

// TestFailedEvaluationsBoundTheirReleases checks that evaluations failing
// against a store that never answers do not gather one lock-release
// goroutine each.
func TestFailedEvaluationsBoundTheirReleases(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() { // accepts and never answers
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	rdb := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), ContextTimeoutEnabled: true, MaxRetries: -1,
		PoolSize: 200})
	t.Cleanup(func() { rdb.Close() })
	e := newEngineUnmirrored(t, rdb, nil)

	const requests = 100
	before := runtime.NumGoroutine()
	for i := range requests {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		_, err := e.Evaluate(ctx, risk.Request{Phone: fmt.Sprintf("+1201555%04d", i*37), IP: usIP})
		cancel()
		if err == nil {
			t.Fatal("Evaluate against a store that never answers succeeded")
		}
	}
	// Releases in flight hold a goroutine (and go-redis one more per
	// connection); 100 unbounded releases would hold 100 or more.
	if got, limit := runtime.NumGoroutine()-before, 60; got > limit {
		t.Errorf("goroutines after %d failed evaluations: %d more than before, want at most %d", requests, got, limit)
	}
	if testing.Verbose() {
		t.Logf("goroutines: %d more than before", runtime.NumGoroutine()-before)
	}
}
