package risk_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

func TestEngineMiniredis(t *testing.T) { runSuite(t, miniStore) }

// TestEngineRedis runs the suite on a redis-server and on a Redis Cluster.
func TestEngineRedis(t *testing.T) {
	redistest.Each(t, func(t *testing.T, c redis.UniversalClient) {
		runSuite(t, func(t *testing.T) redis.UniversalClient { redistest.Flush(t, c); return c })
	})
}

func TestEngineIPCountry(t *testing.T) {
	e := newEngine(t, miniStore(t), nil)
	tests := []struct {
		ip   netip.Addr
		want string
	}{
		{usIP, "US"},
		{gbIP, "GB"},
		{netip.MustParseAddr("::ffff:198.51.100.20"), "GB"},
		{deIP6, "DE"},
		{netip.MustParseAddr("127.0.0.1"), ""},
		{netip.Addr{}, ""},
	}
	for _, tt := range tests {
		if got := e.IPCountry(tt.ip); got != tt.want {
			t.Errorf("IPCountry(%s): got %q, want %q", tt.ip, got, tt.want)
		}
	}
	bare, err := risk.NewEngine(risk.Options{Redis: miniStore(t)})
	if err != nil {
		t.Fatal(err)
	}
	if got := bare.IPCountry(usIP); got != "" {
		t.Errorf("IPCountry without GeoIP: got %q, want \"\"", got)
	}
}

func runSuite(t *testing.T, st store) {
	ctx := context.Background()

	t.Run("clean request is allowed with its facts", func(t *testing.T) {
		e := newEngine(t, st(t), nil)
		d := eval(t, e, "(201) 555-0123", usIP)
		wantAction(t, d, risk.Allow)
		if d.Number != usNum || d.NumberCountry != "US" || d.IPCountry != "US" || d.Score != 0 {
			t.Errorf("got number %s/%s ip country %s score %d, want %s/US US 0", d.Number, d.NumberCountry, d.IPCountry, d.Score, usNum)
		}
		if d.NumberType != "fixed_line_or_mobile" || len(d.ID) != 26 {
			t.Errorf("got type %q id %q, want fixed_line_or_mobile and a 26-character id", d.NumberType, d.ID)
		}
	})

	t.Run("impossible number is a validation error counted against the IP", func(t *testing.T) {
		e := newEngine(t, st(t), func(s *risk.Settings) { s.Velocity.IP[0].Warning, s.Velocity.IP[0].Critical = 2, 3 })
		for i := 0; i < 2; i++ {
			_, err := e.Evaluate(ctx, risk.Request{Phone: "12", IP: gbIP})
			var ne *risk.NumberError
			if !errors.As(err, &ne) || ne.Problem == "" {
				t.Fatalf("got %v, want a *NumberError with a problem", err)
			}
		}
		wantAction(t, eval(t, e, gbMob, gbIP), risk.Deflect, risk.CodeVelocityIPCritical)
	})

	t.Run("deny lists block whatever the score", func(t *testing.T) {
		e := newEngine(t, st(t), nil)
		add(t, e, risk.DenyNumber, "+1 201 555 0123")
		add(t, e, risk.DenyPrefix, "+4474")
		add(t, e, risk.DenyPrefix, "+447400")
		add(t, e, risk.DenyIP, "198.51.100.0/24")
		add(t, e, risk.DenyIP, "2001:db8::/48")
		add(t, e, risk.DenyCountry, "nl")
		d := eval(t, e, usNum, usIP)
		wantAction(t, d, risk.Block, risk.CodeDenyNumber)
		d = eval(t, e, gbMob, usIP)
		wantAction(t, d, risk.Block, risk.CodeDenyPrefix)
		if r := reason(d, risk.CodeDenyPrefix); !strings.Contains(r.Detail, "+447400") || !r.Hard {
			t.Errorf("deny_prefix: got %+v, want the longest prefix +447400, hard", r)
		}
		wantAction(t, eval(t, e, "+12015550124", gbIP), risk.Block, risk.CodeDenyIP)
		wantAction(t, eval(t, e, "+12015550125", deIP6), risk.Block, risk.CodeDenyIP)
		wantAction(t, eval(t, e, "+12015550126", torIP), risk.Block, risk.CodeDenyCountry)
		e2 := newEngine(t, st(t), nil)
		add(t, e2, risk.DenyASN, "AS64500")
		wantAction(t, eval(t, e2, usNum, usIP), risk.Block, risk.CodeDenyASN)
	})

	t.Run("expired and removed entries no longer count", func(t *testing.T) {
		e := newEngine(t, st(t), nil)
		if _, err := e.ListStore().AddEntry(ctx, risk.DenyNumber, risk.Entry{Value: usNum, Expires: time.Now().Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
		wantAction(t, eval(t, e, usNum, usIP), risk.Allow)
		add(t, e, risk.DenyIP, "192.0.2.10")
		wantAction(t, eval(t, e, "+12015554199", usIP), risk.Block, risk.CodeDenyIP)
		if err := e.ListStore().RemoveEntry(ctx, risk.DenyIP, "192.0.2.10/32"); err != nil {
			t.Fatal(err)
		}
		wantAction(t, eval(t, e, "+12015557198", usIP), risk.Allow)
		n, err := e.ListStore().SweepExpired(ctx)
		if err != nil || n != 1 {
			t.Errorf("SweepExpired: got %d, %v, want 1, nil", n, err)
		}
	})

	t.Run("country policy with flow override and monitor", func(t *testing.T) {
		e := newEngine(t, st(t), func(s *risk.Settings) {
			s.Account = risk.Policy{Default: risk.ModeAllow, Countries: map[string]risk.Mode{"GB": risk.ModeBlock}}
			s.Flows = map[string]risk.Policy{
				"uk-sales": {Countries: map[string]risk.Mode{"GB": risk.ModeAllow}},
				"us-only":  {Default: risk.ModeBlock, Countries: map[string]risk.Mode{"US": risk.ModeMonitor}},
			}
		})
		wantAction(t, eval(t, e, gbMob, gbIP), risk.Block, risk.CodeCountryBlocked)
		d, err := e.Evaluate(ctx, risk.Request{Phone: "+447400126457", IP: gbIP, Flow: "uk-sales", FlowBound: true})
		if err != nil {
			t.Fatal(err)
		}
		wantAction(t, d, risk.Allow)
		// Named by anyone, the loosening flow gets the account's policy.
		d, err = e.Evaluate(ctx, risk.Request{Phone: "+447400126999", IP: gbIP, Flow: "uk-sales"})
		if err != nil {
			t.Fatal(err)
		}
		wantAction(t, d, risk.Block, risk.CodeCountryBlocked)
		d, err = e.Evaluate(ctx, risk.Request{Phone: usNum, IP: usIP, Flow: "us-only"})
		if err != nil {
			t.Fatal(err)
		}
		wantAction(t, d, risk.Allow, risk.CodeCountryMonitor)
		d, err = e.Evaluate(ctx, risk.Request{Phone: "+447400129458", IP: gbIP, Flow: "us-only"})
		if err != nil {
			t.Fatal(err)
		}
		wantAction(t, d, risk.Block, risk.CodeCountryBlocked)
	})

	t.Run("number types carry their weights", func(t *testing.T) {
		e := newEngine(t, st(t), nil)
		d := eval(t, e, gbPrem, gbIP)
		wantAction(t, d, risk.Deflect, risk.CodeTypePremiumRate)
		if d.NumberType != "premium_rate" {
			t.Errorf("type: got %q, want premium_rate", d.NumberType)
		}
		d = eval(t, e, gbVoIP, gbIP)
		wantAction(t, d, risk.Deflect, risk.CodeTypeVoIP)
		if d.Score != 40 {
			t.Errorf("score: got %d, want 40", d.Score)
		}
	})

	t.Run("IP signals: anonymous, hosting and geo mismatch", func(t *testing.T) {
		e := newEngine(t, st(t), nil)
		d := eval(t, e, usNum, torIP)
		wantAction(t, d, risk.Block, risk.CodeTorExit, risk.CodeHostingProvider, risk.CodeHostingASN, risk.CodeGeoMismatch)
		if d.ASN != 16509 || d.IPCountry != "NL" {
			t.Errorf("got ASN %d country %s, want 16509 NL", d.ASN, d.IPCountry)
		}
		d = eval(t, e, "+12015558111", gbIP)
		wantAction(t, d, risk.Allow, risk.CodeGeoMismatch)
		vpn := netip.MustParseAddr("2001:db8:1::9")
		d = eval(t, e, "+447400123459", vpn)
		wantAction(t, d, risk.Block, risk.CodeAnonymousVPN, risk.CodeHostingASN, risk.CodeGeoMismatch)
	})

	t.Run("allow-listed network waives IP signals", func(t *testing.T) {
		e := newEngine(t, st(t), nil)
		add(t, e, risk.AllowIP, "203.0.113.0/24")
		d := eval(t, e, "+31201234567", torIP)
		wantAction(t, d, risk.Allow, risk.CodeAllowIP)
		if r := reason(d, risk.CodeTorExit); !r.Waived {
			t.Errorf("ip_tor_exit: got %+v, want it waived for an allow-listed network", r)
		}
	})

	t.Run("velocity per IP, network, number and prefix", func(t *testing.T) {
		e := newEngine(t, st(t), func(s *risk.Settings) {
			s.Velocity.IP = []risk.Limit{{Window: risk.Duration(time.Minute), Warning: 3, Critical: 5}}
			s.Velocity.Prefix = []risk.Limit{{Window: risk.Duration(time.Hour), Warning: 5, Critical: 50}}
			s.Velocity.NumbersPerIP = risk.Limit{Window: risk.Duration(time.Hour), Warning: 50, Critical: 90}
			s.Velocity.NearbyNumbers = risk.Limit{Window: risk.Duration(time.Hour), Warning: 50, Critical: 90}
		})
		var got []risk.Decision
		for i := 0; i < 5; i++ {
			got = append(got, eval(t, e, fmt.Sprintf("+1201555%04d", 100+i), usIP))
		}
		wantAction(t, got[1], risk.Allow)
		wantAction(t, got[2], risk.Allow, risk.CodeVelocityIPWarning)
		wantAction(t, got[3], risk.Allow, risk.CodeVelocityIPWarning)
		wantAction(t, got[4], risk.Deflect, risk.CodeVelocityIPCritical)
		if r := reason(got[4], risk.CodeVelocityIPCritical); !strings.Contains(r.Detail, "5 requests") {
			t.Errorf("detail: got %q, want it to say 5 requests", r.Detail)
		}
		// One address asking five times is one source for the block.
		if got[4].Has(risk.CodeVelocityPrefixWarning) {
			t.Errorf("reasons: got %v, want no prefix reason for one address", got[4].Codes())
		}
		for i := range 5 {
			got = append(got, eval(t, e, fmt.Sprintf("+1201555%04d", 200+i), netip.MustParseAddr(fmt.Sprintf("198.51.100.%d", 60+i))))
		}
		wantAction(t, got[8], risk.Deflect, risk.CodeVelocityPrefixWarning)
		if r := reason(got[8], risk.CodeVelocityPrefixWarning); !strings.Contains(r.Detail, "5 addresses") {
			t.Errorf("detail: got %q, want it to say 5 addresses (the first and four new ones)", r.Detail)
		}
	})

	t.Run("a flood from one address does not move what others are judged by", func(t *testing.T) {
		e := newEngine(t, st(t), func(s *risk.Settings) {
			s.Velocity.Country = []risk.Limit{{Window: risk.Duration(time.Minute), Warning: 3, Critical: 5}}
		})
		for i := range 40 {
			eval(t, e, fmt.Sprintf("+4474001%05d", i*97), torIP)
			eval(t, e, "+447400999888", torIP)
		}
		d := eval(t, e, gbMob, gbIP)
		wantAction(t, d, risk.Allow)
		if d.Has(risk.CodeVelocityCountryWarning) || d.Has(risk.CodeVelocityNumberWarning) {
			t.Errorf("a clean request after a flood from another address: got %v, want no shared velocity reason", d.Codes())
		}
	})

	t.Run("distinct numbers per IP and IPs per number", func(t *testing.T) {
		e := newEngine(t, st(t), func(s *risk.Settings) {
			s.Velocity.NumbersPerIP = risk.Limit{Window: risk.Duration(time.Hour), Warning: 2, Critical: 3}
			s.Velocity.IPsPerNumber = risk.Limit{Window: risk.Duration(time.Hour), Warning: 2, Critical: 3}
		})
		eval(t, e, "+12015550131", usIP)
		eval(t, e, "+12015550132", usIP)
		wantAction(t, eval(t, e, "+12015550133", usIP), risk.Deflect, risk.CodeNumbersPerIPCritical)
		for i := 0; i < 3; i++ {
			d := eval(t, e, "+447400123400", netip.MustParseAddr(fmt.Sprintf("198.51.100.%d", 50+i)))
			if i == 2 && !d.Has(risk.CodeIPsPerNumberCritical) {
				t.Errorf("reasons: got %v, want %s", d.Codes(), risk.CodeIPsPerNumberCritical)
			}
		}
	})

	t.Run("one outstanding callback per number", func(t *testing.T) {
		e := newEngine(t, st(t), nil)
		first := eval(t, e, gbMob, gbIP)
		wantAction(t, first, risk.Allow)
		wantAction(t, eval(t, e, gbMob, usIP), risk.Block, risk.CodeDuplicate)
		if err := e.Release(ctx, first.Number, "someone-else"); err != nil {
			t.Fatal(err)
		}
		wantAction(t, eval(t, e, gbMob, gbIP), risk.Block, risk.CodeDuplicate)
		if err := e.Release(ctx, first.Number, first.ID); err != nil {
			t.Fatal(err)
		}
		wantAction(t, eval(t, e, gbMob, gbIP), risk.Allow)
	})

	t.Run("a refused request does not hold the number's lock", func(t *testing.T) {
		e := newEngine(t, st(t), nil)
		add(t, e, risk.DenyIP, torIP.String())
		wantAction(t, eval(t, e, gbMob, torIP), risk.Block, risk.CodeDenyIP)
		e.Close()
		d := eval(t, e, gbMob, gbIP)
		wantAction(t, d, risk.Allow)
	})

	t.Run("allow-listed number skips duplicate and velocity checks but not country policy", func(t *testing.T) {
		e := newEngine(t, st(t), func(s *risk.Settings) {
			s.Velocity.Number = []risk.Limit{{Window: risk.Duration(time.Minute), Warning: 1, Critical: 2}}
		})
		add(t, e, risk.AllowNumber, gbMob)
		for i := 0; i < 3; i++ {
			wantAction(t, eval(t, e, gbMob, gbIP), risk.Allow, risk.CodeAllowNumber)
		}
		blocked := risk.DefaultSettings()
		blocked.Account.Countries = map[string]risk.Mode{"GB": risk.ModeBlock}
		if err := e.SettingsStore().SaveSettings(ctx, blocked); err != nil {
			t.Fatal(err)
		}
		wantAction(t, eval(t, e, gbMob, gbIP), risk.Block, risk.CodeCountryBlocked)
	})

	t.Run("authentication and extra reasons count", func(t *testing.T) {
		e := newEngine(t, st(t), nil)
		d, err := e.Evaluate(ctx, risk.Request{Phone: gbVoIP, IP: gbIP, Visitor: &risk.Visitor{Account: "user-1"},
			Extra: []risk.Reason{{Code: "form_too_fast", Weight: 15, Detail: "submitted in 1s"}}})
		if err != nil {
			t.Fatal(err)
		}
		wantAction(t, d, risk.Deflect, risk.CodeAuthenticated, "form_too_fast")
		if r := reason(d, risk.CodeAuthenticated); r.Weight != -30 {
			t.Errorf("authenticated weight: got %d, want -30", r.Weight)
		}
	})

	t.Run("require authentication deflects anonymous visitors", func(t *testing.T) {
		e := newEngine(t, st(t), func(s *risk.Settings) { s.RequireAuth = true })
		wantAction(t, eval(t, e, gbMob, gbIP), risk.Deflect, risk.CodeAuthRequired)
		d, err := e.Evaluate(ctx, risk.Request{Phone: usNum, IP: usIP, Visitor: &risk.Visitor{Account: "user-1"}})
		if err != nil {
			t.Fatal(err)
		}
		wantAction(t, d, risk.Allow, risk.CodeAuthenticated)
	})

	runSpendSuite(t, st)

	t.Run("thresholds decide deflect", func(t *testing.T) {
		e := newEngine(t, st(t), func(s *risk.Settings) { s.DeflectAt, s.BlockAt = 20, 90 })
		wantAction(t, eval(t, e, gbVoIP, gbIP), risk.Deflect, risk.CodeTypeVoIP)
	})

	t.Run("settings saved by one instance reach another", func(t *testing.T) {
		rdb := st(t)
		a, b := newEngine(t, rdb, nil), newEngine(t, rdb, nil)
		s := a.SettingsStore().Settings()
		s.DeflectAt, s.BlockAt = 10, 30
		if err := a.SettingsStore().SaveSettings(ctx, s); err != nil {
			t.Fatal(err)
		}
		if err := b.SettingsStore().LoadSettings(ctx); err != nil {
			t.Fatal(err)
		}
		if got := b.SettingsStore().Settings(); got.DeflectAt != 10 || got.BlockAt != 30 {
			t.Errorf("got deflect_at %d block_at %d, want 10 30", got.DeflectAt, got.BlockAt)
		}
		bad := s
		bad.BlockAt = 5
		if err := a.SettingsStore().SaveSettings(ctx, bad); err == nil || !strings.Contains(err.Error(), "block_at") {
			t.Errorf("SaveSettings(block_at below deflect_at): got %v, want an error naming block_at", err)
		}
	})

	t.Run("lists of 100,000 entries", func(t *testing.T) {
		e := newEngine(t, st(t), nil)
		fillLists(t, e, 100_000)
		wantAction(t, eval(t, e, "+12015550123", usIP), risk.Allow)
		wantAction(t, eval(t, e, "+12122050123", usIP), risk.Block, risk.CodeDenyPrefix)
		wantAction(t, eval(t, e, "+12015550124", netip.MustParseAddr("10.1.134.160")), risk.Block, risk.CodeDenyIP)
		_, err := e.ListStore().AddEntries(ctx, risk.DenyIP, []risk.Entry{{Value: "10.0.0.0/30"}, {Value: "not-an-ip"}, {Value: "::1/3"}})
		var ee risk.EntryErrors
		if !errors.As(err, &ee) || len(ee) != 2 || ee[0].Index != 1 || ee[1].Index != 2 {
			t.Errorf("bulk add with bad lines: got %v, want errors for entries 2 and 3 only", err)
		}
	})

	t.Run("every counter key expires", func(t *testing.T) {
		rdb := st(t)
		e := newEngine(t, rdb, nil)
		eval(t, e, gbMob, gbIP)
		eval(t, e, usNum, deIP6)
		add(t, e, risk.DenyCountry, "CU")
		if err := e.RecordPlaced(ctx, risk.PlacedCall{Number: usNum, Country: "US"}); err != nil {
			t.Fatal(err)
		}
		var keys []string
		scan := func(ctx context.Context, c *redis.Client) error {
			ks, err := c.Keys(ctx, "*").Result()
			keys = append(keys, ks...)
			return err
		}
		if cc, ok := rdb.(*redis.ClusterClient); ok {
			if err := cc.ForEachMaster(ctx, scan); err != nil {
				t.Fatal(err)
			}
		} else if err := scan(ctx, rdb.(*redis.Client)); err != nil {
			t.Fatal(err)
		}
		if len(keys) < 10 {
			t.Fatalf("got %d keys %v, want the decision's counters", len(keys), keys)
		}
		for _, k := range keys {
			if strings.HasPrefix(k, "tg:{lists}:") || k == "tg:settings" {
				continue
			}
			if ttl := rdb.PTTL(ctx, k).Val(); ttl <= 0 {
				t.Errorf("key %s: got TTL %v, want an expiry", k, ttl)
			}
		}
	})
}
