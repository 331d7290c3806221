package risk

import (
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"
)

// Shared addresses: behind a mobile carrier's carrier-grade NAT, or a large
// office's, one address carries many people, each asking for their own
// number. Counted as one visitor, they would look like one visitor asking
// for many numbers. An address is shared when its network is on the shared
// list (Settings.SharedASNs), or when it is an IPv4 address whose traffic
// looks shared: several distinct numbers (the distinct-numbers warning or
// more), about one request a number (at most two), the number now asked
// for from no other source and near no other number asked for, and no
// recombination ring seen from it. Carrier-grade NAT is IPv4's: an IPv6
// client is counted by its /64, one subscriber's. Either way, an address
// whose numbers fall in fewer blocks of 1,000 than half their count (a
// walk through a block) is one visitor. On a shared address the
// per-address volume (requests from the address and its network, distinct
// numbers) counts only alongside evidence of another family, until it
// reaches Velocity.SharedCeiling times its critical thresholds.

// DefaultSharedASNs are the AS numbers of ShippedSharedNetworks.
func DefaultSharedASNs() []uint {
	nets := ShippedSharedNetworks()
	asns := make([]uint, len(nets))
	for i, n := range nets {
		asns[i] = n.ASN
	}
	return asns
}

// sharedAddress says why the request's address is shared, "" when it is
// not.
func sharedAddress(s *compiled, asn uint, listed, v4 bool, pl plan, ring ringSighting) string {
	// One address walking a block is one visitor, listed network or not.
	if pl.numbersPerIP == nil || 2*pl.blocksPerIP.Val() < pl.numbersPerIP.Val() {
		return ""
	}
	if listed {
		return fmt.Sprintf("AS%d is on the shared-address list", asn)
	}
	n := pl.numbersPerIP.Val()
	switch {
	case !v4, ring.detail != "",
		n < int64(s.Velocity.NumbersPerIP.Warning),
		pl.ip != nil && len(pl.ip.counts) > 0 && slices.Max(pl.ip.counts) > 2*n,
		pl.ipsPerNumber.Val() > 1,
		nearby(pl) >= int64(s.Velocity.NearbyNumbers.Warning):
		return ""
	}
	return fmt.Sprintf("%d distinct numbers from this address, none asked for elsewhere or near another: many people behind one address", n)
}

// shareable returns the count of distinct sources for a number when this
// request was counted in it (shared), nil otherwise: a source its own
// signals refuse adds nothing to the pattern others are judged by.
func shareable(sources *redis.IntCmd, shared bool) *redis.IntCmd {
	if !shared {
		return nil
	}
	return sources
}

// nearby is the nearby-numbers count of pl, 0 when not counted.
func nearby(pl plan) int64 {
	if c := pl.nearby.count(); c != nil {
		return c.Val()
	}
	return 0
}
