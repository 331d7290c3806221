package main

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

// Waits of the end-to-end tests.
const (
	// pollEvery is how often a wait reads the state again.
	pollEvery = 50 * time.Millisecond
	// waitBound is the longest a wait lasts: far longer than any state
	// takes on a slow machine, and short enough that a broken test leaves
	// the rest of the run its time.
	waitBound = 2 * time.Minute
)

// waitUntil reads a state with read until holds is true of it (or, when
// holds is nil, until read succeeds) and returns it. A slow machine only
// makes it wait longer: it gives up after waitBound, or sooner when the
// test's time runs out, at its deadline less a tenth of the time left (5 s
// at least), so that the failure is the test's own and its cleanups still
// run. Then it fails the test with the last state seen, or read's last
// error. read's ctx ends with the wait.
func waitUntil[T any](t *testing.T, what string, read func(ctx context.Context) (T, error), holds func(T) bool) T {
	t.Helper()
	end := time.Now().Add(waitBound)
	if d, ok := t.Deadline(); ok {
		if last := d.Add(-max(time.Until(d)/10, 5*time.Second)); last.Before(end) {
			end = last
		}
	}
	ctx, cancel := context.WithDeadline(t.Context(), end)
	defer cancel()
	start := time.Now()
	var last T
	var lastErr error
	for {
		v, err := read(ctx)
		if err == nil && (holds == nil || holds(v)) {
			return v
		}
		if ctx.Err() == nil {
			last, lastErr = v, err
		}
		select {
		case <-ctx.Done():
			waited := time.Since(start).Round(time.Millisecond)
			if lastErr != nil {
				t.Fatalf("waited %v for %s; last read: %v", waited, what, lastErr)
			}
			t.Fatalf("waited %v for %s; last seen: %+v", waited, what, last)
			return last
		case <-time.After(pollEvery):
		}
	}
}

// fetchText GETs url, with token as bearer unless it is empty, and returns
// the status and the body.
func fetchText(ctx context.Context, url, token string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}
