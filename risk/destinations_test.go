package risk_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

func TestDestinationSignalsMiniredis(t *testing.T) { destinationSuite(t, miniStore) }

func TestDestinationSignalsCluster(t *testing.T) {
	cl := redistest.ClusterOf(t, 3)
	c := cl.Client()
	destinationSuite(t, func(t *testing.T) redis.UniversalClient { redistest.Flush(t, c); return c })
}

// destinationSuite tests the high-risk destination list and the nearby
// numbers signal; on a Cluster, a block and its neighbours live on
// different nodes.
func destinationSuite(t *testing.T, st store) {
	lvMobile := "+37121234567"

	t.Run("high-risk destinations deflect alone and block with a geo mismatch", func(t *testing.T) {
		e := newEngine(t, st(t), nil)
		d := eval(t, e, lvMobile, usIP)
		wantAction(t, d, risk.Block, risk.CodeHighRiskDestination, risk.CodeGeoMismatch)
		if r := reason(d, risk.CodeHighRiskDestination); r.Weight != 60 {
			t.Errorf("weight: got %d, want 60", r.Weight)
		}
		wantAction(t, eval(t, e, "+37121234999", netip.Addr{}), risk.Deflect, risk.CodeHighRiskDestination)
		wantAction(t, eval(t, e, gbMob, gbIP), risk.Allow)
	})

	t.Run("an admin edits the high-risk list", func(t *testing.T) {
		e := newEngine(t, st(t), func(s *risk.Settings) { s.HighRiskCountries = []string{"GB"} })
		wantAction(t, eval(t, e, gbMob, gbIP), risk.Deflect, risk.CodeHighRiskDestination)
		d := eval(t, e, lvMobile, usIP)
		wantAction(t, d, risk.Allow, risk.CodeGeoMismatch)
		if d.Has(risk.CodeHighRiskDestination) {
			t.Errorf("reasons: got %v, want no %s once LV is off the list", d.Codes(), risk.CodeHighRiskDestination)
		}
	})

	t.Run("near-sequential numbers from many IPs", func(t *testing.T) {
		e := newEngine(t, st(t), nil)
		ip := func(i int) netip.Addr { return netip.MustParseAddr(fmt.Sprintf("198.51.100.%d", 100+i)) }
		wantAction(t, eval(t, e, "+442079460098", ip(0)), risk.Allow)
		// Far from the first: its own block, not a neighbour.
		wantAction(t, eval(t, e, "+442079465000", ip(1)), risk.Allow)
		d := eval(t, e, "+442079460099", ip(2))
		wantAction(t, d, risk.Deflect, risk.CodeNearbyNumbersWarning)
		// The next block counts its neighbour's numbers.
		wantAction(t, eval(t, e, "+442079460100", ip(3)), risk.Deflect, risk.CodeNearbyNumbersWarning)
		wantAction(t, eval(t, e, "+442079460101", ip(4)), risk.Deflect, risk.CodeNearbyNumbersCritical)
		// Asking again for a number already counted adds no distinct number.
		if got := eval(t, e, "+442079465000", ip(5)); got.Has(risk.CodeNearbyNumbersWarning) {
			t.Errorf("the same number again: got %v, want no nearby reason", got.Codes())
		}
	})

	t.Run("one address across neighbouring blocks is one source", func(t *testing.T) {
		e := newEngine(t, st(t), nil)
		office := netip.MustParseAddr("198.51.100.77")
		for _, n := range []string{"+442079460098", "+442079460101", "+442079460205"} {
			if d := eval(t, e, n, office); d.Has(risk.CodeNearbyNumbersWarning) {
				t.Errorf("%s from the address that asked for its neighbours: got %v, want no nearby reason", n, d.Codes())
			}
		}
		// A second address beside them is a second source.
		wantAction(t, eval(t, e, "+442079460099", gbIP), risk.Deflect, risk.CodeNearbyNumbersWarning)
	})

	t.Run("an allow-listed number waives the nearby check", func(t *testing.T) {
		e := newEngine(t, st(t), nil)
		add(t, e, risk.AllowNumber, "+442079460002")
		eval(t, e, "+442079460001", usIP)
		d := eval(t, e, "+442079460002", gbIP)
		wantAction(t, d, risk.Allow, risk.CodeAllowNumber)
		if r := reason(d, risk.CodeNearbyNumbersWarning); !r.Waived {
			t.Errorf("nearby reason: got %+v, want it waived for an allow-listed number", r)
		}
	})

	t.Run("invalid high-risk codes are refused", func(t *testing.T) {
		s := risk.DefaultSettings()
		s.HighRiskCountries = []string{"LV", "latvia"}
		fes := risk.FieldErrors(s.Validate())
		if len(fes) != 1 || fes[0].Field != "high_risk_countries[1]" {
			t.Errorf("got %v, want one error on high_risk_countries[1]", fes)
		}
	})
}
