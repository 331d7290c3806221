package redistest_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/risk/redistest"
)

func TestServerAnswers(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t)
	c := s.Client()
	ctx := t.Context()

	if got, err := c.Ping(ctx).Result(); err != nil || got != "PONG" {
		t.Fatalf("PING = %q, %v; want PONG, nil", got, err)
	}
	if err := c.Set(ctx, "greeting", "hello", time.Minute).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if got, err := c.Get(ctx, "greeting").Result(); err != nil || got != "hello" {
		t.Fatalf("GET greeting = %q, %v; want %q, nil", got, err, "hello")
	}

	redistest.Flush(t, c)
	if got, err := c.DBSize(ctx).Result(); err != nil || got != 0 {
		t.Fatalf("DBSIZE after Flush = %d, %v; want 0, nil", got, err)
	}
}

func TestServerCloseStopsServer(t *testing.T) {
	t.Parallel()
	s, err := redistest.StartServer()
	if err != nil {
		if errors.Is(err, redistest.ErrNoRedisServer) && !redistest.Required() {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	c := s.Client()
	if err := c.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("PING before Close: %v", err)
	}

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: got %v, want nil", err)
	}
	if conn, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("dial %s after Close: got a connection, want an error", s.Addr)
	}
	if err := c.Ping(t.Context()).Err(); err == nil {
		t.Errorf("PING on a client after Close: got nil error, want one")
	}
}

func TestServersGetDistinctPorts(t *testing.T) {
	t.Parallel()
	a, b := redistest.NewServer(t), redistest.NewServer(t)
	if a.Addr == b.Addr {
		t.Fatalf("two servers share %s", a.Addr)
	}
	ctx := t.Context()
	if err := a.Client().Set(ctx, "k", "a", time.Minute).Err(); err != nil {
		t.Fatalf("SET on a: %v", err)
	}
	if got, err := b.Client().Exists(ctx, "k").Result(); err != nil || got != 0 {
		t.Errorf("EXISTS k on b = %d, %v; want 0, nil", got, err)
	}
}

func TestStartServerErrorIncludesLog(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake redis-server is a shell script")
	}
	dir := t.TempDir()
	fake := "#!/bin/sh\necho '*** FATAL CONFIG FILE ERROR: fake redis-server refuses to start'\nexit 1\n"
	if err := os.WriteFile(filepath.Join(dir, "redis-server"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)

	s, err := redistest.StartServer()
	if err == nil {
		s.Close()
		t.Fatal("StartServer with a failing redis-server: got nil error, want one")
	}
	if want := "fake redis-server refuses to start"; !strings.Contains(err.Error(), want) {
		t.Errorf("StartServer error: got %q, want it to contain %q", err, want)
	}
}

func TestServerStopRestart(t *testing.T) {
	s := redistest.NewServer(t)
	c := s.Client()
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("PING answered while the server was stopped")
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(); err == nil {
		t.Error("Restart of a running server did not fail")
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING after restart on the same address: %v", err)
	}
	if n, err := c.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Errorf("EXISTS k after restart = %d, %v; want 0, a fresh server", n, err)
	}
}
