package risk_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// A deny-list hit in monitor mode is recorded, scores nothing and does not
// block.
func TestMonitorModeDenyListHitAllows(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, miniStore(t), func(s *risk.Settings) { s.Monitor = []string{risk.CodeDenyNumber} })
	if _, err := e.ListStore().AddEntry(ctx, risk.DenyNumber, risk.Entry{Value: usNum, Reason: "fraud", Author: "test"}); err != nil {
		t.Fatal(err)
	}
	d := eval(t, e, usNum, usIP)
	wantAction(t, d, risk.Allow, risk.CodeDenyNumber)
	for _, r := range d.Reasons {
		if r.Code != risk.CodeDenyNumber {
			continue
		}
		if !r.Monitor || r.Weight != 0 || r.Hard {
			t.Errorf("deny_number reason: got %+v, want monitor, weight 0, not hard", r)
		}
		if got, want := r.Detail, "would add 100 and block"; !strings.Contains(got, want) {
			t.Errorf("deny_number detail: got %q, want it to contain %q", got, want)
		}
	}
	if got, want := d.Score, 0; got != want {
		t.Errorf("score: got %d, want %d", got, want)
	}
}

// A deflecting reason in monitor mode does not deflect.
func TestMonitorModeDeflectingReasonAllows(t *testing.T) {
	e := newEngine(t, miniStore(t), func(s *risk.Settings) {
		s.RequireAuth = true
		s.Monitor = []string{risk.CodeAuthRequired}
	})
	wantAction(t, eval(t, e, usNum, usIP), risk.Allow, risk.CodeAuthRequired)
}

func TestValidateReportsEveryField(t *testing.T) {
	s := risk.DefaultSettings()
	s.Monitor = []string{"no_such_code"}
	s.Deflect.ChatURL = "/chat"
	s.Dispatch = risk.Dispatch{RatePerMinute: -1, CountryRatePerMinute: 100001}
	s.Velocity.IP[1].Warning = 0
	s.BlockAt = 10
	var got []string
	for _, fe := range risk.FieldErrors(s.Validate()) {
		got = append(got, fe.Field)
	}
	want := []string{"monitor[0]", "block_at", "velocity.ip[1].warning", "deflect.chat_url", "dispatch.rate_per_minute", "dispatch.country_rate_per_minute"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("fields with errors: got %v, want %v", got, want)
	}
	if err := risk.DefaultSettings().Validate(); err != nil {
		t.Errorf("default settings: got %v, want valid", err)
	}
}

// Settings returns a copy: changing its maps changes nothing in force.
func TestSettingsIsACopy(t *testing.T) {
	e := newEngine(t, miniStore(t), func(s *risk.Settings) {
		s.Flows = map[string]risk.Policy{"sales": {Countries: map[string]risk.Mode{"GB": risk.ModeBlock}}}
	})
	s := e.SettingsStore().Settings()
	s.Flows["sales"].Countries["GB"] = risk.ModeAllow
	s.Account.Default = risk.ModeBlock
	if got, want := e.SettingsStore().Settings().Flows["sales"].Countries["GB"], risk.ModeBlock; got != want {
		t.Errorf("flow rule after changing a copy: got %s, want %s", got, want)
	}
}

// Stored settings that predate the deflection channels and dispatch rates
// keep this instance's own (from its environment).
func TestLoadSettingsKeepsInitialChannelsAndRates(t *testing.T) {
	ctx := context.Background()
	rdb := miniStore(t)
	if err := newEngine(t, rdb, nil).SettingsStore().SaveSettings(ctx, risk.DefaultSettings()); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, rdb, func(s *risk.Settings) {
		s.Deflect = risk.Channels{ChatURL: "https://example.com/chat"}
		s.Dispatch = risk.Dispatch{RatePerMinute: 60, CountryRatePerMinute: 20}
	})
	raw, _ := rdb.Get(ctx, "tg:settings").Result()
	raw = strings.Replace(raw, `"deflect":{},"dispatch":{"rate_per_minute":0,"country_rate_per_minute":0}`, `"require_auth":false`, 1)
	rdb.Set(ctx, "tg:settings", raw, 0)
	if err := e.SettingsStore().LoadSettings(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := e.SettingsStore().Deflection().ChatURL, "https://example.com/chat"; got != want {
		t.Errorf("chat URL: got %q, want %q", got, want)
	}
	if g, c := e.SettingsStore().DispatchRates(); g != 60 || c != 20 {
		t.Errorf("dispatch rates: got %d, %d, want 60, 20", g, c)
	}
}

// Settings saved on one instance reach another through its Watch.
func TestWatchAppliesSettingsSavedElsewhere(t *testing.T) {
	redistest.Each(t, testWatchAppliesSettingsSavedElsewhere)
}

func testWatchAppliesSettingsSavedElsewhere(t *testing.T, rdb redis.UniversalClient) {
	a, b := newEngine(t, rdb, nil), newEngine(t, rdb, nil)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go b.Watch(ctx, 50*time.Millisecond)

	s := a.SettingsStore().Settings()
	s.BlockAt = 95
	s.Monitor = []string{risk.CodeTorExit}
	s.Deflect.Phone = "+44 20 7946 0000"
	s.Dispatch.RatePerMinute = 7
	if err := a.SettingsStore().SaveSettings(ctx, s); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := b.SettingsStore().Settings()
		g, _ := b.SettingsStore().DispatchRates()
		if got.BlockAt == 95 && len(got.Monitor) == 1 && b.SettingsStore().Deflection().Phone == "+44 20 7946 0000" && g == 7 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("other instance after 5s: block_at %d, monitor %v, deflect %+v, rate %d; want the saved settings", got.BlockAt, got.Monitor, got.Deflect, g)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Allow-list codes cannot be monitored: a listed entry exempts the request
// from checks, which monitor mode would not withhold.
func TestValidateRefusesMonitoredAllowCodes(t *testing.T) {
	for _, code := range []string{risk.CodeAllowNumber, risk.CodeAllowIP} {
		s := risk.DefaultSettings()
		s.Monitor = []string{risk.CodeTorExit, code}
		fe := risk.FieldErrors(s.Validate())
		if len(fe) != 1 || fe[0].Field != "monitor[1]" || !strings.Contains(fe[0].Message, "allow lists are trust, not rules") {
			t.Errorf("monitor %s: got %v, want one monitor[1] error saying allow lists are trust", code, fe)
		}
	}
}

func TestValidFlowName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"sales", true},
		{"sales.v2_EU-1", true},
		{"a..b", true},
		{"...", true},
		{strings.Repeat("a", 64), true},
		{"", false},
		{".", false},
		{"..", false},
		{"a b", false},
		{"a/b", false},
		{"é", false},
		{strings.Repeat("a", 65), false},
	}
	for _, tt := range tests {
		if got := risk.ValidFlowName(tt.name); got != tt.want {
			t.Errorf("ValidFlowName(%q): got %v, want %v", tt.name, got, tt.want)
		}
		s := risk.DefaultSettings()
		s.Flows = map[string]risk.Policy{tt.name: {}}
		if got := s.Validate() == nil; got != tt.want && tt.name != "" {
			t.Errorf("Validate with flow %q: got valid %v, want %v", tt.name, got, tt.want)
		}
	}
}
