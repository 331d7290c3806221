package risk_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// benchCallers are the concurrency levels cmd/tollgate/benchmarks.md reports.
var benchCallers = []int{1, 16, 64}

// BenchmarkEvaluate measures whole decisions on a real Redis, beside
// BenchmarkBareEvalSha, the cost of one EVALSHA round trip on the same
// Redis, which bounds what any design with one round trip can reach.
//
//	go test ./risk -run '^$' -bench 'Evaluate|BareEvalSha' -benchtime 20000x
//
// BENCH_LARGE_LISTS=1 fills the deny lists of numbers, prefixes and
// networks with 100,000 entries each first; BENCH_REDIS=host:port uses a
// running Redis instead of starting one.
//
// The refused sub-benchmarks decide only requests the lists refuse before
// counting: a deny-listed network asking for fresh numbers.
func BenchmarkEvaluate(b *testing.B) {
	rdb := benchRedis(b)
	e := benchEngine(b, rdb, nil)
	ctx := context.Background()
	if os.Getenv("BENCH_LARGE_LISTS") != "" {
		fillLists(b, e, 100_000)
	}
	if _, err := e.ListStore().AddEntry(ctx, risk.DenyIP, risk.Entry{Value: "10.66.0.0/16"}); err != nil {
		b.Fatal(err)
	}
	go e.Watch(b.Context(), 2*time.Second)
	phones, ips := benchInputs(4096)
	for _, callers := range benchCallers {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			runCallers(b, rdb, callers, func(i int) error {
				_, err := e.Evaluate(ctx, risk.Request{Phone: phones[i%len(phones)], IP: ips[(i*7)%len(ips)], UserAgent: "bench"})
				return err
			})
		})
	}
	for _, callers := range benchCallers[1:] {
		b.Run(fmt.Sprintf("refused/callers=%d", callers), func(b *testing.B) {
			runCallers(b, rdb, callers, func(i int) error {
				ip := netip.AddrFrom4([4]byte{10, 66, byte(i >> 8), byte(i)})
				d, err := e.Evaluate(ctx, risk.Request{Phone: phones[i%len(phones)], IP: ip, UserAgent: "bench"})
				if err == nil && d.Action != risk.Block {
					err = fmt.Errorf("got %s, want block (reasons %v)", d.Action, d.Codes())
				}
				return err
			})
		})
	}
}

// BenchmarkBareEvalSha is the limit: one trivial script call per request.
func BenchmarkBareEvalSha(b *testing.B) {
	rdb := benchRedis(b)
	script := redis.NewScript(`return redis.call('INCR', KEYS[1])`)
	ctx := context.Background()
	for _, callers := range benchCallers {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			runCallers(b, rdb, callers, func(i int) error {
				return script.Run(ctx, rdb, []string{fmt.Sprintf("bench:%d", i%4096)}).Err()
			})
		})
	}
}

func benchRedis(b *testing.B) *redis.Client {
	addr := os.Getenv("BENCH_REDIS")
	if addr == "" {
		addr = redistest.NewServer(b).Addr
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 128})
	b.Cleanup(func() { rdb.Close() })
	return rdb
}

// runCallers spreads b.N calls over callers goroutines and reports
// throughput and the CPU time per call of this process (callers and
// go-redis, by getrusage) and of redis-server (INFO cpu), which hold up
// better than throughput on a busy machine.
func runCallers(b *testing.B, rdb *redis.Client, callers int, call func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	cpu0, redis0, cmds0 := redistest.ProcessCPU(), redistest.ServerCPU(rdb), redistest.ServerCommands(rdb)
	b.ResetTimer()
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				if err := call(i); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64((redistest.ProcessCPU()-cpu0).Microseconds())/float64(b.N), "go-cpu-µs/op")
	b.ReportMetric(float64((redistest.ServerCPU(rdb)-redis0).Microseconds())/float64(b.N), "redis-cpu-µs/op")
	b.ReportMetric(float64(redistest.ServerCommands(rdb)-cmds0)/float64(b.N), "redis-cmds/op")
}

// benchInputs returns valid numbers across a few countries and client
// addresses across the demo networks and unknown space.
func benchInputs(n int) ([]string, []netip.Addr) {
	r := rand.New(rand.NewPCG(1, 2))
	var phones []string
	for len(phones) < n {
		var s string
		switch r.IntN(3) {
		case 0:
			s = fmt.Sprintf("+1212%07d", 2000000+r.IntN(7999999))
		case 1:
			s = fmt.Sprintf("+447400%06d", r.IntN(999999))
		default:
			s = fmt.Sprintf("+4930%08d", r.IntN(99999999))
		}
		if num, err := phonenumbers.Parse(s, "US"); err == nil && phonenumbers.IsValidNumber(num) {
			phones = append(phones, s)
		}
	}
	ips := make([]netip.Addr, n)
	for i := range ips {
		switch i % 3 {
		case 0:
			ips[i] = netip.AddrFrom4([4]byte{192, 0, 2, byte(r.IntN(256))})
		case 1:
			ips[i] = netip.AddrFrom4([4]byte{198, 51, 100, byte(r.IntN(256))})
		default:
			ips[i] = netip.AddrFrom4([4]byte{10, byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
		}
	}
	return phones, ips
}
