package dispatch

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// logDecisions records n decisions, one millisecond apart so each has its
// own time: even ones allowed from 192.0.2.1 to GB numbers, odd ones
// blocked from 198.51.100.7 to US numbers with deny_ip.
func logDecisions(t *testing.T, q *Queue, n int) []risk.Decision {
	t.Helper()
	var out []risk.Decision
	for i := range n {
		d := risk.Decision{ID: fmt.Sprintf("d%03d", i), Action: risk.Allow, Number: fmt.Sprintf("+4477009%05d", i),
			NumberCountry: "GB", IP: netip.MustParseAddr("192.0.2.1"), IPCountry: "GB", At: time.Now()}
		if i%2 == 1 {
			d.Action, d.NumberCountry, d.Number = risk.Block, "US", fmt.Sprintf("+120155%05d", i)
			d.IP, d.IPCountry = netip.MustParseAddr("198.51.100.7"), "FR"
			d.Reasons = []risk.Reason{{Code: "deny_ip", Hard: true}}
		}
		if err := q.Record(context.Background(), d, nil); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
		time.Sleep(time.Millisecond)
	}
	return out
}

func TestQueueDecisionPage(t *testing.T) {
	for _, b := range redistest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			q, err := NewQueue(QueueOptions{Redis: b.Start(t), Dialer: &fakeDialer{}})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			ds := logDecisions(t, q, 10)
			ids := func(page []LoggedDecision) (out []string) {
				for _, d := range page {
					out = append(out, d.Decision.ID)
				}
				return out
			}
			all, _, err := q.DecisionLog().DecisionPage(ctx, DecisionFilter{}, "", 20)
			if err != nil || len(all) != 10 {
				t.Fatalf("all: %d decisions, %v", len(all), err)
			}
			logged := func(i int) time.Time {
				ms, _, _ := strings.Cut(all[9-i].Entry, "-")
				n, _ := strconv.ParseInt(ms, 10, 64)
				return time.UnixMilli(n)
			}
			for name, tt := range map[string]struct {
				f    DecisionFilter
				want string
			}{
				"all":      {DecisionFilter{}, "[d009 d008 d007 d006 d005 d004 d003 d002 d001 d000]"},
				"action":   {DecisionFilter{Action: risk.Block}, "[d009 d007 d005 d003 d001]"},
				"number":   {DecisionFilter{Number: ds[4].Number}, "[d004]"},
				"ip":       {DecisionFilter{IP: netip.MustParseAddr("198.51.100.7")}, "[d009 d007 d005 d003 d001]"},
				"ip side":  {DecisionFilter{Country: "FR"}, "[d009 d007 d005 d003 d001]"},
				"number c": {DecisionFilter{Country: "US"}, "[d009 d007 d005 d003 d001]"},
				"reason":   {DecisionFilter{Reason: "deny_ip"}, "[d009 d007 d005 d003 d001]"},
				"none":     {DecisionFilter{Reason: "deny_asn"}, "[]"},
				"time":     {DecisionFilter{From: logged(2), To: logged(4)}, "[d004 d003 d002]"},
			} {
				page, next, err := q.DecisionLog().DecisionPage(ctx, tt.f, "", 20)
				if err != nil {
					t.Fatal(err)
				}
				if got := fmt.Sprint(ids(page)); got != tt.want || next != "" {
					t.Errorf("%s: got %s next %q, want %s and no next", name, got, next, tt.want)
				}
			}

			first, next, err := q.DecisionLog().DecisionPage(ctx, DecisionFilter{Action: risk.Allow}, "", 3)
			if err != nil || fmt.Sprint(ids(first)) != "[d008 d006 d004]" || next != first[2].Entry {
				t.Fatalf("first page: %v next %q err %v", ids(first), next, err)
			}
			second, next, err := q.DecisionLog().DecisionPage(ctx, DecisionFilter{Action: risk.Allow}, next, 3)
			if err != nil || fmt.Sprint(ids(second)) != "[d002 d000]" || next != "" {
				t.Fatalf("second page: %v next %q err %v", ids(second), next, err)
			}

			got, err := q.DecisionLog().Decision(ctx, first[0].Entry)
			if err != nil || got.Decision.ID != "d008" || got.Decision.Number != ds[8].Number {
				t.Errorf("Decision(%s) = %+v, %v, want d008", first[0].Entry, got, err)
			}
			for _, id := range []string{"x", "1-1", ""} {
				if _, err := q.DecisionLog().Decision(ctx, id); !errors.Is(err, ErrUnknownDecision) {
					t.Errorf("Decision(%q): %v, want ErrUnknownDecision", id, err)
				}
			}
			if _, _, err := q.DecisionLog().DecisionPage(ctx, DecisionFilter{}, "x", 3); err == nil {
				t.Error("DecisionPage with cursor x succeeded")
			}

			if err := q.DecisionLog().SetLabel(ctx, first[0].Entry, LabelSpam); err != nil {
				t.Fatal(err)
			}
			if err := q.DecisionLog().SetLabel(ctx, first[1].Entry, "maybe"); err == nil {
				t.Error("SetLabel maybe succeeded")
			}
			labels, err := q.DecisionLog().Labels(ctx, first[0].Entry, first[1].Entry)
			if err != nil || len(labels) != 1 || labels[first[0].Entry] != LabelSpam {
				t.Errorf("Labels = %v, %v, want only %s spam", labels, err, first[0].Entry)
			}
		})
	}
}

// TestQueueDecisionPageBoundsTheScan: a filter nothing matches examines
// at most decisionMaxScan entries and hands back a cursor to go on.
func TestQueueDecisionPageBoundsTheScan(t *testing.T) {
	rdb := redistest.Backends[1].Start(t)
	q, err := NewQueue(QueueOptions{Redis: rdb, Dialer: &fakeDialer{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range decisionMaxScan + 10 {
			p.XAdd(ctx, &redis.XAddArgs{Stream: decisionLogKey, Values: []any{"id", i, "action", "allow", "decision", "{}"}})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	page, next, err := q.DecisionLog().DecisionPage(ctx, DecisionFilter{Action: risk.Block}, "", 10)
	if err != nil || len(page) != 0 || next == "" {
		t.Fatalf("got %d decisions, next %q, err %v; want none and a cursor", len(page), next, err)
	}
	page, next, err = q.DecisionLog().DecisionPage(ctx, DecisionFilter{Action: risk.Block}, next, 10)
	if err != nil || len(page) != 0 || next != "" {
		t.Errorf("rest: got %d decisions, next %q, err %v; want none and the end", len(page), next, err)
	}
}

func TestValidStreamID(t *testing.T) {
	for id, want := range map[string]bool{"1700000000000-0": true, "1-12": true, strings.Repeat("0", 20) + "-0": true,
		"x": false, "1-x": false, "1": false, "": false, "+1-2": false, "1-+2": false, "1-2-3": false, "-1": false,
		"1-": false, " 1-2": false, strings.Repeat("1", 21) + "-0": false} {
		if got := ValidStreamID(id); got != want {
			t.Errorf("ValidStreamID(%q): got %v, want %v", id, got, want)
		}
	}
}
