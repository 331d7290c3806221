package risk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// perIPCodes are the reasons the per-IP counts give.
var perIPCodes = []string{
	risk.CodeVelocityIPWarning, risk.CodeVelocityIPCritical,
	risk.CodeNumbersPerIPWarning, risk.CodeNumbersPerIPCritical,
	risk.CodeIPsPerNumberWarning, risk.CodeIPsPerNumberCritical,
}

// perIP returns d's reasons from the per-IP counts.
func perIP(d risk.Decision) []string {
	var out []string
	for _, c := range d.Codes() {
		if slices.Contains(perIPCodes, c) {
			out = append(out, c)
		}
	}
	return out
}

// spreadNumber returns the i-th of a run of US numbers, all in one block
// of 1000 (so one address asking for them does not look like many people
// behind it) but far from one another, so that only the per-IP counts see
// them together. Runs 0 to 3 share no number and no block.
func spreadNumber(run, i int) string {
	return fmt.Sprintf("+1201%03d1%03d", 555+run, i*11)
}

// in64 returns the i-th address of the /64 of prefix, e.g. 2001:db8:aa:1::/64.
func in64(prefix string, i int) netip.Addr {
	p := netip.MustParsePrefix(prefix)
	b := p.Addr().As16()
	b[8], b[15] = byte(0x10+i), byte(i+1)
	return netip.AddrFrom16(b)
}

// An attacker holding one IPv6 /64 (a home line) rotates through its
// addresses: the per-IP counts see one client, as they see one IPv4
// address, unless ipv6_prefix says to count each address apart.
func TestIPv6CountedPerSubscriberNetwork(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		// Neither address is in the demo GeoIP databases, so geography
		// gives both runs the same reasons.
		v4 := netip.MustParseAddr("100.64.9.10")
		e := newEngine(t, rdb, nil)
		var fromV4, fromV6 []risk.Decision
		for i := range 12 {
			fromV4 = append(fromV4, eval(t, e, spreadNumber(0, i), v4))
			fromV6 = append(fromV6, eval(t, e, spreadNumber(1, i), in64("2001:db8:aa:1::/64", i)))
		}
		for i := range 12 {
			if got, want := strings.Join(fromV6[i].Codes(), " "), strings.Join(fromV4[i].Codes(), " "); got != want {
				t.Errorf("request %d from a rotating /64: got reasons %q, want %q as from one IPv4 address", i+1, got, want)
			}
			if got, want := fromV6[i].Action, fromV4[i].Action; got != want {
				t.Errorf("request %d from a rotating /64: got %s, want %s as from one IPv4 address", i+1, got, want)
			}
			if got, want := fromV6[i].IP, in64("2001:db8:aa:1::/64", i); got != want {
				t.Errorf("request %d: decision IP %s, want the address itself, %s", i+1, got, want)
			}
		}
		wantAction(t, fromV6[7], risk.Deflect, risk.CodeNumbersPerIPCritical, risk.CodeVelocityIPCritical)
		wantAction(t, fromV6[11], risk.Deflect, risk.CodeNumbersPerIPCritical, risk.CodeVelocityIPCritical)

		// Other /64s of the same /48 are other subscribers.
		for i := range 12 {
			ip := in64(fmt.Sprintf("2001:db8:aa:%x::/64", 0x100+i), 0)
			if got := perIP(eval(t, e, spreadNumber(2, i), ip)); len(got) != 0 {
				t.Errorf("request %d from its own /64: got per-IP reasons %v, want none", i+1, got)
			}
		}
	})
}

// ipv6_prefix 128 counts each address apart, as before the setting.
func TestIPv6PrefixSettingIsRead(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		e := newEngine(t, rdb, func(s *risk.Settings) { s.Velocity.IPv6Prefix = 128 })
		for i := range 12 {
			d := eval(t, e, spreadNumber(3, i), in64("2001:db8:aa:2::/64", i))
			if got := perIP(d); len(got) != 0 {
				t.Errorf("request %d with ipv6_prefix 128: got per-IP reasons %v, want none", i+1, got)
			}
		}
	})
}

// One number asked for from many addresses of one /64, or from many /64s
// of one /48 (what a home ISP may delegate to one subscriber), is asked
// for by one source; from as many /48s, by as many.
func TestIPv6DistinctIPsPerNumberCountsSubscribers(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		e := newEngine(t, rdb, func(s *risk.Settings) {
			s.Velocity.IPsPerNumber = risk.Limit{Window: s.Velocity.IPsPerNumber.Window, Warning: 2, Critical: 3}
		})
		for i := range 4 {
			d := eval(t, e, "+12015550140", in64("2001:db8:aa:3::/64", i))
			if d.Has(risk.CodeIPsPerNumberWarning) || d.Has(risk.CodeIPsPerNumberCritical) {
				t.Errorf("request %d from one /64: got reasons %v, want no distinct-IPs reason", i+1, d.Codes())
			}
		}
		for i := range 4 {
			d := eval(t, e, "+12015550142", in64(fmt.Sprintf("2001:db8:aa:%x::/64", 0x200+i), 0))
			if d.Has(risk.CodeIPsPerNumberWarning) || d.Has(risk.CodeIPsPerNumberCritical) {
				t.Errorf("request %d from one /48: got reasons %v, want no distinct-IPs reason", i+1, d.Codes())
			}
		}
		var last risk.Decision
		for i := range 3 {
			last = eval(t, e, "+12015550141", in64(fmt.Sprintf("2001:db8:%x:1::/64", 0x200+i), 0))
		}
		// Refused by the distinct sources (one family alone: deflected),
		// or blocked too when an earlier refused request's lock is not
		// yet released.
		if last.Action == risk.Allow || !last.Has(risk.CodeIPsPerNumberCritical) {
			t.Errorf("third /48: got %s %v, want it refused with %s", last.Action, last.Codes(), risk.CodeIPsPerNumberCritical)
		}
	})
}

// A deny-listed address is refused, and the rest of its /64 is not: lists
// match the address itself.
func TestIPv6ListsMatchTheAddress(t *testing.T) {
	e := newEngine(t, miniStore(t), nil)
	add(t, e, risk.DenyIP, in64("2001:db8:aa:4::/64", 0).String())
	wantAction(t, eval(t, e, spreadNumber(0, 0), in64("2001:db8:aa:4::/64", 0)), risk.Block, risk.CodeDenyIP)
	if d := eval(t, e, spreadNumber(0, 1), in64("2001:db8:aa:4::/64", 1)); d.Has(risk.CodeDenyIP) {
		t.Errorf("another address of the /64: got reasons %v, want no %s", d.Codes(), risk.CodeDenyIP)
	}
}

func TestValidateIPv6Prefix(t *testing.T) {
	for _, tt := range []struct {
		bits int
		ok   bool
	}{{0, false}, {31, false}, {32, true}, {64, true}, {128, true}, {129, false}} {
		s := risk.DefaultSettings()
		s.Velocity.IPv6Prefix = tt.bits
		fe := risk.FieldErrors(s.Validate())
		if tt.ok && len(fe) != 0 {
			t.Errorf("ipv6_prefix %d: got %v, want valid", tt.bits, fe)
		}
		if !tt.ok && (len(fe) != 1 || fe[0].Field != "velocity.ipv6_prefix" || !strings.Contains(fe[0].Message, "between 32 and 128")) {
			t.Errorf("ipv6_prefix %d: got %v, want one velocity.ipv6_prefix error saying between 32 and 128", tt.bits, fe)
		}
	}
}

// Settings saved before ipv6_prefix existed count IPv6 per /64.
func TestLoadSettingsWithoutIPv6Prefix(t *testing.T) {
	rdb := miniStore(t)
	b, err := json.Marshal(risk.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc["velocity"].(map[string]any), "ipv6_prefix")
	b, _ = json.Marshal(doc)
	if err := rdb.Set(context.Background(), "tg:settings", b, 0).Err(); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, rdb, func(s *risk.Settings) { s.Velocity.IPv6Prefix = 128 })
	if err := e.SettingsStore().LoadSettings(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := e.SettingsStore().Settings().Velocity.IPv6Prefix, 64; got != want {
		t.Errorf("ipv6_prefix after loading settings saved without it: got %d, want %d", got, want)
	}
}
