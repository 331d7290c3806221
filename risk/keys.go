package risk

import "net/netip"

// Every key starts with "tg:" and carries the hash tag of the thing it
// counts, so in Cluster mode a thing's keys share a slot and no command of
// a decision crosses slots.
func ipTag(ip netip.Addr) string       { return "{ip:" + ip.String() + "}" }
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
