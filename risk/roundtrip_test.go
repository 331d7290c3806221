package risk_test

import (
	"context"
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
)

// countingHook counts what a client sends: single commands and pipelines.
type countingHook struct{ cmds, pipelines atomic.Int64 }

var _ redis.Hook = (*countingHook)(nil)

func (h *countingHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *countingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.cmds.Add(1)
		return next(ctx, cmd)
	}
}

func (h *countingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.pipelines.Add(1)
		return next(ctx, cmds)
	}
}

func TestEvaluateIsOneRoundTrip(t *testing.T) {
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer rdb.Close()
	e := newEngine(t, rdb, nil)
	add(t, e, risk.DenyPrefix, "+4474")
	h := &countingHook{}
	rdb.AddHook(h)
	for i, ip := range []string{"192.0.2.10", "2001:db8::1", "198.51.100.20"} {
		h.cmds.Store(0)
		h.pipelines.Store(0)
		eval(t, e, fmt.Sprintf("+1201555%04d", 200+i), netip.MustParseAddr(ip))
		if c, p := h.cmds.Load(), h.pipelines.Load(); c != 0 || p != 1 {
			t.Errorf("decision from %s: got %d commands and %d pipelines, want 0 and 1", ip, c, p)
		}
	}
}
