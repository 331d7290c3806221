package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// TestAttackIPv6Rotation asks for callbacks as an attacker holding one IPv6
// /64, the network every home subscriber gets, would: each number from a
// new address of the /64. The service counts the /64 as one client, so from
// the 8th number on the requests are refused, as from one IPv4 address.
func TestAttackIPv6Rotation(t *testing.T) {
	t.Parallel()
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := newStackOn(t, rdb, nil, &dispatch.Simulator{})
		const asked = 12
		var sent []netip.Addr
		for i := range asked {
			// Addresses far apart in the /64; numbers each in their own
			// block, far from one another.
			ip := netip.MustParseAddr(fmt.Sprintf("2001:db8:aa:1:%x:%x::%x", 0x1000+i*0x111, i*13, i+1))
			body := fmt.Sprintf(`{"phone":"+1 201 %03d 0123"}`, 300+i*11)
			if status, _, _ := st.postFrom(t, ip.String(), body); status != http.StatusAccepted && status != http.StatusOK {
				t.Fatalf("request %d: status %d, want 202 or 200", i+1, status)
			}
			sent = append(sent, ip)
		}
		ds, err := st.queue.DecisionLog().Decisions(context.Background(), asked)
		if err != nil || len(ds) != asked {
			t.Fatalf("decision log: got %d decisions, %v; want %d", len(ds), err, asked)
		}
		slices.Reverse(ds)
		for i, d := range ds {
			if got, want := d.IP, sent[i]; got != want {
				t.Errorf("decision %d: IP %s, want the client's address %s", i+1, got, want)
			}
			switch {
			case i < 3:
				if d.Action != risk.Allow {
					t.Errorf("number %d: got %s %v, want allow: the first numbers of a subscriber are not suspect", i+1, d.Action, d.Codes())
				}
			case i >= 7:
				// One family of evidence (the subscriber's volume) alone
				// deflects; an IPv6 /64 is never taken for many people.
				if d.Action != risk.Deflect || !d.Has(risk.CodeNumbersPerIPCritical) || d.Has(risk.CodeSharedAddress) {
					t.Errorf("number %d from a rotating /64: got %s %v, want deflect with %s", i+1, d.Action, d.Codes(), risk.CodeNumbersPerIPCritical)
				}
			}
		}
		if n := st.sim.Count(); n > 7 {
			t.Errorf("calls placed: got %d, want at most 7", n)
		}
	})
}
