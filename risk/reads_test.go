package risk

import (
	"context"
	"net/netip"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

func TestHashTag(t *testing.T) {
	for key, want := range map[string]string{
		"tg:{ip:1.2.3.4}:w60000:1": "ip:1.2.3.4",
		"tg:{}:x":                  "tg:{}:x",
		"tg:{a}{b}":                "a",
		"plain":                    "plain",
		"tg:{open":                 "tg:{open",
	} {
		if got := hashTag(key); got != want {
			t.Errorf("hashTag(%q): got %q, want %q", key, got, want)
		}
	}
}

func TestReadsGroups(t *testing.T) {
	keys := []string{"tg:{ip:a}:w1:0", "tg:{n:+1}:w1:0", "tg:{ip:a}:w2:0", "tg:{spend}:d1"}
	for _, tc := range []struct {
		cluster bool
		want    int
	}{{false, 1}, {true, 3}} {
		rd := newReads(tc.cluster)
		for _, k := range keys {
			rd.add(k)
		}
		if got := len(rd.groups); got != tc.want {
			t.Errorf("cluster %v: got %d MGETs, want %d", tc.cluster, got, tc.want)
		}
	}
}

// pipelineNames records the command names of each pipeline a client sends.
type pipelineNames struct{ pipelines [][]string }

func (h *pipelineNames) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (h *pipelineNames) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (h *pipelineNames) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		var names []string
		for _, c := range cmds {
			names = append(names, c.Name())
		}
		h.pipelines = append(h.pipelines, names)
		return next(ctx, cmds)
	}
}

// TestEvaluateReadsInOneMGET checks that on a single Redis a decision's
// plain reads (previous buckets of five counters, placed calls, the day's
// spend) go in one MGET with the right values.
func TestEvaluateReadsInOneMGET(t *testing.T) {
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer rdb.Close()
	s := DefaultSettings()
	s.Spend.NumberPerHour, s.Spend.NumberPerDay, s.Spend.DailyBudget = 2, 5, 1000
	e, err := NewEngine(Options{Redis: rdb, DefaultRegion: "US", Settings: &s})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	if err := e.RecordPlaced(ctx, PlacedCall{Number: "+12015550123", Country: "US"}); err != nil {
		t.Fatal(err)
	}
	if err := e.RecordPlaced(ctx, PlacedCall{Number: "+12015550123", Country: "US"}); err != nil {
		t.Fatal(err)
	}
	h := &pipelineNames{}
	rdb.AddHook(h)
	d, err := e.Evaluate(ctx, Request{Phone: "+12015550123", IP: netip.MustParseAddr("192.0.2.1")})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.pipelines) != 1 {
		t.Fatalf("got %d pipelines, want 1", len(h.pipelines))
	}
	counts := map[string]int{}
	for _, n := range h.pipelines[0] {
		counts[n]++
	}
	if counts["mget"] != 1 || counts["get"] != 0 {
		t.Errorf("got %d MGET and %d GET in the decision's pipeline, want 1 and 0", counts["mget"], counts["get"])
	}
	if !d.Has(CodeNumberCapHour) {
		t.Errorf("two calls placed this hour with a cap of 2: got reasons %v, want %s", d.Codes(), CodeNumberCapHour)
	}
}
