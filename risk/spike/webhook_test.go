package spike

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate/tollgate/risk"
)

func testAlert() Alert {
	return Alert{ID: "a1", At: time.Date(2031, 5, 1, 12, 0, 0, 0, time.UTC), Dimension: Prefix, Value: "+3312345",
		Count: 40, Baseline: 2, Window: risk.Duration(5 * time.Minute), Action: ActionBlocked, List: risk.DenyPrefix,
		Until: time.Date(2031, 5, 1, 13, 0, 0, 0, time.UTC)}
}

func TestWebhookDeliveryAndRetries(t *testing.T) {
	var calls atomic.Int32
	got := make(chan Payload, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type: got %q, want application/json", ct)
		}
		b, _ := io.ReadAll(r.Body)
		var p Payload
		if err := json.Unmarshal(b, &p); err != nil {
			t.Errorf("body %s: %v", b, err)
		}
		got <- p
	}))
	defer srv.Close()
	w := NewWebhooks(WebhookOptions{URLs: []string{srv.URL + "/hook"}, Backoff: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	w.Notify(testAlert())
	select {
	case p := <-got:
		if !strings.Contains(p.Text, "+3312345") || !strings.Contains(p.Text, "Blocked in deny_prefix") || p.Alert.ID != "a1" || p.Alert.Count != 40 {
			t.Errorf("payload: got %+v", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no delivery")
	}
	cancel()
	<-done
	if n := calls.Load(); n != 3 {
		t.Errorf("attempts: got %d, want 3 (two 503s, then delivered)", n)
	}
}

func TestWebhookGivesUp(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	w := NewWebhooks(WebhookOptions{Attempts: 3, Backoff: time.Millisecond})
	if err := w.Deliver(context.Background(), srv.URL, testAlert()); err == nil {
		t.Fatal("got nil, want an error")
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("attempts: got %d, want 3", n)
	}

	calls.Store(0)
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusNotFound)
	}))
	defer bad.Close()
	if err := w.Deliver(context.Background(), bad.URL, testAlert()); err == nil {
		t.Fatal("404: got nil, want an error")
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("404 attempts: got %d, want 1 (not retried)", n)
	}
}

func TestWebhookTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	w := NewWebhooks(WebhookOptions{Attempts: 2, Timeout: 50 * time.Millisecond, Backoff: time.Millisecond})
	if err := w.Deliver(context.Background(), srv.URL, testAlert()); err == nil {
		t.Fatal("got nil, want a timeout")
	}
}

func TestNotifyNeverBlocks(t *testing.T) {
	w := NewWebhooks(WebhookOptions{URLs: []string{"https://example.invalid/"}, Queue: 1})
	w.Notify(testAlert())
	w.Notify(testAlert()) // the queue is full and nobody runs it: dropped
}
