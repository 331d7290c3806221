package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The health check finds a real server from TOLLGATE_ADDR, as the image's
// HEALTHCHECK does, and passes on /healthz and /readyz.
func TestHealthcheckRealServer(t *testing.T) {
	base, _ := startTollgate(t)
	addr := strings.TrimPrefix(base, "http://")
	for _, args := range [][]string{nil, {"-ready"}} {
		var out bytes.Buffer
		if err := runHealthcheck(context.Background(), args, []string{"TOLLGATE_ADDR=" + addr}, &out); err != nil {
			t.Fatalf("healthcheck %v: %v", args, err)
		}
		want := "GET " + base + "/healthz: 200"
		if len(args) > 0 {
			want = "GET " + base + "/readyz?strict=true: 200"
		}
		if got := out.String(); !strings.HasPrefix(got, want) {
			t.Errorf("healthcheck %v printed %q, want it to start with %q", args, got, want)
		}
	}
	// A wildcard host is reached over loopback.
	port := addr[strings.LastIndex(addr, ":"):]
	if err := runHealthcheck(context.Background(), nil, []string{"TOLLGATE_ADDR=" + port}, &bytes.Buffer{}); err != nil {
		t.Errorf("healthcheck with TOLLGATE_ADDR=%s: %v", port, err)
	}
}

func TestHealthcheckFailures(t *testing.T) {
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":"unavailable","error":"redis unreachable"}`))
	}))
	defer unavailable.Close()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	redirect := httptest.NewServer(http.RedirectHandler(unavailable.URL, http.StatusFound))
	defer redirect.Close()
	// A degraded instance answers /readyz 200 and only the strict form 503.
	degraded := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("strict") == "true" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		w.Write([]byte(`{"status":"degraded"}`))
	}))
	defer degraded.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	for name, tc := range map[string]struct {
		args    []string
		environ []string
		want    string
	}{
		"503":              {[]string{"-url", unavailable.URL + "/readyz"}, nil, "status 503: {\"status\":\"unavailable\""},
		"degraded":         {[]string{"-ready"}, []string{"TOLLGATE_ADDR=" + strings.TrimPrefix(degraded.URL, "http://")}, "status 503: {\"status\":\"degraded\""},
		"nobody listens":   {[]string{"-url", closedURL + "/healthz"}, nil, "connection refused"},
		"too slow":         {[]string{"-url", slow.URL, "-timeout", "200ms"}, nil, "deadline exceeded"},
		"redirect":         {[]string{"-url", redirect.URL}, nil, "status 302"},
		"port 0":           {nil, []string{"TOLLGATE_ADDR=127.0.0.1:0"}, "pass -url"},
		"bad addr":         {nil, []string{"TOLLGATE_ADDR=8080"}, "TOLLGATE_ADDR: \"8080\" is not host:port"},
		"bad url":          {[]string{"-url", "127.0.0.1:8080/healthz"}, nil, "not an absolute http(s) URL"},
		"timeout too long": {[]string{"-timeout", "2h"}, nil, "at most 1m0s"},
		"extra argument":   {[]string{"now"}, nil, "takes no arguments"},
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			err := runHealthcheck(context.Background(), tc.args, tc.environ, &bytes.Buffer{})
			if err == nil {
				t.Fatalf("healthcheck %v: no error, want one containing %q", tc.args, tc.want)
			}
			if got := err.Error(); !strings.Contains(got, tc.want) {
				t.Errorf("healthcheck %v: got %q, want it to contain %q", tc.args, got, tc.want)
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("healthcheck %v took %s, want the timeout to bound it", tc.args, took)
			}
		})
	}
}

func TestHealthURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":          "http://127.0.0.1:8080/healthz",
		"0.0.0.0:8080":   "http://127.0.0.1:8080/healthz",
		"[::]:8080":      "http://[::1]:8080/healthz",
		"10.1.2.3:9000":  "http://10.1.2.3:9000/healthz",
		"localhost:8080": "http://localhost:8080/healthz",
	} {
		got, err := healthURL(addr, "/healthz")
		if err != nil || got != want {
			t.Errorf("healthURL(%q): got %q, %v, want %q", addr, got, err, want)
		}
	}
}

// main runs every subcommand the image and the README name.
func TestSubcommands(t *testing.T) {
	for _, name := range []string{"admin", "lists", "healthcheck"} {
		if subcommands[name] == nil {
			t.Errorf("tollgate %s is not a subcommand", name)
		}
	}
}
