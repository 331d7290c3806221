package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// closedWithin reports whether the server ends conn, with or without an
// answer first, before limit passes.
func closedWithin(t *testing.T, conn net.Conn, limit time.Duration) (bool, string) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(limit))
	got, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false, string(got)
	}
	return true, string(got)
}

func TestSlowClientIsCutOff(t *testing.T) {
	base, _ := startTollgate(t, "TOLLGATE_READ_HEADER_TIMEOUT=300ms")
	addr := strings.TrimPrefix(base, "http://")

	t.Run("stalls", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprint(conn, "POST /api/v1/callbacks HTTP/1.1\r\nHost: tollgate\r\n")
		// The default ReadHeaderTimeout is 5s: closing within 3s shows the
		// configured one applies.
		if closed, got := closedWithin(t, conn, 3*time.Second); !closed {
			t.Errorf("a client stalling in its headers was not cut off; read %q", got)
		}
	})
	t.Run("trickles", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		header := "GET /healthz HTTP/1.1\r\nHost: tollgate\r\nX-Slow: " + strings.Repeat("a", 100)
		wrote := 0
		deadline := time.Now().Add(3 * time.Second)
		for ; wrote < len(header) && time.Now().Before(deadline); wrote++ {
			if _, err := conn.Write([]byte{header[wrote]}); err != nil {
				break // cut off
			}
			time.Sleep(20 * time.Millisecond)
		}
		if closed, got := closedWithin(t, conn, time.Second); !closed {
			t.Errorf("a client trickling its headers (%d bytes sent) was not cut off; read %q", wrote, got)
		}
	})
}

func TestIdleConnectionIsClosed(t *testing.T) {
	base, _ := startTollgate(t, "TOLLGATE_IDLE_TIMEOUT=300ms")
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "GET /healthz HTTP/1.1\r\nHost: tollgate\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("got %d (close %v), want 200 on a kept-alive connection", resp.StatusCode, resp.Close)
	}
	// The default IdleTimeout is 60s.
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := br.ReadByte(); err == nil || errors.As(err, new(net.Error)) && err.(net.Error).Timeout() {
		t.Errorf("idle connection still open after 3s: %v", err)
	}
}

func TestOversizedHeadersAnswered431(t *testing.T) {
	base, _ := startTollgate(t, "TOLLGATE_MAX_HEADER_BYTES=8192")
	req, _ := http.NewRequest(http.MethodGet, base+"/healthz", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 16<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, want := resp.StatusCode, http.StatusRequestHeaderFieldsTooLarge; got != want {
		t.Errorf("16 KiB of headers with an 8 KiB limit: got %d, want %d", got, want)
	}
}

// malformed returns the i-th of the flood's hostile requests.
func malformed(base string, i int) *http.Request {
	mk := func(method, path, ctype, body string) *http.Request {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		return req
	}
	const api = "/api/v1/callbacks"
	switch i % 12 {
	case 0:
		return mk(http.MethodPost, api, "application/json", `{"phone":`)
	case 1:
		return mk(http.MethodPost, api, "text/plain", `{"phone":"+12015550123"}`)
	case 2:
		return mk(http.MethodPost, api, "application/json", `{"phone":"`+strings.Repeat("9", 100<<10)+`"}`)
	case 3:
		return mk(http.MethodDelete, api, "", "")
	case 4:
		return mk(http.MethodPost, api, "application/json", "{\"phone\":\"+1201\xff\xfe\"}")
	case 5:
		req := mk(http.MethodGet, "/healthz", "", "")
		req.Header.Set("X-Big", strings.Repeat("h", 40<<10))
		return req
	case 6:
		return mk(http.MethodPost, api, "application/json", `{"phone":"+12015550123","admin":true}`)
	case 7:
		return mk(http.MethodPost, api, "application/json", `[1,2,3]`)
	case 8:
		return mk(http.MethodPost, "/", "application/x-www-form-urlencoded", "phone=%zz&consent=%")
	case 9:
		return mk(http.MethodPost, "/flows/connect", "application/json", `{"Details":{}}`)
	case 10:
		return mk(http.MethodPost, api, "application/json", `{"phone":"not a number <script>"}`)
	default:
		return mk(http.MethodPut, "/admin/lists/deny_number", "application/json", "{}")
	}
}

func TestFloodOfMalformedRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 10,000 requests")
	}
	base, _ := startTollgate(t)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	// Warm up: the first requests build pools and caches that stay.
	for i := range 240 {
		if resp, err := client.Do(malformed(base, i)); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	goroutines := runtime.NumGoroutine()

	const total, workers = 10_000, 8
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	var mu sync.Mutex
	statuses := map[int]int{}
	var bad []string
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				req := malformed(base, i).WithContext(ctx)
				resp, err := client.Do(req)
				mu.Lock()
				switch {
				case err != nil:
					if len(bad) < 10 {
						bad = append(bad, fmt.Sprintf("request %d (kind %d): %v", i, i%12, err))
					}
				default:
					statuses[resp.StatusCode]++
					if (resp.StatusCode < 400 || resp.StatusCode >= 500) && len(bad) < 10 {
						bad = append(bad, fmt.Sprintf("request %d (kind %d): status %d", i, i%12, resp.StatusCode))
					}
				}
				mu.Unlock()
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		})
	}
	sent := 0
	for ; sent < total && ctx.Err() == nil; sent++ {
		next <- sent
	}
	close(next)
	wg.Wait()
	if sent < total {
		t.Fatalf("sent %d of %d requests within 3 minutes", sent, total)
	}
	for _, b := range bad {
		t.Error(b)
	}
	t.Logf("statuses: %v", statuses)

	client.CloseIdleConnections()
	var after runtime.MemStats
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		runtime.ReadMemStats(&after)
		if runtime.NumGoroutine() <= goroutines+2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := runtime.NumGoroutine(); got > goroutines+2 {
		t.Errorf("goroutines: %d after the flood, %d before", got, goroutines)
	}
	const slack = 8 << 20
	if after.HeapInuse > before.HeapInuse+slack {
		t.Errorf("heap in use grew from %d to %d bytes, more than %d", before.HeapInuse, after.HeapInuse, slack)
	}
	t.Logf("heap in use: %d before, %d after", before.HeapInuse, after.HeapInuse)
}
