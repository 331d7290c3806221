package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// TestCallbackMix checks the benchmark's requests: well-formed, every clean
// number new and valid, every clean address new, and the refused shares as
// documented.
func TestCallbackMix(t *testing.T) {
	var m callbackMix
	numbers, ips := map[string]bool{}, map[string]bool{}
	special := 0
	const n = 5000
	for range n {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(m.request(0))))
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Phone string }
		if err := json.NewDecoder(req.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		ip := req.Header.Get("X-Forwarded-For")
		if !strings.HasPrefix(ip, "10.") || !strings.HasPrefix(body.Phone, "+1") || body.Phone == "+12015550166" {
			special++
			continue
		}
		if numbers[body.Phone] || ips[ip] {
			t.Fatalf("number %s or address %s seen twice, want every clean request new", body.Phone, ip)
		}
		numbers[body.Phone], ips[ip] = true, true
		if len(numbers)%250 == 0 {
			num, err := phonenumbers.Parse(body.Phone, "US")
			if err != nil || !phonenumbers.IsValidNumber(num) {
				t.Errorf("number %s: got invalid (%v), want a valid number", body.Phone, err)
			}
		}
	}
	if got, want := special, n*8/100; got != want {
		t.Errorf("refused-by-design requests: got %d, want %d (8%%)", got, want)
	}
}

// TestOpenLoopSendsOnSchedule runs the open-loop generator briefly against
// a local server: every request due is sent and answered.
func TestOpenLoopSendsOnSchedule(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	res, err := openLoop(context.Background(), addr, 4, 200, 250*time.Millisecond, constRequest("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 50 || len(res.Lat) != 50 || res.Errors != 0 || res.Statuses[200] != 50 {
		t.Errorf("got sent %d, answered %d, errors %d, statuses %v; want 50 sent and answered 200", res.Sent, len(res.Lat), res.Errors, res.Statuses)
	}
	if res.Quantile(0.5) <= 0 || res.Quantile(1) < res.Quantile(0.5) {
		t.Errorf("got p50 %s, max %s; want positive and ordered", res.Quantile(0.5), res.Quantile(1))
	}
}
