package replay_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/geo"
	"github.com/tollgate/tollgate/risk/replay"
)

// traffic is a day's worth of labelled requests decided by a live engine,
// as the decision log records them.
type traffic struct {
	engine   *risk.Engine
	settings risk.Settings
	recorded []replay.Recorded
}

// record decides labelled requests one second apart on an engine of its
// own and keeps every decision: clean visitors in the US and GB, a script
// walking numbers from one address, Tor exits, a number asked for from
// many addresses, a deny-listed number.
func record(t testing.TB) traffic {
	t.Helper()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { rdb.Close() })
	db, err := geo.Demo()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	s := risk.DefaultSettings()
	// The engine answers no visitor: early refusals need not wait.
	e, err := risk.NewEngine(risk.Options{Redis: rdb, GeoIP: db, DefaultRegion: "US", Settings: &s, Replay: true,
		Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	ctx := t.Context()
	if _, err := e.ListStore().AddEntry(ctx, risk.DenyNumber, risk.Entry{Value: "+12125550199"}); err != nil {
		t.Fatal(err)
	}
	if err := e.ListStore().LoadMirror(ctx); err != nil {
		t.Fatal(err)
	}
	tr := traffic{engine: e, settings: s}
	send := func(i int, phone string, ip netip.Addr, label string, extra ...risk.Reason) {
		at = at.Add(time.Second)
		m.FastForward(time.Second)
		d, err := e.Evaluate(ctx, risk.Request{Phone: phone, IP: ip, Extra: extra})
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		tr.recorded = append(tr.recorded, replay.Recorded{Entry: fmt.Sprintf("%d-0", at.UnixMilli()), Decision: d, Label: label})
	}
	for i := range 600 {
		switch i % 10 {
		case 0, 1, 2, 3:
			send(i, fmt.Sprintf("+1212%07d", 2_000_000+i*104_729%7_000_000), netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), "legit")
		case 4, 5:
			send(i, fmt.Sprintf("+447400%06d", 100_000+i*7_919%800_000), netip.AddrFrom4([4]byte{10, 4, byte(i >> 8), byte(i)}), "legit")
		case 6:
			send(i, fmt.Sprintf("+1305%07d", 2_000_000+i), netip.MustParseAddr("10.66.0.1"), "spam")
		case 7:
			send(i, fmt.Sprintf("+1415%07d", 2_000_000+i), netip.AddrFrom4([4]byte{203, 0, 113, byte(i % 250)}), "spam")
		case 8:
			send(i, "+13125550123", netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)}), "spam")
		case 9:
			send(i, "+12125550199", netip.AddrFrom4([4]byte{10, 3, byte(i >> 8), byte(i)}), "spam",
				risk.Reason{Code: risk.CodeFormTooFast, Detail: "sent in 1s"})
		}
	}
	return tr
}

func (tr traffic) replay(t *testing.T, draft risk.Settings) replay.Result {
	t.Helper()
	res, err := replay.Run(t.Context(), tr.recorded, replay.Options{Settings: draft, Lists: tr.engine.ListStore(), Region: "US"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Decisions != len(tr.recorded) || res.Stopped != "" {
		t.Fatalf("replayed %d of %d (stopped: %q)", res.Decisions, len(tr.recorded), res.Stopped)
	}
	return res
}

func TestReplayOfTheSettingsInForceChangesNothing(t *testing.T) {
	tr := record(t)
	res := tr.replay(t, tr.settings)
	if res.Changed != 0 {
		t.Errorf("changed %d decisions: %+v", res.Changed, res.Actions)
	}
	for _, rc := range res.Reasons {
		t.Errorf("reason %s: added %d, removed %d; want none", rc.Code, rc.Added, rc.Removed)
	}
}

func TestReplayOfABlockedCountryChangesItsAllowedDecisions(t *testing.T) {
	tr := record(t)
	allowedGB, unblockedGB := 0, 0
	for _, r := range tr.recorded {
		if r.Decision.NumberCountry == "GB" && r.Decision.Action != risk.Block {
			unblockedGB++
			if r.Decision.Action == risk.Allow {
				allowedGB++
			}
		}
	}
	draft := tr.settings
	draft.Account.Countries = map[string]risk.Mode{"GB": risk.ModeBlock}
	res := tr.replay(t, draft)
	if allowedGB < 100 {
		t.Fatalf("only %d GB decisions were allowed: the traffic does not test the draft", allowedGB)
	}
	if res.Changed != unblockedGB || res.CallsAvoided != allowedGB || res.CallsAdded != 0 {
		t.Errorf("changed %d, calls avoided %d, added %d; want the %d GB decisions not blocked, %d of them allowed",
			res.Changed, res.CallsAvoided, res.CallsAdded, unblockedGB, allowedGB)
	}
	// A refused request adds nothing to the counts others are judged by,
	// so reasons resting on them may go; none may come.
	for _, rc := range res.Reasons {
		want := 0
		if rc.Code == risk.CodeCountryBlocked {
			want = len(tr.recorded) / 10 * 2
		}
		if rc.Added != want {
			t.Errorf("reason %s added to %d decisions, want %d", rc.Code, rc.Added, want)
		}
	}
	if res.LegitRefused.Count != allowedGB || len(res.LegitRefused.Sample) != 20 {
		t.Errorf("legit refused: %d, %d sampled; want %d, 20 sampled", res.LegitRefused.Count, len(res.LegitRefused.Sample), allowedGB)
	}
	for _, ch := range res.LegitRefused.Sample {
		if ch.Country != "GB" || ch.Before != risk.Allow || ch.After != risk.Block {
			t.Errorf("changed %+v; want a GB decision from allow to block", ch)
		}
	}
}

func TestReplayOfStricterVelocityChangesAttacksMore(t *testing.T) {
	tr := record(t)
	draft := tr.settings
	draft.Velocity.NumbersPerIP = risk.Limit{Window: draft.Velocity.NumbersPerIP.Window, Warning: 2, Critical: 3}
	draft.Velocity.IPsPerNumber = risk.Limit{Window: draft.Velocity.IPsPerNumber.Window, Warning: 2, Critical: 3}
	res := tr.replay(t, draft)
	if spam, legit := res.ChangedByLabel["spam"], res.ChangedByLabel["legit"]; spam <= legit {
		t.Errorf("changed %d spam and %d legit decisions; want more spam (%+v)", spam, legit, res.Actions)
	}
}

func TestReplayStopsAtItsDeadline(t *testing.T) {
	tr := record(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	res, err := replay.Run(ctx, tr.recorded, replay.Options{Settings: tr.settings, Lists: tr.engine.ListStore(), Region: "US"})
	if err == nil && res.Stopped == "" {
		t.Errorf("a cancelled replay ran %d decisions and said nothing", res.Decisions)
	}
}

// replayEntry is a decision log entry id for a decision at at, the n-th.
func replayEntry(at time.Time, n int) string { return fmt.Sprintf("%d-%d", at.UnixMilli(), n) }
