// Package spike finds sudden surges of callback requests per destination
// country, number prefix and client network, records them as alerts,
// sends them to webhooks and, when asked, blocks the prefix or network for
// a while.
//
// Counting happens where decisions are logged (Count, called inside the
// decision log's transaction); detection runs in the background, on one
// instance at a time (Detector).
package spike

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
)

// Dimension is what requests are counted by.
type Dimension string

// The counted dimensions.
const (
	// Country is the number's country, e.g. "GB".
	Country Dimension = "country"
	// Prefix is the number's first PrefixLen characters, e.g. "+4420794".
	Prefix Dimension = "prefix"
	// Network is the client's /24 (IPv4) or /48 (IPv6).
	Network Dimension = "ip_network"
)

// Dimensions lists the dimensions in a stable order.
func Dimensions() []Dimension { return []Dimension{Country, Prefix, Network} }

// PrefixLen is how many characters of an E.164 number make its prefix:
// "+" and 7 digits, an exchange of 10,000 numbers in the US (+1 NPA NXX)
// and a block of about that size elsewhere.
const PrefixLen = 8

// field names a counted value in a minute's hash, "<dim>|<value>".
func field(d Dimension, v string) string { return string(d) + "|" + v }

// splitField is field's inverse.
func splitField(f string) (Dimension, string, bool) {
	d, v, ok := strings.Cut(f, "|")
	return Dimension(d), v, ok
}

// minuteKey is the hash of the counts of one minute, by Unix minute. It
// carries the decision log's {calls} tag, so Count writes it in the
// decision's transaction.
func minuteKey(minute int64) string { return "tg:{calls}:spike:m:" + strconv.FormatInt(minute, 10) }

// unixMinute is t's minute since the Unix epoch.
func unixMinute(t time.Time) int64 { return t.Unix() / 60 }

// Values returns what d counts under in each dimension; a dimension with
// nothing to count (no country, no IP) is left out.
func Values(d risk.Decision) map[Dimension]string {
	out := make(map[Dimension]string, 3)
	if d.NumberCountry != "" {
		out[Country] = d.NumberCountry
	}
	if d.Number != "" {
		out[Prefix] = d.Number[:min(len(d.Number), PrefixLen)]
	}
	if n, ok := NetworkOf(d.IP); ok {
		out[Network] = n.String()
	}
	return out
}

// NetworkOf is the network ip is counted under: its /24, or /48 for IPv6.
func NetworkOf(ip netip.Addr) (netip.Prefix, bool) {
	if !ip.IsValid() {
		return netip.Prefix{}, false
	}
	ip = ip.Unmap()
	bits := 24
	if ip.Is6() {
		bits = 48
	}
	p, err := ip.Prefix(bits)
	return p, err == nil
}

// Count adds decision d to the counts of its minute on p, which should be
// the transaction that logs d. The minute's hash expires keep (Spikes.Keep)
// after it was last renewed: when renew says its TTL is due, which may
// skip most writes of the minute.
func Count(ctx context.Context, p redis.Pipeliner, d risk.Decision, at time.Time, keep time.Duration, renew func(key string) bool) {
	vals := Values(d)
	if len(vals) == 0 {
		return
	}
	k := minuteKey(unixMinute(at))
	for _, dim := range Dimensions() {
		if v, ok := vals[dim]; ok {
			p.HIncrBy(ctx, k, field(dim, v), 1)
		}
	}
	if renew(k) {
		p.Expire(ctx, k, keep)
	}
}
