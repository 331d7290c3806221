// Package risk decides whether a callback request becomes a call.
//
// An Engine scores a Request (the number as typed, the client IP, the user
// agent, the flow, whether the visitor is authenticated) and returns a
// Decision: Allow, Deflect or Block, a score, the normalised number with its
// country and type, the IP's country and ASN, and every Reason that
// contributed, each with a stable code, its weight and a short detail.
//
// # Signals
//
//   - Number: parsed with libphonenumber against the default region. A number
//     that cannot be valid returns a *NumberError the visitor can correct; the
//     attempt still counts against the IP. Risky types (VoIP, premium rate,
//     shared cost, UAN, personal, pager, toll free) carry weights.
//   - Lists: deny lists of numbers, prefixes (longest match), IPs and
//     networks, visitor countries and ASNs; allow lists of numbers and
//     networks. See List, Entry, AddEntries.
//   - Country policy: ALLOW, BLOCK or MONITOR per destination country, an
//     account Policy overridden by named flow policies. See Settings.CountryMode.
//   - IP: country mismatch with the number, anonymous networks (VPN, Tor,
//     proxies, hosting) from a GeoIP2 Anonymous IP database, hosting ASNs.
//   - Velocity: sliding windows per IP, IP network, number, number block and
//     destination country, and distinct numbers per IP and IPs per number.
//     The per-IP counts take an IPv6 address by its network of
//     Velocity.IPv6Prefix bits (a /64 by default: one home subscriber).
//   - Duplicates: one outstanding callback per number; Release frees it.
//
// Weights, thresholds and limits live in Settings, stored in Redis and
// reloaded by Watch, so every instance follows changes within seconds.
// Deny-list hits, blocked countries and duplicates block whatever the score
// (IsHard).
//
// # Redis
//
// A decision's reads and writes go in one pipeline: one round trip on a
// single Redis, one per node, concurrently, on a Cluster, where every key
// carries the hash tag of the thing it counts. Every counter key expires.
package risk
