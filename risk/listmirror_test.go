package risk

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// mirroredStore returns a ListStore with a mirror on rdb, at clock's time.
func mirroredStore(rdb redis.Cmdable, clock func() time.Time) *ListStore {
	return &ListStore{rdb: rdb, region: "US", now: time.Now, mirror: &listMirror{rdb: rdb, clock: clock}}
}

// fromRedis looks q up with the HMGETs a decision sends when the mirror is
// not current.
func fromRedis(t *testing.T, rdb redis.Cmdable, q listQuery) lookups {
	t.Helper()
	var lk lookups
	if _, err := rdb.Pipelined(t.Context(), func(p redis.Pipeliner) error {
		lk = queueLookups(t.Context(), p, q)
		return nil
	}); err != nil && err != redis.Nil {
		t.Fatal(err)
	}
	return lk
}

// sameLookups compares the entries two ways of looking up found.
func sameLookups(t *testing.T, q listQuery, mirror, redis lookups, now time.Time) {
	t.Helper()
	pairs := []struct {
		name string
		m, r listLookup
	}{
		{"deny_number", mirror.denyNumber, redis.denyNumber},
		{"allow_number", mirror.allowNumber, redis.allowNumber},
		{"deny_prefix", mirror.denyPrefix, redis.denyPrefix},
		{"deny_ip", mirror.denyIP, redis.denyIP},
		{"allow_ip", mirror.allowIP, redis.allowIP},
		{"deny_country", mirror.denyCountry, redis.denyCountry},
		{"deny_asn", mirror.denyASN, redis.denyASN},
	}
	for _, p := range pairs {
		me, mok := p.m.entry(now)
		re, rok := p.r.entry(now)
		if mok != rok || me.Value != re.Value || me.Reason != re.Reason {
			t.Errorf("%+v %s: mirror found %v %+v, Redis %v %+v", q, p.name, mok, me, rok, re)
		}
	}
}

// randomEntries fills every list with entries near the values queries
// will ask for, some of them expired.
func randomEntries(r *rand.Rand, now time.Time) map[List][]Entry {
	batch := map[List][]Entry{}
	entry := func(l List, v string) {
		en := Entry{Value: v, Reason: fmt.Sprintf("reason %d", r.IntN(3))}
		switch r.IntN(5) {
		case 0:
			en.Expires = now.Add(-time.Minute)
		case 1:
			en.Expires = now.Add(time.Hour).Truncate(time.Second)
		case 2:
			en.Expires = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		batch[l] = append(batch[l], en)
	}
	for range 40 {
		entry(DenyNumber, fmt.Sprintf("+1201555%04d", r.IntN(50)))
		entry(AllowNumber, fmt.Sprintf("+1201555%04d", r.IntN(50)))
		entry(DenyPrefix, fmt.Sprintf("+1201555%0*d", r.IntN(4)+1, r.IntN(10)))
		v4 := netip.AddrFrom4([4]byte{10, byte(r.IntN(2)), byte(r.IntN(4)), byte(r.IntN(8))})
		entry(DenyIP, netip.PrefixFrom(v4, 8+r.IntN(25)).Masked().String())
		entry(AllowIP, netip.PrefixFrom(v4, 8+r.IntN(25)).Masked().String())
		v6 := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, byte(r.IntN(2)), 7: byte(r.IntN(4)), 15: byte(r.IntN(4))})
		bits := []int{16, 32, 40, 48, 56, 64, 128}[r.IntN(7)]
		entry(DenyIP, netip.PrefixFrom(v6, bits).Masked().String())
		entry(DenyCountry, []string{"GB", "FR", "US", "NG"}[r.IntN(4)])
		entry(DenyASN, fmt.Sprint(64500+r.IntN(6)))
	}
	return batch
}

func randomQuery(r *rand.Rand) listQuery {
	q := listQuery{e164: fmt.Sprintf("+1201555%04d", r.IntN(60))}
	switch r.IntN(3) {
	case 0:
		q.ip = netip.AddrFrom4([4]byte{10, byte(r.IntN(2)), byte(r.IntN(4)), byte(r.IntN(8))})
	case 1:
		q.ip = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, byte(r.IntN(2)), 7: byte(r.IntN(4)), 15: byte(r.IntN(4))})
	}
	if r.IntN(2) == 0 {
		q.country = []string{"GB", "FR", "US", "DE"}[r.IntN(4)]
	}
	if r.IntN(2) == 0 {
		q.asn = uint(64500 + r.IntN(8))
	}
	return q
}

// TestMirrorAnswersAsRedis fills the lists with random entries, through
// this instance and another, removes some, and checks that the mirror
// finds for every query what the HMGETs of a decision find.
func TestMirrorAnswersAsRedis(t *testing.T) {
	ctx := t.Context()
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	t.Cleanup(func() { rdb.Close() })
	now := time.Now()
	here, other := mirroredStore(rdb, nil), mirroredStore(rdb, nil)
	r := rand.New(rand.NewPCG(1, 2))
	compare := func(t *testing.T) {
		t.Helper()
		for range 500 {
			q := randomQuery(r)
			lk, ok := here.mirrored(q, now)
			if !ok {
				t.Fatal("mirror not current right after a refresh")
			}
			sameLookups(t, q, lk, fromRedis(t, rdb, q), now)
		}
	}
	if err := here.LoadMirror(ctx); err != nil {
		t.Fatal(err)
	}
	t.Run("own writes, applied at once", func(t *testing.T) {
		if _, err := here.AddEntriesToLists(ctx, randomEntries(r, now)); err != nil {
			t.Fatal(err)
		}
		compare(t)
	})
	t.Run("own removals", func(t *testing.T) {
		for range 30 {
			q := randomQuery(r)
			for _, l := range []List{DenyNumber, AllowNumber} {
				if err := here.RemoveEntry(ctx, l, q.e164); err != nil {
					t.Fatal(err)
				}
			}
			if q.ip.IsValid() {
				if err := here.RemoveEntry(ctx, DenyIP, netip.PrefixFrom(q.ip, q.ip.BitLen()).String()); err != nil {
					t.Fatal(err)
				}
			}
		}
		compare(t)
	})
	t.Run("another instance's writes, after a refresh", func(t *testing.T) {
		if _, err := other.AddEntriesToLists(ctx, randomEntries(r, now)); err != nil {
			t.Fatal(err)
		}
		if err := other.RemoveEntry(ctx, DenyCountry, "GB"); err != nil {
			t.Fatal(err)
		}
		// A write here after the other instance's cannot be applied on
		// top of a copy that missed it: the list is read again.
		if _, err := here.AddEntry(ctx, DenyNumber, Entry{Value: "+12015550001", Reason: "here"}); err != nil {
			t.Fatal(err)
		}
		if err := here.LoadMirror(ctx); err != nil {
			t.Fatal(err)
		}
		compare(t)
	})
}

// TestMirrorStaysCurrentOnlyWhileConfirmed checks that a copy whose
// versions were not confirmed within mirrorMaxAge is not used, that a
// refresh brings it back, and that another instance's write is seen after
// the next refresh.
func TestMirrorStaysCurrentOnlyWhileConfirmed(t *testing.T) {
	ctx := t.Context()
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	t.Cleanup(func() { rdb.Close() })
	at := time.Now()
	clock := func() time.Time { return at }
	here, other := mirroredStore(rdb, clock), mirroredStore(rdb, nil)
	q := listQuery{e164: "+12015550123"}
	if _, ok := here.mirrored(q, at); ok {
		t.Fatal("a mirror never loaded answered")
	}
	if err := here.LoadMirror(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := other.AddEntry(ctx, DenyNumber, Entry{Value: q.e164}); err != nil {
		t.Fatal(err)
	}
	if lk, ok := here.mirrored(q, at); !ok || lk.denyNumber.ok {
		t.Fatalf("before a refresh: current %v, found %v; want the copy as loaded", ok, lk.denyNumber.ok)
	}
	at = at.Add(mirrorMaxAge + time.Second)
	if _, ok := here.mirrored(q, at); ok {
		t.Fatalf("a copy last confirmed %s ago answered", mirrorMaxAge+time.Second)
	}
	if err := here.LoadMirror(ctx); err != nil {
		t.Fatal(err)
	}
	if lk, ok := here.mirrored(q, at); !ok || !lk.denyNumber.ok {
		t.Fatalf("after a refresh: current %v, found %v; want the other instance's entry", ok, lk.denyNumber.ok)
	}
}

// BenchmarkListMirrorMemory reports the heap a mirrored list takes per
// entry: 100,000 numbers (with a reason and, for half, an expiry) and
// 100,000 networks.
//
//	go test ./risk -run '^$' -bench ListMirrorMemory -benchtime 1x
func BenchmarkListMirrorMemory(b *testing.B) {
	const n = 100_000
	for _, l := range []List{DenyNumber, DenyIP} {
		b.Run(string(l), func(b *testing.B) {
			c := newListCopy(l, 1, 0)
			entries := make([]Entry, n)
			for i := range entries {
				en := Entry{Value: fmt.Sprintf("+1201%07d", i), Reason: "spike on +1201"}
				if l == DenyIP {
					en.Value = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 32).String()
				}
				if i%2 == 0 {
					en.Expires = time.Now().Add(time.Hour)
				}
				entries[i] = en
			}
			for range b.N {
				before := heapInUse()
				c = newListCopy(l, 1, 0)
				reasons := map[string]string{}
				for _, en := range entries {
					// A reload's values are fresh strings from Redis.
					en.Value = strings.Clone(en.Value)
					c.put(en, reasons)
				}
				b.ReportMetric(float64(heapInUse()-before)/n, "bytes/entry")
				runtime.KeepAlive(c)
			}
		})
	}
}

// heapInUse is the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// TestMirrorReloadsAfterTheVersionsAreLost flushes Redis under a loaded
// copy and writes the lists again until their versions match the copy's:
// the next refresh must still read them again.
func TestMirrorReloadsAfterTheVersionsAreLost(t *testing.T) {
	ctx := t.Context()
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	t.Cleanup(func() { rdb.Close() })
	here, other := mirroredStore(rdb, nil), mirroredStore(rdb, nil)
	const before, after = "+12015550101", "+12015550102"
	if _, err := other.AddEntry(ctx, DenyNumber, Entry{Value: before}); err != nil {
		t.Fatal(err)
	}
	if err := here.LoadMirror(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	// Version 1 again, other contents.
	if _, err := other.AddEntry(ctx, DenyNumber, Entry{Value: after}); err != nil {
		t.Fatal(err)
	}
	if err := here.LoadMirror(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, c := range []struct {
		number string
		want   bool
	}{{before, false}, {after, true}} {
		lk, ok := here.mirrored(listQuery{e164: c.number}, now)
		if !ok || lk.denyNumber.ok != c.want {
			t.Errorf("%s: current %v, listed %v; want listed %v", c.number, ok, lk.denyNumber.ok, c.want)
		}
	}
}
