package risk_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// persistentKey reports whether k is a key that is meant to live without a
// TTL: list entries and their indexes (tg:{lists}:*, edited by people) and
// the settings document. Every other key the engine writes is a counter, a
// lock or a cap and must expire.
func persistentKey(k string) bool {
	return strings.HasPrefix(k, "tg:{lists}:") || k == "tg:settings"
}

// TestWorkloadKeysExpire runs a small mixed workload through the engine on
// a real redis-server (allowed, refused, invalid, IPv6 and allow-listed
// requests, placed calls, released locks), then SCANs every key: none but
// the persistent ones may lack a TTL. It runs on a redis-server and on a
// Redis Cluster, whose masters are scanned one by one.
// BenchmarkRedisMemory checks the same after a million requests.
func TestWorkloadKeysExpire(t *testing.T) {
	redistest.Each(t, testWorkloadKeysExpire)
}

func testWorkloadKeysExpire(t *testing.T, rdb redis.UniversalClient) {
	e := newEngine(t, rdb, memorySettings)
	setupMemoryLists(t, e)
	if n, err := memoryWorkload(context.Background(), e, 600, 4, time.Now().Add(time.Minute)); err != nil || n != 600 {
		t.Fatalf("workload: got %d requests, %v; want 600, nil", n, err)
	}
	st, err := scanEveryNode(context.Background(), rdb)
	if err != nil {
		t.Fatal(err)
	}
	if st.keys < 600 {
		t.Fatalf("got %d keys, want the counters of 600 decisions", st.keys)
	}
	if len(st.noTTL) > 0 {
		t.Errorf("got keys without a TTL %v, want none but lists and settings", st.noTTL)
	}
	if st.persistent == 0 {
		t.Errorf("got no list or settings keys, want the scan to have seen them")
	}
}

// BenchmarkRedisMemory drives b.N decisions straight through the engine
// (16 callers, no HTTP) against a real redis-server, each with a number and,
// for most, a client address never seen before, then reports Redis memory
// per tracked IP and per tracked number (MEMORY USAGE of every key, by hash
// tag) and the growth of used_memory, and fails if any key but the lists
// and settings lacks a TTL.
//
//	go test ./risk -run '^$' -bench RedisMemory -benchtime 1000000x
//
// BENCH_MAX_SECONDS [900] bounds the request phase; requests not sent by
// then are left out and the report says how many were.
func BenchmarkRedisMemory(b *testing.B) {
	maxFor := 900 * time.Second
	if s := os.Getenv("BENCH_MAX_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("BENCH_MAX_SECONDS=%q: want a positive integer", s)
		}
		maxFor = time.Duration(n) * time.Second
	}
	ctx := context.Background()
	rdb := benchRedis(b)
	e := benchEngine(b, rdb, memorySettings)
	defer e.Close()
	setupMemoryLists(b, e)
	before := usedMemory(b, rdb)
	start := time.Now()
	b.ResetTimer()
	done, err := memoryWorkload(ctx, e, b.N, 16, start.Add(maxFor))
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	after := usedMemory(b, rdb)
	st, err := scanKeys(ctx, rdb)
	if err != nil {
		b.Fatal(err)
	}
	benchSay("%d of %d requests in %s (%.0f/s); used_memory %d -> %d bytes: %.0f bytes a request",
		done, b.N, elapsed.Round(time.Second), float64(done)/elapsed.Seconds(), before, after, float64(after-before)/float64(done))
	for _, kind := range []string{"ip", "net", "n", "nb", "p", "cc", "spend"} {
		k := st.kinds[kind]
		if k == nil {
			continue
		}
		benchSay("{%s:…}: %d tracked, %d keys, %d bytes: %.0f bytes each", kind, len(k.tags), k.keys, k.bytes, float64(k.bytes)/float64(len(k.tags)))
	}
	benchSay("%d keys in all, %d persistent (lists, settings); keys without a TTL otherwise: %d", st.keys, st.persistent, len(st.noTTL))
	if len(st.noTTL) > 0 {
		b.Errorf("got keys without a TTL, e.g. %v; want none but lists and settings", st.noTTL[:min(10, len(st.noTTL))])
	}
	if ip, n := st.kinds["ip"], st.kinds["n"]; ip != nil && n != nil {
		b.ReportMetric(float64(ip.bytes)/float64(len(ip.tags)), "B/ip")
		b.ReportMetric(float64(n.bytes)/float64(len(n.tags)), "B/number")
	}
	b.ReportMetric(float64(after-before)/float64(done), "used-B/req")
}

// memorySettings lift the per-country limits, which a million requests to
// three countries would otherwise turn into deflections, and block Cuba.
func memorySettings(s *risk.Settings) {
	for i := range s.Velocity.Country {
		s.Velocity.Country[i].Warning, s.Velocity.Country[i].Critical = 50_000_000, 100_000_000
	}
	s.Account.Countries = map[string]risk.Mode{"CU": risk.ModeBlock}
}

func setupMemoryLists(tb testing.TB, e *risk.Engine) {
	ctx := context.Background()
	for _, en := range []struct {
		l risk.List
		v string
	}{{risk.DenyNumber, "+12015550166"}, {risk.DenyIP, "198.51.100.66"}, {risk.AllowNumber, "+12015550100"}} {
		if _, err := e.ListStore().AddEntry(ctx, en.l, risk.Entry{Value: en.v, Reason: "memory benchmark", Author: "bench"}); err != nil {
			tb.Fatal(err)
		}
	}
}

// memoryRequest is the k-th request of the workload: 89% a fresh US
// number from a fresh 10.0.0.0/8 address; the rest Tor exits, a deny-listed
// number and address, Cuba, an allow-listed number, IPv6 visitors and
// invalid numbers.
func memoryRequest(k uint64) risk.Request {
	h := k * 2654435761 // odd and not a multiple of 5: a bijection modulo 2^24 and 8,000,000
	areas := []string{"212", "646", "917", "415", "312", "617", "713", "305", "206", "404", "202", "303"}
	phone := "+1" + areas[k%uint64(len(areas))] + strconv.FormatUint(2_000_000+h%8_000_000, 10)
	v := uint32(h % (1 << 24))
	ip := netip.AddrFrom4([4]byte{10, byte(v >> 16), byte(v >> 8), byte(v)})
	switch k % 100 {
	case 0, 1, 2:
		ip = netip.AddrFrom4([4]byte{203, 0, 113, byte(k)})
	case 3, 4:
		phone = "+12015550166"
	case 5, 6:
		phone = "+535" + strconv.FormatUint(2_000_000+h%8_000_000, 10)
	case 7:
		ip = netip.MustParseAddr("198.51.100.66")
	case 8:
		phone = "+12015550100"
	case 9:
		ip = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, byte(v >> 16), byte(v >> 8), byte(v), 15: 1})
	case 10:
		phone = "+1212" + strconv.FormatUint(k%1000, 10)
	}
	return risk.Request{Phone: phone, IP: ip, UserAgent: "bench"}
}

// memoryWorkload sends up to n requests from callers goroutines, stopping
// at deadline; every 50th allowed request's call is reported placed and
// every 25th released, as the dispatcher would. It returns how many
// requests were sent.
func memoryWorkload(ctx context.Context, e *risk.Engine, n, callers int, deadline time.Time) (int, error) {
	var next, sent atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				k := next.Add(1) - 1
				if k >= int64(n) {
					return
				}
				sent.Add(1)
				d, err := e.Evaluate(ctx, memoryRequest(uint64(k)))
				var ne *risk.NumberError
				switch {
				case errors.As(err, &ne):
					continue
				case err != nil:
					errs <- err
					return
				}
				if d.Action == risk.Allow && k%50 == 11 {
					err = e.RecordPlaced(ctx, risk.PlacedCall{Number: d.Number, Country: d.NumberCountry})
				}
				if d.Action == risk.Allow && k%25 == 12 {
					err = e.Release(ctx, d.Number, d.ID)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return int(sent.Load()), <-errs
}

// keyKind is what a scan found of one kind of hash tag.
type keyKind struct {
	tags  map[string]bool
	keys  int
	bytes int64
}

// keyStats is what a scan of every key found.
type keyStats struct {
	keys, persistent int
	noTTL            []string
	kinds            map[string]*keyKind
}

// scanKeys SCANs every key of rdb, reading each one's PTTL and MEMORY USAGE
// (every element counted) in pipelines of 1,000, and sums them by hash-tag
// kind: "ip" for {ip:…}, "n" for {n:…} and so on.
func scanKeys(ctx context.Context, rdb *redis.Client) (keyStats, error) {
	st := keyStats{kinds: map[string]*keyKind{}}
	var cursor uint64
	for {
		keys, next, err := rdb.Scan(ctx, cursor, "*", 1000).Result()
		if err != nil {
			return st, err
		}
		ttls := make([]*redis.DurationCmd, len(keys))
		mems := make([]*redis.IntCmd, len(keys))
		if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range keys {
				ttls[i], mems[i] = p.PTTL(ctx, k), p.MemoryUsage(ctx, k, 0)
			}
			return nil
		}); err != nil && !errors.Is(err, redis.Nil) {
			return st, err
		}
		for i, k := range keys {
			// PTTL answers -2 for a key gone since the SCAN (it expired),
			// -1 for a key without a TTL.
			if ttls[i].Val() == -2 || mems[i].Err() != nil {
				continue
			}
			st.keys++
			switch {
			case persistentKey(k):
				st.persistent++
				continue
			case ttls[i].Val() == -1:
				st.noTTL = append(st.noTTL, k)
			}
			kind, tag := tagOf(k)
			kk := st.kinds[kind]
			if kk == nil {
				kk = &keyKind{tags: map[string]bool{}}
				st.kinds[kind] = kk
			}
			kk.tags[tag], kk.keys, kk.bytes = true, kk.keys+1, kk.bytes+mems[i].Val()
		}
		if cursor = next; cursor == 0 {
			slices.Sort(st.noTTL)
			return st, nil
		}
	}
}

// scanEveryNode is scanKeys over a standalone server or over every master
// of a cluster, the masters' findings summed.
func scanEveryNode(ctx context.Context, rdb redis.UniversalClient) (keyStats, error) {
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return scanKeys(ctx, rdb.(*redis.Client))
	}
	var mu sync.Mutex
	all := keyStats{kinds: map[string]*keyKind{}}
	err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		st, err := scanKeys(ctx, c)
		mu.Lock()
		defer mu.Unlock()
		all.keys, all.persistent = all.keys+st.keys, all.persistent+st.persistent
		all.noTTL = append(all.noTTL, st.noTTL...)
		for kind, kk := range st.kinds {
			sum := all.kinds[kind]
			if sum == nil {
				sum = &keyKind{tags: map[string]bool{}}
				all.kinds[kind] = sum
			}
			maps.Copy(sum.tags, kk.tags)
			sum.keys, sum.bytes = sum.keys+kk.keys, sum.bytes+kk.bytes
		}
		return err
	})
	slices.Sort(all.noTTL)
	return all, err
}

// tagOf returns the kind of k's hash tag ("ip" of "{ip:10.0.0.1}") and the
// tag itself.
func tagOf(k string) (kind, tag string) {
	i, j := strings.IndexByte(k, '{'), strings.IndexByte(k, '}')
	if i < 0 || j < i {
		return "other", k
	}
	tag = k[i+1 : j]
	kind, _, _ = strings.Cut(tag, ":")
	return kind, tag
}

func usedMemory(tb testing.TB, rdb *redis.Client) int64 {
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		tb.Fatal(err)
	}
	for line := range strings.SplitSeq(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	tb.Fatal("INFO memory has no used_memory")
	return 0
}

// benchSay prints a line of a benchmark's report to standard output, which
// go test passes through whole (b.Log output is cut to ten lines).
func benchSay(format string, args ...any) { fmt.Printf("    "+format+"\n", args...) }
