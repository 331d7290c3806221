package risk

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// The deny and allow lists are mirrored in each instance's memory, so a
// decision looks them up without Redis and a request they refuse is
// decided before anything is counted (see refuseEarly).
//
// Every write to a list's hash bumps that list's version in one hash
// (listVersionsKey), in the same transaction. Engine.Watch reads the
// versions every tick (two seconds) and reloads the lists whose version
// changed; it reloads every list at least every mirrorFullReload, which
// catches writes that bumped no version (a hand edit, a restored backup)
// and drops expired entries. A write through this instance's ListStore is
// applied to the copy at once, so the instance reads its own writes.
//
// The copy is used only while it is current: loaded, and its versions
// confirmed within mirrorMaxAge. Otherwise (at start, or when Redis does
// not answer the polls) decisions read the lists from Redis in their
// round trip, as they always could. A write on another instance therefore
// takes effect here within one tick, and a copy that cannot be confirmed
// is never trusted for longer than mirrorMaxAge.
//
// Expired entries stay in the copy until the next full reload; every
// lookup checks an entry's expiry, so they never match.

const (
	// mirrorMaxAge is how long a copy is trusted without its versions
	// being confirmed: three ticks of Watch.
	mirrorMaxAge = 6 * time.Second
	// mirrorFullReload is how often every list is read whole.
	mirrorFullReload = time.Minute
	// mirrorScanCount is the HSCAN batch of a reload: a large list is
	// read in steps, never in one command that would stall Redis.
	mirrorScanCount = 1000
)

// listMirror is this instance's copy of the lists.
type listMirror struct {
	rdb redis.Cmdable
	// clock is time.Now, or a test's.
	clock func() time.Time
	// reload serialises refreshes and the application of local writes, so
	// a reload begun before a write cannot replace the copy it updated.
	reload sync.Mutex
	mu     sync.RWMutex
	// copies is nil until the first load.
	copies map[List]*listCopy
	// checked is when every copy's version was last confirmed, loaded is
	// when every list was last read whole (monotonic clock).
	checked, loaded time.Time
	// generation is the versions' generation at the last whole read.
	generation string
}

// listCopy is one list as the mirror holds it: numbers, prefixes,
// countries and AS numbers by value, networks by prefix.
type listCopy struct {
	version int64
	values  map[string]mirrorEntry
	nets    map[netip.Prefix]mirrorEntry
}

// mirrorEntry is what a decision needs of an entry: its reason and expiry
// (Unix nanoseconds, 0 for never).
type mirrorEntry struct {
	reason  string
	expires int64
}

// lastNano is the last time Unix nanoseconds hold.
var lastNano = time.Unix(0, math.MaxInt64)

func (me mirrorEntry) active(now time.Time) bool {
	return me.expires == 0 || now.UnixNano() < me.expires
}

func (me mirrorEntry) entry(value string) Entry {
	en := Entry{Value: value, Reason: me.reason}
	if me.expires != 0 {
		en.Expires = time.Unix(0, me.expires)
	}
	return en
}

func newListCopy(l List, version int64, size int) *listCopy {
	c := &listCopy{version: version}
	if l == DenyIP || l == AllowIP {
		c.nets = make(map[netip.Prefix]mirrorEntry, size)
	} else {
		c.values = make(map[string]mirrorEntry, size)
	}
	return c
}

// put stores en; a network that does not parse is skipped (it cannot have
// been written by NormalizeEntry).
func (c *listCopy) put(en Entry, reasons map[string]string) {
	me := mirrorEntry{reason: en.Reason}
	if r, ok := reasons[en.Reason]; ok {
		me.reason = r
	} else if reasons != nil {
		reasons[en.Reason] = en.Reason
	}
	switch {
	case en.Expires.IsZero():
	case en.Expires.After(lastNano):
		// Past what Unix nanoseconds hold (the year 2262): as good as never.
		me.expires = math.MaxInt64
	default:
		me.expires = en.Expires.UnixNano()
	}
	if c.nets == nil {
		c.values[en.Value] = me
		return
	}
	if p, err := netip.ParsePrefix(en.Value); err == nil {
		c.nets[p.Masked()] = me
	}
}

func (c *listCopy) remove(value string) {
	if c.nets == nil {
		delete(c.values, value)
		return
	}
	if p, err := netip.ParsePrefix(value); err == nil {
		delete(c.nets, p.Masked())
	}
}

// current reports whether the copy may answer decisions.
func (m *listMirror) current() bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.copies != nil && m.now().Sub(m.checked) <= mirrorMaxAge
}

func (m *listMirror) now() time.Time {
	if m.clock != nil {
		return m.clock()
	}
	return time.Now()
}

// refresh confirms the copy's versions and reloads the lists that changed,
// or every list when a full reload is due.
func (m *listMirror) refresh(ctx context.Context) error {
	m.reload.Lock()
	defer m.reload.Unlock()
	start := m.now()
	raw, err := m.rdb.HGetAll(ctx, listVersionsKey).Result()
	if err != nil {
		return fmt.Errorf("read list versions: %w", err)
	}
	gen := raw[generationField]
	if gen == "" {
		// The versions are new, or were lost (FLUSHALL, a failover): they
		// start again from 1 and could match a copy of other contents.
		if gen, err = m.newGeneration(ctx); err != nil {
			return err
		}
	}
	versions := make(map[List]int64, len(raw))
	for l, v := range raw {
		versions[List(l)], _ = strconv.ParseInt(v, 10, 64)
	}
	m.mu.RLock()
	full := m.copies == nil || gen != m.generation || start.Sub(m.loaded) >= mirrorFullReload
	var stale []List
	for _, l := range Lists() {
		if c := m.copies[l]; full || c == nil || c.version != versions[l] {
			stale = append(stale, l)
		}
	}
	m.mu.RUnlock()
	fresh := make(map[List]*listCopy, len(stale))
	for _, l := range stale {
		if fresh[l], err = m.load(ctx, l, versions[l]); err != nil {
			return err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.copies == nil {
		m.copies = make(map[List]*listCopy, len(Lists()))
	}
	for l, c := range fresh {
		m.copies[l] = c
	}
	m.checked = start
	if full {
		m.loaded, m.generation = start, gen
	}
	return nil
}

// generationField holds, in the versions hash, a random value set when the
// hash is created: versions are compared only within one generation.
const generationField = "generation"

// newGeneration sets the versions' generation if none is, and returns the
// one in force.
func (m *listMirror) newGeneration(ctx context.Context) (string, error) {
	if err := m.rdb.HSetNX(ctx, listVersionsKey, generationField, newID()).Err(); err != nil {
		return "", fmt.Errorf("set the list versions' generation: %w", err)
	}
	gen, err := m.rdb.HGet(ctx, listVersionsKey, generationField).Result()
	if err != nil {
		return "", fmt.Errorf("read the list versions' generation: %w", err)
	}
	return gen, nil
}

// load reads list l whole, in HSCAN steps. version is the one read before
// the scan: a write during it leaves the copy's version behind, so the
// next refresh reads the list again.
func (m *listMirror) load(ctx context.Context, l List, version int64) (*listCopy, error) {
	n, err := m.rdb.HLen(ctx, listKey(l)).Result()
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", l, err)
	}
	c := newListCopy(l, version, int(n))
	reasons := make(map[string]string)
	var cursor uint64
	for {
		kvs, next, err := m.rdb.HScan(ctx, listKey(l), cursor, "", mirrorScanCount).Result()
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", l, err)
		}
		for i := 0; i+1 < len(kvs); i += 2 {
			// Only what a decision needs is decoded.
			var en struct {
				Reason  string    `json:"reason"`
				Expires time.Time `json:"expires"`
			}
			if json.Unmarshal([]byte(kvs[i+1]), &en) == nil {
				c.put(Entry{Value: kvs[i], Reason: en.Reason, Expires: en.Expires}, reasons)
			}
		}
		if next == 0 {
			return c, nil
		}
		cursor = next
	}
}

// wrote applies a write of this instance to list l, made in the
// transaction that bumped its version to version: it is applied to the
// copy when the copy was at the version before, or the list is reloaded.
// When that reload fails, the copy is not current until a refresh
// succeeds: decisions read the lists from Redis meanwhile.
func (m *listMirror) wrote(ctx context.Context, l List, version int64, apply func(*listCopy)) {
	if m == nil {
		return
	}
	m.reload.Lock()
	defer m.reload.Unlock()
	m.mu.Lock()
	c := m.copies[l]
	switch {
	case m.copies == nil || c != nil && c.version == version:
		m.mu.Unlock()
		return
	case c != nil && c.version == version-1:
		apply(c)
		c.version = version
		m.mu.Unlock()
		return
	}
	m.mu.Unlock()
	fresh, err := m.load(ctx, l, version)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		// Not current until a refresh reloads it.
		m.checked = time.Time{}
		return
	}
	m.copies[l] = fresh
}

// exact finds value in list l.
func (m *listMirror) exact(l List, value string, now time.Time) (Entry, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if c := m.copies[l]; c != nil {
		if me, ok := c.values[value]; ok && me.active(now) {
			return me.entry(value), true
		}
	}
	return Entry{}, false
}

// prefix finds the longest prefix of e164 on the deny list of prefixes.
func (m *listMirror) prefix(e164 string, now time.Time) (Entry, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c := m.copies[DenyPrefix]
	if c == nil {
		return Entry{}, false
	}
	for i := len(e164); i >= 2; i-- {
		if me, ok := c.values[e164[:i]]; ok && me.active(now) {
			return me.entry(e164[:i]), true
		}
	}
	return Entry{}, false
}

// network finds the narrowest network of list l that holds ip, among the
// sizes a list accepts (networkCandidates).
func (m *listMirror) network(l List, ip netip.Addr, now time.Time) (Entry, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c := m.copies[l]
	if c == nil || len(c.nets) == 0 {
		return Entry{}, false
	}
	try := func(bits int) (Entry, bool) {
		p := netip.PrefixFrom(ip, bits).Masked()
		if me, ok := c.nets[p]; ok && me.active(now) {
			return me.entry(p.String()), true
		}
		return Entry{}, false
	}
	if ip.Is4() {
		for b := 32; b >= minBits4; b-- {
			if en, ok := try(b); ok {
				return en, true
			}
		}
		return Entry{}, false
	}
	if en, ok := try(128); ok {
		return en, true
	}
	for b := maxBits6; b >= minBits6; b-- {
		if en, ok := try(b); ok {
			return en, true
		}
	}
	return Entry{}, false
}

// size returns how many entries the copy of l holds, -1 when none is
// loaded.
func (m *listMirror) size(l List) int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c := m.copies[l]
	if c == nil {
		return -1
	}
	return len(c.values) + len(c.nets)
}

// LoadMirror reads the lists into this instance's memory, or confirms its
// copy is current and reloads the lists that changed. Watch calls it every
// tick; calling it once at start lets the first decisions use the copy.
func (ls *ListStore) LoadMirror(ctx context.Context) error { return ls.mirror.refresh(ctx) }

// listLookup is one list lookup of a decision: answered by the mirror, or
// an HMGET of the candidate values in the decision's pipeline.
type listLookup struct {
	cmd *redis.SliceCmd
	en  Entry
	ok  bool
}

// entry returns the entry found, if an active one was.
func (lk listLookup) entry(now time.Time) (Entry, bool) {
	if lk.cmd != nil {
		return bestEntry(lk.cmd.Val(), now)
	}
	return lk.en, lk.ok
}

// lookups are the list lookups of one request.
type lookups struct {
	denyNumber, allowNumber, denyPrefix   listLookup
	denyIP, allowIP, denyCountry, denyASN listLookup
}

// listQuery is what a request is looked up by: its number, and the
// visitor's address with its country and AS when it has one.
type listQuery struct {
	e164    string
	ip      netip.Addr
	country string
	asn     uint
}

// mirrored looks q up in the mirror; ok is false when the copy is not
// current and the lists must be read from Redis (queueLookups).
func (ls *ListStore) mirrored(q listQuery, now time.Time) (lk lookups, ok bool) {
	m := ls.mirror
	if !m.current() {
		return lookups{}, false
	}
	found := func(en Entry, ok bool) listLookup { return listLookup{en: en, ok: ok} }
	lk.denyNumber = found(m.exact(DenyNumber, q.e164, now))
	lk.allowNumber = found(m.exact(AllowNumber, q.e164, now))
	lk.denyPrefix = found(m.prefix(q.e164, now))
	if q.ip.IsValid() {
		lk.denyIP = found(m.network(DenyIP, q.ip, now))
		lk.allowIP = found(m.network(AllowIP, q.ip, now))
	}
	if q.country != "" {
		lk.denyCountry = found(m.exact(DenyCountry, q.country, now))
	}
	if q.asn != 0 {
		lk.denyASN = found(m.exact(DenyASN, strconv.FormatUint(uint64(q.asn), 10), now))
	}
	return lk, true
}

// queueLookups adds the HMGETs that look q up to p.
func queueLookups(ctx context.Context, p redis.Pipeliner, q listQuery) lookups {
	get := func(l List, values ...string) listLookup { return listLookup{cmd: p.HMGet(ctx, listKey(l), values...)} }
	lk := lookups{
		denyNumber:  get(DenyNumber, q.e164),
		allowNumber: get(AllowNumber, q.e164),
		denyPrefix:  get(DenyPrefix, prefixCandidates(q.e164)...),
	}
	if q.ip.IsValid() {
		nets := networkCandidates(q.ip)
		lk.denyIP, lk.allowIP = get(DenyIP, nets...), get(AllowIP, nets...)
	}
	if q.country != "" {
		lk.denyCountry = get(DenyCountry, q.country)
	}
	if q.asn != 0 {
		lk.denyASN = get(DenyASN, strconv.FormatUint(uint64(q.asn), 10))
	}
	return lk
}

// CopyTo copies every list's entries as they are stored into dst, in
// HSCAN steps, and loads dst's mirror: a replay's isolated engine decides
// with the lists in force.
func (ls *ListStore) CopyTo(ctx context.Context, dst *ListStore) error {
	for _, l := range Lists() {
		var cursor uint64
		for {
			kvs, next, err := ls.rdb.HScan(ctx, listKey(l), cursor, "", mirrorScanCount).Result()
			if err != nil {
				return fmt.Errorf("copy %s: %w", l, err)
			}
			if len(kvs) > 0 {
				values := make([]any, len(kvs))
				for i, v := range kvs {
					values[i] = v
				}
				if err := dst.rdb.HSet(ctx, listKey(l), values...).Err(); err != nil {
					return fmt.Errorf("copy %s: %w", l, err)
				}
			}
			if next == 0 {
				break
			}
			cursor = next
		}
	}
	return dst.LoadMirror(ctx)
}
