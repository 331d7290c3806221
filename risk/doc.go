// Package risk decides whether a callback request becomes a call.
//
// An Engine scores a Request (the number as typed, the client IP, the user
// agent, the flow, whether the visitor is authenticated) and returns a
// Decision: Allow, Deflect or Block, a score, what the visitor is shown
// (Visible), the normalised number with its country and type, the IP's
// country and ASN, and every Reason that contributed, each with a stable
// code, its weight and a short detail. ReasonTable describes every code.
//
// The engine does three jobs apart: it decides (Evaluate, ScreenCaller),
// releases a number's outstanding-callback lock (Release), and holds the
// budget's reservations. Its ListStore holds the deny and allow lists, its
// SettingsStore the settings in force, saved in Redis for every instance;
// Watch keeps both current.
//
// # Signals
//
//   - Number: parsed with libphonenumber against the default region. A number
//     that cannot be valid returns a *NumberError the visitor can correct; the
//     attempt still counts against the IP. Risky types (VoIP, premium rate,
//     shared cost, UAN, personal, pager, toll free) carry weights.
//   - Lists: deny lists of numbers, prefixes (longest match), IPs and
//     networks, visitor countries and ASNs; allow lists of numbers and
//     networks, which waive the checks they exempt from. Each instance
//     mirrors them in memory (ListStore.LoadMirror, kept current by Watch).
//     See List, Entry, ListStore.AddEntries.
//   - Country policy: ALLOW, BLOCK or MONITOR per destination country, an
//     account Policy that a named flow's policy may make stricter, and
//     loosen only for a request bound to the flow. See Settings.CountryMode.
//   - IP: country mismatch with the number, anonymous networks (VPN, Tor,
//     proxies, hosting) from a GeoIP2 Anonymous IP database, hosting ASNs.
//   - Velocity: sliding windows of requests per IP and IP network, of
//     distinct sources per number, number block and destination country,
//     distinct numbers per IP and IPs per number, and numbers near one
//     another. The per-IP counts take an IPv6 address by its network of
//     Velocity.IPv6Prefix bits (a /64 by default: one home subscriber), the
//     shared counts by its /48. A request its own source refuses adds
//     nothing to the shared counts.
//   - Signed-in accounts (Request.Visitor): requests and distinct numbers
//     per account; a token may be bound to a number or single-use.
//   - Duplicates: one outstanding callback per number; Release frees it.
//   - Spend: calls placed per number, and a daily budget reserved by each
//     decision that may be allowed (see Budget).
//
// Weights, thresholds and limits live in Settings, stored in Redis and
// reloaded by Watch, so every instance follows changes within seconds.
// Deny-list hits, blocked countries and duplicates block whatever the score
// (IsHard). What the visitor is shown (Decision.Visible) rests only on what
// the visitor sent and did: reasons that rest on anything else (lists, the
// country policy, other visitors' requests, outstanding callbacks,
// per-number caps) never change it, so answers do not reveal them.
//
// # Redis
//
// A decision's reads and writes go in one pipeline: one round trip on a
// single Redis, one per node, concurrently, on a Cluster, where every key
// carries the hash tag of the thing it counts. A request that what the
// instance holds in memory already refuses (number, country policy, GeoIP,
// the mirrored lists, the handler's reasons) is decided before counting,
// in a smaller round trip that counts it against its own source only, and
// paced to take as long as a whole decision. Every counter key expires.
// Every key is spelt in keys.go.
package risk
