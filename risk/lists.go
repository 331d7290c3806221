package risk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
	"github.com/redis/go-redis/v9"
)

// ListStore holds the deny and allow lists in Redis: adding, removing,
// expiring, querying and indexing entries. Evaluate reads the lists in its
// own round trip; everything else about them is here.
type ListStore struct {
	rdb    redis.Cmdable
	region string
	now    func() time.Time
	mirror *listMirror
}

// ListStore returns the lists the engine decides with.
func (e *Engine) ListStore() *ListStore { return e.lists }

// List names a deny or allow list the engine reads.
type List string

// The lists. Deny entries block whatever the score; allow entries are trust.
const (
	// DenyNumber holds exact E.164 numbers.
	DenyNumber List = "deny_number"
	// DenyPrefix holds number prefixes such as "+88213"; the longest match wins.
	DenyPrefix List = "deny_prefix"
	// DenyIP holds client addresses and networks (IPv4 /8 to /32, IPv6 /16 to /64 or /128).
	DenyIP List = "deny_ip"
	// DenyCountry holds ISO countries whose visitors (by IP) are refused.
	DenyCountry List = "deny_country"
	// DenyASN holds autonomous system numbers whose visitors are refused.
	DenyASN List = "deny_asn"
	// AllowNumber holds numbers exempt from velocity, distinct-count and
	// duplicate checks; the country policy still applies.
	AllowNumber List = "allow_number"
	// AllowIP holds trusted networks (offices, partners): their requests skip
	// anonymous-network, hosting and per-IP velocity signals.
	AllowIP List = "allow_ip"
)

// Lists returns every list in a stable order.
func Lists() []List {
	return []List{DenyNumber, DenyPrefix, DenyIP, DenyCountry, DenyASN, AllowNumber, AllowIP}
}

// Entry is one list entry.
type Entry struct {
	// Value is the normalised number, prefix, network, country or ASN.
	Value string `json:"value"`
	// Reason says why the entry exists.
	Reason string `json:"reason,omitempty"`
	// Author is who added it.
	Author string `json:"author,omitempty"`
	// Created is when it was added.
	Created time.Time `json:"created"`
	// Expires is when it stops counting; zero means never.
	Expires time.Time `json:"expires,omitzero"`
}

// Active reports whether the entry counts at time now.
func (e Entry) Active(now time.Time) bool { return e.Expires.IsZero() || now.Before(e.Expires) }

// NormalizeEntry checks a list value and returns its canonical form, with
// an error that says what is wrong. Numbers without +country are read in
// region.
func NormalizeEntry(l List, value, region string) (string, error) {
	v := strings.TrimSpace(value)
	switch l {
	case DenyNumber, AllowNumber:
		num, err := phonenumbers.Parse(v, region)
		if err != nil || !phonenumbers.IsPossibleNumber(num) {
			return "", fmt.Errorf("%q is not a phone number", value)
		}
		// Parse drops a national prefix after the country code
		// ("+49 0..."), so such a number's E.164 form reads back as yet
		// another number; it is refused, as no caller can have it.
		e164 := phonenumbers.Format(num, phonenumbers.E164)
		if len(e164) > maxE164Len {
			return "", fmt.Errorf("%q is not a phone number: %s is longer than the 15 digits E.164 allows", value, e164)
		}
		if again, err := phonenumbers.Parse(e164, region); err != nil || phonenumbers.Format(again, phonenumbers.E164) != e164 {
			return "", fmt.Errorf("%q is not a phone number: written in E.164, %s reads back as another number", value, e164)
		}
		return e164, nil
	case DenyPrefix:
		digits := strings.TrimPrefix(strings.Map(func(r rune) rune {
			if r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' {
				return -1
			}
			return r
		}, v), "+")
		if digits == "" || len(digits) > 15 || strings.Trim(digits, "0123456789") != "" {
			return "", fmt.Errorf("%q is not a number prefix: use + and 1 to 15 digits, e.g. +88213", value)
		}
		return "+" + digits, nil
	case DenyIP, AllowIP:
		p, err := parseNetwork(v)
		if err != nil {
			return "", err
		}
		return p.String(), nil
	case DenyCountry:
		cc := strings.ToUpper(v)
		if len(cc) != 2 || strings.Trim(cc, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return "", fmt.Errorf("%q is not an ISO 3166-1 alpha-2 country code such as GB", value)
		}
		return cc, nil
	case DenyASN:
		n, err := strconv.ParseUint(strings.TrimPrefix(strings.ToUpper(v), "AS"), 10, 32)
		if err != nil || n == 0 {
			return "", fmt.Errorf("%q is not an AS number such as AS16509", value)
		}
		return strconv.FormatUint(n, 10), nil
	}
	return "", fmt.Errorf("unknown list %q", l)
}

func parseNetwork(v string) (netip.Prefix, error) {
	var p netip.Prefix
	if strings.Contains(v, "/") {
		var err error
		if p, err = netip.ParsePrefix(v); err != nil {
			return p, fmt.Errorf("%q is not an IP address or CIDR network", v)
		}
	} else {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return p, fmt.Errorf("%q is not an IP address or CIDR network", v)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a, bits := p.Addr(), p.Bits(); a.Is4In6() {
		p = netip.PrefixFrom(a.Unmap(), bits-96)
	}
	if !p.IsValid() {
		return p, fmt.Errorf("%q is not an IP address or CIDR network", v)
	}
	p = p.Masked()
	bits := p.Bits()
	if p.Addr().Is4() && (bits < minBits4) {
		return p, fmt.Errorf("%q: IPv4 networks must be /%d or narrower", v, minBits4)
	}
	if p.Addr().Is6() && (bits < minBits6 || (bits > maxBits6 && bits != 128)) {
		return p, fmt.Errorf("%q: IPv6 networks must be /%d to /%d, or a single /128 address", v, minBits6, maxBits6)
	}
	return p, nil
}

const (
	minBits4 = 8
	minBits6 = 16
	maxBits6 = 64
)

// networkCandidates lists every list value that can contain ip, narrowest last.
func networkCandidates(ip netip.Addr) []string {
	if ip.Is4() {
		out := make([]string, 0, 33-minBits4)
		for b := minBits4; b <= 32; b++ {
			out = append(out, netip.PrefixFrom(ip, b).Masked().String())
		}
		return out
	}
	out := make([]string, 0, maxBits6-minBits6+2)
	for b := minBits6; b <= maxBits6; b++ {
		out = append(out, netip.PrefixFrom(ip, b).Masked().String())
	}
	return append(out, netip.PrefixFrom(ip, 128).String())
}

// prefixCandidates lists every prefix of an E.164 number, shortest first.
func prefixCandidates(e164 string) []string {
	out := make([]string, 0, len(e164))
	for i := 2; i <= len(e164); i++ {
		out = append(out, e164[:i])
	}
	return out
}

// bestEntry decodes the raw values of a candidate lookup and returns the
// active entry that comes last (the longest prefix or narrowest network).
func bestEntry(raw []any, now time.Time) (Entry, bool) {
	for i := len(raw) - 1; i >= 0; i-- {
		v, ok := raw[i].(string)
		if !ok {
			continue
		}
		var e Entry
		if json.Unmarshal([]byte(v), &e) == nil && e.Active(now) {
			return e, true
		}
	}
	return Entry{}, false
}

// AddEntry stores an entry after normalising its value, replacing any entry
// with the same value. It returns the stored entry.
func (ls *ListStore) AddEntry(ctx context.Context, l List, en Entry) (Entry, error) {
	out, err := ls.AddEntries(ctx, l, []Entry{en})
	if err != nil {
		var ee EntryErrors
		if errors.As(err, &ee) {
			return Entry{}, ee[0].Err
		}
		return Entry{}, err
	}
	return out[0], nil
}

// EntryError is a list value that was refused, with its list and its
// position in that list's input.
type EntryError struct {
	List  List
	Index int
	Value string
	Err   error
}

// EntryErrors lists every refused value of a bulk add.
type EntryErrors []EntryError

func (ee EntryErrors) Error() string {
	msgs := make([]string, len(ee))
	for i, e := range ee {
		msgs[i] = fmt.Sprintf("entry %d: %v", e.Index+1, e.Err)
	}
	return strings.Join(msgs, "; ")
}

// AddEntries validates every entry first and stores them all in one
// transaction, or none: a refused value returns EntryErrors naming each.
func (ls *ListStore) AddEntries(ctx context.Context, l List, entries []Entry) ([]Entry, error) {
	out, err := ls.AddEntriesToLists(ctx, map[List][]Entry{l: entries})
	if err != nil {
		return nil, err
	}
	return out[l], nil
}

// AddEntriesToLists is AddEntries for several lists at once: it validates
// every entry of every list first and stores them all in one transaction,
// or none. A refused value returns EntryErrors naming its list and index.
func (ls *ListStore) AddEntriesToLists(ctx context.Context, batch map[List][]Entry) (map[List][]Entry, error) {
	lists := slices.Sorted(maps.Keys(batch))
	out := make(map[List][]Entry, len(batch))
	values := make(map[List][]any, len(batch))
	var bad EntryErrors
	now := ls.now()
	for _, l := range lists {
		out[l] = make([]Entry, len(batch[l]))
		for i, en := range batch[l] {
			v, err := NormalizeEntry(l, en.Value, ls.region)
			if err != nil {
				bad = append(bad, EntryError{List: l, Index: i, Value: en.Value, Err: err})
				continue
			}
			en.Value = v
			if en.Created.IsZero() {
				en.Created = now
			}
			b, err := json.Marshal(en)
			if err != nil {
				return nil, err
			}
			out[l][i] = en
			values[l] = append(values[l], v, b)
		}
	}
	if len(bad) > 0 {
		return nil, bad
	}
	if len(values) == 0 {
		return out, nil
	}
	versions := make(map[List]*redis.IntCmd, len(lists))
	_, err := ls.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, l := range lists {
			if len(out[l]) > 0 {
				versions[l] = queueEntries(ctx, p, l, out[l], values[l])
			}
		}
		return nil
	})
	if err != nil {
		names := make([]string, len(lists))
		for i, l := range lists {
			names[i] = string(l)
		}
		return nil, fmt.Errorf("add %s entries: %w", strings.Join(names, ", "), err)
	}
	for l, v := range versions {
		ls.mirror.wrote(ctx, l, v.Val(), func(c *listCopy) {
			for _, en := range out[l] {
				c.put(en, nil)
			}
		})
	}
	return out, nil
}

// queueEntries queues the writes that store entries in list l: the hash
// (values holds value, JSON pairs), the lexical index, the expiry index
// and the list's version, whose new value it returns.
func queueEntries(ctx context.Context, p redis.Pipeliner, l List, entries []Entry, values []any) *redis.IntCmd {
	p.HSet(ctx, listKey(l), values...)
	var expiring []redis.Z
	var lasting []any
	indexed := make([]redis.Z, len(entries))
	for i, en := range entries {
		indexed[i] = redis.Z{Member: en.Value}
		member := string(l) + " " + en.Value
		if en.Expires.IsZero() {
			lasting = append(lasting, member)
		} else {
			expiring = append(expiring, redis.Z{Score: float64(en.Expires.Unix()), Member: member})
		}
	}
	if len(expiring) > 0 {
		p.ZAdd(ctx, expiryIndexKey, expiring...)
	}
	if len(lasting) > 0 {
		p.ZRem(ctx, expiryIndexKey, lasting...)
	}
	p.ZAdd(ctx, indexKey(l), indexed...)
	return p.HIncrBy(ctx, listVersionsKey, string(l), 1)
}

// RemoveEntry deletes an entry; removing a value that is not listed is not an error.
func (ls *ListStore) RemoveEntry(ctx context.Context, l List, value string) error {
	v, err := NormalizeEntry(l, value, ls.region)
	if err != nil {
		return err
	}
	var version *redis.IntCmd
	_, err = ls.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HDel(ctx, listKey(l), v)
		p.ZRem(ctx, expiryIndexKey, string(l)+" "+v)
		p.ZRem(ctx, indexKey(l), v)
		version = p.HIncrBy(ctx, listVersionsKey, string(l), 1)
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove %s entry: %w", l, err)
	}
	ls.mirror.wrote(ctx, l, version.Val(), func(c *listCopy) { c.remove(v) })
	return nil
}

// sweepScript deletes up to ARGV[2] entries whose expiry (in the index
// KEYS[1]) is at or before ARGV[1]. It reads the due entries once and
// deletes them; that is safe because a script runs atomically, so no
// entry can be renewed between the read and the delete. KEYS[2] is the
// key prefix of the lists, KEYS[3] that of their lexicographic indexes;
// all keys share the {lists} hash tag.
var sweepScript = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, m in ipairs(due) do
  local sp = string.find(m, ' ', 1, true)
  local list, value = string.sub(m, 1, sp - 1), string.sub(m, sp + 1)
  redis.call('HDEL', KEYS[2] .. list, value)
  redis.call('ZREM', KEYS[3] .. list, value)
  redis.call('ZREM', KEYS[1], m)
end
return #due
`)

// SweepExpired deletes up to 1000 entries whose expiry has passed and
// returns how many it removed. Expired entries are already ignored by
// decisions; sweeping keeps the lists from growing.
func (ls *ListStore) SweepExpired(ctx context.Context) (int, error) {
	n, err := sweepScript.Run(ctx, ls.rdb, []string{expiryIndexKey, listKey(""), indexKey("")},
		ls.now().Unix(), 1000).Int()
	if err != nil {
		return 0, fmt.Errorf("sweep expired entries: %w", err)
	}
	return n, nil
}
