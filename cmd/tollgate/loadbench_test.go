package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// BenchmarkHTTPLoad measures POST /api/v1/callbacks on the real server (run,
// as main starts it: engine, call queue with the simulator dialer and its
// workers, logging, every middleware) against a real redis-server, beside
// GET /healthz on the same server and a bare echo handler that runs one
// EVALSHA per request on the same Redis. The three are measured in turns,
// round after round, in one process, so their ratios hold on a busy
// machine; then callbacks alone at a fixed rate (open loop) for latency.
//
//	go test ./cmd/tollgate -run '^$' -bench HTTPLoad -benchtime 1x
//
// It runs once whatever b.N, about 3 x BENCH_ROUNDS x BENCH_SECONDS plus
// BENCH_RATE_SECONDS seconds. Environment (defaults in brackets):
// BENCH_CONNS [32] connections of the closed-loop turns, BENCH_ROUNDS [3],
// BENCH_SECONDS [3] per target and round, BENCH_RATE [1000] requests a
// second and BENCH_RATE_SECONDS [10] of the open-loop run, BENCH_RATE_CONNS
// [64] its connection pool, BENCH_TARGETS [timing,healthz,bare-evalsha,
// callbacks,flood] the targets, e.g. callbacks alone under -cpuprofile
// (timing: refused and clean requests one at a time, first, on the idle
// server; "none" runs the open loop alone).
func BenchmarkHTTPLoad(b *testing.B) {
	conns, rounds := envInt(b, "BENCH_CONNS", 32), envInt(b, "BENCH_ROUNDS", 3)
	turn := time.Duration(envInt(b, "BENCH_SECONDS", 3)) * time.Second
	rate, rateFor := envInt(b, "BENCH_RATE", 1000), time.Duration(envInt(b, "BENCH_RATE_SECONDS", 10))*time.Second
	rateConns := envInt(b, "BENCH_RATE_CONNS", 64)

	srv := redistest.NewServer(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	raiseCountryLimits(b, rdb)
	logs := &benchLog{addr: make(chan string, 1)}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, []string{
			"TOLLGATE_ADDR=127.0.0.1:0", "TOLLGATE_LOG_FORMAT=json", "TOLLGATE_REDIS_URL=redis://" + srv.Addr + "/0",
			"TOLLGATE_DEMO_DATA=true", "TOLLGATE_TRUSTED_PROXIES=127.0.0.1",
		}, logs)
	}()
	var addr string
	select {
	case addr = <-logs.addr:
	case err := <-done:
		b.Fatalf("tollgate did not start: %v", err)
	case <-time.After(30 * time.Second):
		b.Fatal("tollgate did not start in 30 s")
	}
	defer func() { cancel(); <-done }()
	bareAddr := startBareEvalSha(b, rdb)

	mix, flood := &callbackMix{}, &floodMix{}
	targets := []struct {
		name string
		addr string
		req  func(int) []byte
	}{
		{"healthz", addr, constRequest("GET /healthz HTTP/1.1\r\nHost: tollgate\r\n\r\n")},
		{"bare-evalsha", bareAddr, constRequest("GET /bare HTTP/1.1\r\nHost: tollgate\r\n\r\n")},
		{"callbacks", addr, mix.request},
		{"flood", addr, flood.request},
	}
	benchSay("machine: %d CPUs, %s, %s; load average before: %s", runtime.NumCPU(), runtime.Version(), redisVersion(rdb), loadAvg())
	if only := os.Getenv("BENCH_TARGETS"); only == "" || slices.Contains(strings.Split(only, ","), "timing") {
		refusalTiming(b, addr)
	}
	results := map[string][]loadResult{}
	for r := range rounds {
		for _, t := range targets {
			if only := os.Getenv("BENCH_TARGETS"); only != "" && !slices.Contains(strings.Split(only, ","), t.name) {
				continue
			}
			tctx, tcancel := context.WithTimeout(ctx, turn)
			if t.name == "callbacks" && r == rounds-1 {
				rdb.ConfigResetStat(ctx)
			}
			cpu0, redis0 := redistest.ProcessCPU(), redistest.ServerCPU(rdb)
			res, err := closedLoop(tctx, t.addr, conns, 10_000_000, t.req)
			tcancel()
			if err != nil {
				b.Fatal(err)
			}
			n := float64(len(res.Lat))
			res.CPU, res.RedisCPU = (redistest.ProcessCPU()-cpu0)/time.Duration(n), (redistest.ServerCPU(rdb)-redis0)/time.Duration(n)
			results[t.name] = append(results[t.name], res)
			benchSay("round %d %-12s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  CPU/req: Go %4.0f µs, redis %4.0f µs  errors %d  statuses %v",
				r+1, t.name, res.RPS(), ms(res.Quantile(0.5)), ms(res.Quantile(0.99)), us(res.CPU), us(res.RedisCPU), res.Errors, res.Statuses)
			if t.name == "callbacks" && r == rounds-1 {
				benchSay("redis commands per callback in that turn (calls, µs inside redis): %s", commandStats(rdb, n))
			}
		}
	}
	var cbHealth, bareHealth, cost, refusedHealth []float64
	for r := range min(len(results["healthz"]), len(results["bare-evalsha"]), len(results["callbacks"])) {
		h, bare, cb := results["healthz"][r].RPS(), results["bare-evalsha"][r].RPS(), results["callbacks"][r].RPS()
		cbHealth, bareHealth, cost = append(cbHealth, cb/h), append(bareHealth, bare/h), append(cost, bare/cb)
	}
	for r := range min(len(results["healthz"]), len(results["flood"])) {
		refusedHealth = append(refusedHealth, results["flood"][r].RPS()/results["healthz"][r].RPS())
	}
	if len(refusedHealth) > 0 {
		benchSay("median of %d rounds: hostile flood (mostly refused) / healthz %.3f", len(refusedHealth), median(refusedHealth))
		b.ReportMetric(median(refusedHealth), "refused/healthz")
	}
	if len(cost) > 0 {
		benchSay("medians of %d rounds at %d connections: callbacks/healthz %.3f, bare/healthz %.3f, callback cost in bare round trips %.2f",
			rounds, conns, median(cbHealth), median(bareHealth), median(cost))
		b.ReportMetric(median(cbHealth), "callbacks/healthz")
		b.ReportMetric(median(bareHealth), "bare/healthz")
		b.ReportMetric(median(cost), "callback-cost/bare")
	}

	open, err := openLoop(ctx, addr, rateConns, rate, rateFor, mix.request)
	if err != nil {
		b.Fatal(err)
	}
	benchSay("open loop %d req/s for %s: sent %d of %d, answered %d, p50 %.2f ms, p99 %.2f ms, max %.2f ms, errors %d, statuses %v",
		rate, rateFor, open.Sent, int(float64(rate)*rateFor.Seconds()), len(open.Lat),
		ms(open.Quantile(0.5)), ms(open.Quantile(0.99)), ms(open.Quantile(1)), open.Errors, open.Statuses)
	b.ReportMetric(ms(open.Quantile(0.99)), "p99-ms@rate")
	benchSay("decisions logged: allow %d, deflect %d, block %d; load average after: %s",
		logs.allow.Load(), logs.deflect.Load(), logs.block.Load(), loadAvg())
}

// refusalTiming times, on the idle server, one request at a time, a clean
// request, one to a deny-listed number and one from a deny-listed address,
// in turns: what an attacker probing from outside measures. The refused
// ones are decided before counting and must not answer faster or slower.
// It reports the median of each refused kind over the clean one's.
func refusalTiming(b *testing.B, addr string) {
	lc, err := dialLoad(addr)
	if err != nil {
		b.Fatal(err)
	}
	defer lc.c.Close()
	kinds := []string{"clean", "deny-listed number", "deny-listed address"}
	lat := make(map[string][]time.Duration)
	for i := range 900 {
		kind := kinds[i%3]
		phone := "+1" + benchAreaCodes[i%len(benchAreaCodes)] + strconv.Itoa(2_000_000+i*7919%8_000_000)
		ip := fmt.Sprintf("10.77.%d.%d", i>>8, i&0xff)
		switch kind {
		case "deny-listed number":
			phone = "+12015550166"
		case "deny-listed address":
			ip = "198.51.100.66"
		}
		start := time.Now()
		if _, err := lc.do(callbackRequest(phone, ip)); err != nil {
			b.Fatal(err)
		}
		lat[kind] = append(lat[kind], time.Since(start))
	}
	q := func(kind string, p float64) float64 {
		ls := slices.Sorted(slices.Values(lat[kind]))
		return ms(ls[int(p*float64(len(ls)-1))])
	}
	for _, k := range kinds {
		benchSay("timing one at a time, %-19s p10 %.2f ms  p50 %.2f ms  p90 %.2f ms", k, q(k, 0.1), q(k, 0.5), q(k, 0.9))
	}
	b.ReportMetric(q(kinds[1], 0.5)/q(kinds[0], 0.5), "denied-number/clean-p50")
	b.ReportMetric(q(kinds[2], 0.5)/q(kinds[0], 0.5), "denied-address/clean-p50")
}

// raiseCountryLimits saves settings whose per-country velocity limits sit
// far above the benchmark's rates: at a thousand requests a second to one
// country the defaults (100 a minute) deflect every request, as they should
// on a small site; an operator taking this traffic raises them.
func raiseCountryLimits(b *testing.B, rdb *redis.Client) {
	e, err := risk.NewEngine(risk.Options{Redis: rdb, DefaultRegion: "US"})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	s := risk.DefaultSettings()
	for i := range s.Velocity.Country {
		s.Velocity.Country[i].Warning, s.Velocity.Country[i].Critical = 50_000_000, 100_000_000
	}
	if err := e.SettingsStore().SaveSettings(context.Background(), s); err != nil {
		b.Fatal(err)
	}
}

// startBareEvalSha serves GET /bare: one trivial EVALSHA on rdb per request
// and a small JSON answer, the least any one-round-trip handler costs.
func startBareEvalSha(b *testing.B, rdb *redis.Client) string {
	script := redis.NewScript(`return redis.call('INCR', KEYS[1])`)
	var n atomic.Int64
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/bare", func(c echo.Context) error {
		k := "bench:{bare}:" + strconv.FormatInt(n.Add(1)%4096, 10)
		if err := script.Run(c.Request().Context(), rdb, []string{k}).Err(); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs := &http.Server{Handler: e, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	b.Cleanup(func() { hs.Close() })
	return ln.Addr().String()
}

// callbackMix builds callback requests as a site under light attack sends
// them: 92% clean (a number and a 10.0.0.0/8 address never seen before, so
// allowed), 3% from a Tor exit on a hosting network, 2% to a deny-listed
// number, 2% to Cuba (blocked by the demo country policy), 1% from a
// deny-listed address. Every request of a process gets a fresh sequence
// number, so clean numbers never repeat and trip no duplicate lock.
type callbackMix struct{ seq atomic.Int64 }

var benchAreaCodes = []string{"212", "646", "917", "415", "312", "617", "713", "305", "206", "404", "202", "303"}

func (m *callbackMix) request(int) []byte {
	k := uint64(m.seq.Add(1))
	h := k * 2654435761 // odd: a bijection modulo any power of two, and not a multiple of 5
	phone := "+1" + benchAreaCodes[k%uint64(len(benchAreaCodes))] + strconv.FormatUint(2_000_000+h%8_000_000, 10)
	v := h % (1 << 24)
	ip := fmt.Sprintf("10.%d.%d.%d", v>>16, v>>8&0xff, v&0xff)
	switch k % 100 {
	case 0, 1, 2:
		ip = "203.0.113." + strconv.FormatUint(k%256, 10)
	case 3, 4:
		phone = "+12015550166"
	case 5, 6:
		phone = "+535" + strconv.FormatUint(2_000_000+h%8_000_000, 10)
	case 7:
		ip = "198.51.100.66"
	}
	return callbackRequest(phone, ip)
}

// floodMix builds a hostile flood: 95% of it refused by what needs no
// counting (40% to Cuba, blocked by the demo country policy; 30% from the
// deny-listed address; 25% from a Tor exit on a hosting network), 5% clean.
// Numbers are fresh, so no request is refused for an outstanding callback.
type floodMix struct{ seq atomic.Int64 }

func (m *floodMix) request(int) []byte {
	k := uint64(m.seq.Add(1))
	h := k * 2654435761
	phone := "+1" + benchAreaCodes[k%uint64(len(benchAreaCodes))] + strconv.FormatUint(2_000_000+h%8_000_000, 10)
	v := h % (1 << 24)
	ip := fmt.Sprintf("10.%d.%d.%d", v>>16, v>>8&0xff, v&0xff)
	switch k % 20 {
	case 0, 1, 2, 3, 4, 5, 6, 7:
		phone = "+535" + strconv.FormatUint(2_000_000+h%8_000_000, 10)
	case 8, 9, 10, 11, 12, 13:
		ip = "198.51.100.66"
	case 14, 15, 16, 17, 18:
		ip = "203.0.113." + strconv.FormatUint(k%256, 10)
	}
	return callbackRequest(phone, ip)
}

// callbackRequest is a POST /api/v1/callbacks for phone from ip, through
// the trusted proxy.
func callbackRequest(phone, ip string) []byte {
	body := `{"phone":"` + phone + `","name":"Ann"}`
	return []byte("POST /api/v1/callbacks HTTP/1.1\r\nHost: tollgate\r\nContent-Type: application/json\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) tollgate-bench\r\nX-Forwarded-For: " + ip +
		"\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}

func constRequest(s string) func(int) []byte {
	b := []byte(s)
	return func(int) []byte { return b }
}

// benchLog is the server's standard output: it finds the listening address
// and counts decisions by action.
type benchLog struct {
	addr                  chan string
	found                 atomic.Bool
	allow, deflect, block atomic.Int64
}

func (l *benchLog) Write(p []byte) (int, error) {
	switch {
	case bytes.Contains(p, []byte(`"msg":"decision"`)):
		switch {
		case bytes.Contains(p, []byte(`"action":"allow"`)):
			l.allow.Add(1)
		case bytes.Contains(p, []byte(`"action":"deflect"`)):
			l.deflect.Add(1)
		case bytes.Contains(p, []byte(`"action":"block"`)):
			l.block.Add(1)
		}
	case !l.found.Load() && bytes.Contains(p, []byte(`"msg":"listening"`)):
		var line struct{ Addr string }
		if json.Unmarshal(p, &line) == nil && l.found.CompareAndSwap(false, true) {
			l.addr <- line.Addr
		}
	}
	return len(p), nil
}

func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// commandStats lists the commands redis-server ran since its last
// CONFIG RESETSTAT, busiest first, as calls and microseconds per request.
func commandStats(rdb *redis.Client, requests float64) string {
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		return err.Error()
	}
	type stat struct {
		name         string
		calls, usecs float64
	}
	var stats []stat
	var calls, usecs float64
	for line := range strings.SplitSeq(info, "\r\n") {
		name, rest, ok := strings.Cut(strings.TrimPrefix(line, "cmdstat_"), ":")
		if !ok || !strings.HasPrefix(line, "cmdstat_") {
			continue
		}
		st := stat{name: name}
		for kv := range strings.SplitSeq(rest, ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "calls":
				st.calls, _ = strconv.ParseFloat(v, 64)
			case "usec":
				st.usecs, _ = strconv.ParseFloat(v, 64)
			}
		}
		calls, usecs = calls+st.calls, usecs+st.usecs
		stats = append(stats, st)
	}
	slices.SortFunc(stats, func(a, b stat) int { return int(b.usecs - a.usecs) })
	out := fmt.Sprintf("all %.1f, %.1f µs", calls/requests, usecs/requests)
	for _, st := range stats[:min(12, len(stats))] {
		out += fmt.Sprintf("; %s %.2f, %.1f µs", st.name, st.calls/requests, st.usecs/requests)
	}
	return out
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

func redisVersion(rdb *redis.Client) string {
	info, err := rdb.Info(context.Background(), "server").Result()
	if err != nil {
		return "redis-server unknown"
	}
	for line := range strings.SplitSeq(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "redis_version:"); ok {
			return "redis-server " + v
		}
	}
	return "redis-server unknown"
}

// benchSay prints a line of a benchmark's report to standard output, which
// go test passes through whole (b.Log output is cut to ten lines).
func benchSay(format string, args ...any) { fmt.Printf("    "+format+"\n", args...) }
