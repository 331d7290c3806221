package metrics

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"
)

// redisErrors returns m's Redis error counts by kind.
func redisErrors(m *Metrics) map[string]float64 {
	got := map[string]float64{}
	for _, k := range []string{kindTimeout, kindCanceled, kindReply, kindOther} {
		got[k] = testutil.ToFloat64(m.redisErrors.WithLabelValues(k))
	}
	return got
}

func TestErrorKind(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{redis.Nil, ""},
		{context.DeadlineExceeded, kindTimeout},
		{redis.ErrPoolTimeout, kindTimeout},
		{&net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, kindTimeout},
		{context.Canceled, kindCanceled},
		{redis.TxFailedErr, kindReply},
		{errors.New("dial tcp: connection refused"), kindOther},
	} {
		if got := errorKind(tc.err); got != tc.want {
			t.Errorf("errorKind(%v): got %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestRedisHookCounts(t *testing.T) {
	mr := miniredis.RunT(t)
	m := New()
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	rdb.AddHook(m.RedisHook())
	ctx := context.Background()

	// A missing key, in a command or a pipeline, is an answer; the
	// connection's set-up commands miniredis refuses are not counted.
	if err := rdb.Get(ctx, "missing").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET of a missing key: got %v, want redis.Nil", err)
	}
	rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Get(ctx, "missing")
		p.Set(ctx, "k", "v", time.Minute)
		return nil
	})
	if got := redisErrors(m); got[kindReply]+got[kindOther]+got[kindTimeout] != 0 {
		t.Fatalf("after answers only: got %v, want no errors", got)
	}

	// One pipeline with a missing key and two wrong-type commands counts
	// one reply error.
	rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Get(ctx, "missing")
		p.LPush(ctx, "k", "x")
		p.LPush(ctx, "k", "y")
		return nil
	})
	rdb.Do(ctx, "NOSUCHCOMMAND")
	if got := redisErrors(m)[kindReply]; got != 2 {
		t.Errorf("reply errors: got %v, want 2 (one pipeline, one command)", got)
	}

	mr.Close()
	rdb.Ping(ctx)
	if got := redisErrors(m)[kindOther]; got != 1 {
		t.Errorf("errors against a closed server: got %v, want 1 other", got)
	}
}

func TestRedisHookCountsTimeouts(t *testing.T) {
	// A listener that accepts and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	m := New()
	rdb := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), ReadTimeout: 50 * time.Millisecond, MaxRetries: -1, Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { rdb.Close() })
	rdb.AddHook(m.RedisHook())
	if err := rdb.Set(context.Background(), "k", "v", time.Minute).Err(); err == nil {
		t.Fatal("SET against a silent server: got no error")
	}
	if got := redisErrors(m)[kindTimeout]; got != 1 {
		t.Errorf("timeouts: got %v (all: %v), want 1", got, redisErrors(m))
	}
}
