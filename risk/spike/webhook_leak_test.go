package spike

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// A webhook that fails, or that redirects, leaves no trace of its URL's
// secret path in the log, and a redirect's target is never requested.
func TestWebhookNeverLogsItsURLNorFollowsRedirects(t *testing.T) {
	var stolen atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
	}))
	defer target.Close()
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer redirecting.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()

	var log bytes.Buffer
	w := NewWebhooks(WebhookOptions{Attempts: 1, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	ctx := context.Background()
	w.send(ctx, redirecting.URL+"/services/T0/redirect-secret", testAlert())
	w.send(ctx, downURL+"/services/T0/down-secret", testAlert())

	got := log.String()
	if n := strings.Count(got, "alert webhook failed"); n != 2 {
		t.Errorf("failure lines: got %d, want 2; log:\n%s", n, got)
	}
	for _, secret := range []string{"redirect-secret", "down-secret", "/services/", target.URL, "elsewhere"} {
		if strings.Contains(got, secret) {
			t.Errorf("log holds %q; got:\n%s", secret, got)
		}
	}
	if n := stolen.Load(); n != 0 {
		t.Errorf("requests to the redirect's target: got %d, want 0", n)
	}
}
