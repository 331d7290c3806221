package risk

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

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

// ownCounts are the counts of a request's own source: requests from its
// address and network, the distinct numbers and blocks it asked for.
type ownCounts struct {
	ip, net                   *counter
	numbersPerIP, blocksPerIP *redis.IntCmd
}

// queueOwn adds the commands counting a request for e164 against its own
// source (sub, the subscriber of ip) to p.
func queueOwn(ctx context.Context, p redis.Pipeliner, rd *reads, x *expiring, s *compiled, ip netip.Addr, sub netip.Prefix, e164 string, now time.Time) ownCounts {
	if !ip.IsValid() {
		return ownCounts{}
	}
	var o ownCounts
	o.ip, o.net = queueAddress(ctx, p, rd, x, s, ip, now)
	it := ipTag(sub)
	o.numbersPerIP = queueDistinct(ctx, p, numbersKey(it), e164, s.Velocity.NumbersPerIP, now)
	o.blocksPerIP = queueDistinct(ctx, p, blocksKey(it), numberPrefix(e164), s.Velocity.NumbersPerIP, now)
	return o
}

// ownShared says why the request's address looks shared by its own
// counts, "" when it does not: the shared list, or (IPv4) several numbers
// asked for about once each, in more blocks than a walk would take.
func ownShared(s *compiled, asn uint, listed, v4 bool, own ownCounts) string {
	// One address walking a block is one visitor, listed network or not.
	if own.numbersPerIP == nil || 2*own.blocksPerIP.Val() < own.numbersPerIP.Val() {
		return ""
	}
	if listed {
		return fmt.Sprintf("AS%d is on the shared-address list", asn)
	}
	n := own.numbersPerIP.Val()
	switch {
	case !v4,
		n < int64(s.Velocity.NumbersPerIP.Warning),
		own.ip != nil && len(own.ip.counts) > 0 && slices.Max(own.ip.counts) > 2*n:
		return ""
	}
	return fmt.Sprintf("%d distinct numbers from this address, about one request each: many people behind one address", n)
}

// sharedAddress says why the request's address is shared, "" when it is
// not: ownShared, and for an unlisted address, the number now asked for
// from no other source and near no other number asked for, and no
// recombination ring seen from it.
func sharedAddress(s *compiled, asn uint, listed, v4 bool, pl plan, ring ringSighting) string {
	why := ownShared(s, asn, listed, v4, pl.own)
	if why == "" || listed {
		return why
	}
	if ring.detail != "" || pl.ipsPerNumber.Val() > 1 || nearby(pl) >= int64(s.Velocity.NearbyNumbers.Warning) {
		return ""
	}
	return fmt.Sprintf("%d distinct numbers from this address, none asked for elsewhere or near another: many people behind one address", pl.own.numbersPerIP.Val())
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
