package risk

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strconv"
	"time"
)

// Every key starts with "tg:" and carries the hash tag of the thing it
// counts, so in Cluster mode a thing's keys share a slot and no command of
// a decision crosses slots.
func ipTag(sub netip.Prefix) string    { return ipTagOf(subscriberID(sub)) }
func ipTagOf(subID string) string      { return "{ip:" + subID + "}" }
func netTag(n netip.Prefix) string     { return "{net:" + n.String() + "}" }
func numberTag(e164 string) string     { return "{n:" + e164 + "}" }
func prefixTag(prefix string) string   { return "{p:" + prefix + "}" }
func countryTag(country string) string { return "{cc:" + country + "}" }
func lockKey(e164 string) string       { return "tg:" + numberTag(e164) + ":lock" }
func key(tag, suffix string) string    { return "tg:" + tag + ":" + suffix }
func ipNetwork(ip netip.Addr) netip.Prefix {
	if ip.Is4() {
		return netip.PrefixFrom(ip, 24).Masked()
	}
	return netip.PrefixFrom(ip, 48).Masked()
}

// subscriber is what the per-IP counts count for ip: an IPv4 address
// whole, an IPv6 address masked to its first ipv6Bits bits
// (Velocity.IPv6Prefix).
// A home IPv6 subscriber holds a whole /64, so counting single addresses
// would let one subscriber start afresh with each address it rotates to.
func subscriber(ip netip.Addr, ipv6Bits int) netip.Prefix {
	if ip.Is4() {
		return netip.PrefixFrom(ip, 32)
	}
	return netip.PrefixFrom(ip, ipv6Bits).Masked()
}

// sharedSource is who a request counts as in the counters many visitors
// share (a number's, a block's, a country's, nearby numbers'): an IPv4
// address, or the /48 an IPv6 address is in, since a home ISP may
// delegate a whole /56 or /48 to one subscriber, who could otherwise count
// as hundreds of sources.
func sharedSource(ip netip.Addr, sub netip.Prefix) string {
	if ip.Is4() {
		return subscriberID(sub)
	}
	return ipNetwork(ip).String()
}

// subscriberID names sub in keys and sets: a single address bare (so an
// IPv4 address keeps the keys it always had), a network in CIDR form.
func subscriberID(sub netip.Prefix) string {
	if sub.IsSingleIP() {
		return sub.Addr().String()
	}
	return sub.String()
}

// accountTag is the hash tag of a signed-in account's keys: a digest of
// the host site's id, which may hold any character, braces included.
func accountTag(account string) string {
	sum := sha256.Sum256([]byte(account))
	return "{acct:" + hex.EncodeToString(sum[:12]) + "}"
}

// ringBlockKey is the set of the numbers of a block of 1,000 (numberPrefix)
// seen in a recombination ring; ringSourceKey marks a subscriber
// (subscriberID) seen in one. See recombination.go.
func ringBlockKey(prefix string) string { return key(prefixTag(prefix), "ring") }
func ringSourceKey(subID string) string { return key(ipTagOf(subID), "ring") }

// nearbyKey is the set of the numbers ("numbers") or the sources
// ("sources") asked for in a block of 100 (nearbyBlock).
func nearbyKey(block, what string) string { return key("{nb:"+block+"}", what) }

// windowKey is a request counter's bucket of one window (counter.go);
// sourcesKey the HyperLogLog of distinct sources of one (queueSources).
func windowKey(tag string, windowMS, bucket int64) string {
	return "tg:" + tag + ":w" + strconv.FormatInt(windowMS, 10) + ":" + strconv.FormatInt(bucket, 10)
}

func sourcesKey(tag string, windowMS, bucket int64) string {
	return "tg:" + tag + ":s" + strconv.FormatInt(windowMS, 10) + ":" + strconv.FormatInt(bucket, 10)
}

// numbersKey is the distinct numbers asked for by an address or an account
// (tag), blocksKey the distinct blocks of 1,000 by an address, ipsKey the
// distinct sources asking for a number: sorted sets by time (queueDistinct).
func numbersKey(tag string) string { return key(tag, "numbers") }
func blocksKey(tag string) string  { return key(tag, "blocks") }
func ipsKey(e164 string) string    { return key(numberTag(e164), "ips") }

// onceKey marks a single-use visitor token seen, by its id's digest.
func onceKey(tag, digest string) string { return key(tag, "once:"+digest) }

// settingsKey holds the settings every instance loads.
const settingsKey = "tg:settings"

// The lists live under one hash tag: a hash per list (listKey), its
// lexicographic index (indexKey: a sorted set of its values, every score 0,
// kept in step with the hash by every change) and the expiry index of
// every list's entries.
const listsTag = "{lists}"

func listKey(l List) string  { return "tg:" + listsTag + ":" + string(l) }
func indexKey(l List) string { return "tg:" + listsTag + ":idx:" + string(l) }

const expiryIndexKey = "tg:" + listsTag + ":expiry"

// listVersionsKey is a hash of each list's version: a counter every write
// to the list bumps (listMirror).
const listVersionsKey = "tg:" + listsTag + ":versions"

// Placed calls are counted per number per clock hour and UTC day, under
// the number's hash tag. The keys expire a window after their period ends.
func placedHourKey(e164 string, t time.Time) string {
	return key(numberTag(e164), "placed:h"+strconv.FormatInt(t.Unix()/3600, 10))
}

func placedDayKey(e164 string, t time.Time) string {
	return key(numberTag(e164), "placed:d"+strconv.FormatInt(t.Unix()/86400, 10))
}

// failsKey counts the challenges a caller failed in a UTC day.
func failsKey(e164 string, t time.Time) string {
	return key(numberTag(e164), "fails:d"+strconv.FormatInt(t.Unix()/86400, 10))
}

// budgetKey is one of a UTC day's budget keys (budget.go).
func budgetKey(what string, t time.Time) string {
	return "tg:{calls}:budget:" + what + ":d" + strconv.FormatInt(t.Unix()/86400, 10)
}
