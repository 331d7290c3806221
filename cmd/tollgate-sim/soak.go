package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk/redistest"
)

// maxSoak bounds -soak.
const maxSoak = 2 * time.Hour

// soakSenders is how many requests a soak has in flight at most.
const soakSenders = 16

// soakOptions are the flags of the soak mode.
type soakOptions struct {
	// duration is how long traffic is sent; zero means no soak.
	duration time.Duration
	// every is the time between samples.
	every  time.Duration
	limits soakLimits
}

// errSoakFailed is returned when the verdict finds problems.
var errSoakFailed = errors.New("soak failed")

// soakFlags adds the soak's flags to fs.
func soakFlags(fs *flag.FlagSet, o *soakOptions) {
	fs.DurationVar(&o.duration, "soak", 0, "soak mode: send mixed legit and attack traffic at -rate requests a second in all for this long (at most 2h) against one Tollgate and a real redis-server, sampling memory; see -sample, -warmup, -tolerance")
	fs.DurationVar(&o.every, "sample", 20*time.Second, "soak: time between samples, 1s to 5m")
	fs.DurationVar(&o.limits.warmup, "warmup", 0, "soak: time left out of the verdict at the start (default a fifth of -soak)")
	fs.Float64Var(&o.limits.tolerance, "tolerance", 0.25, "soak: relative growth allowed from the first third of the samples to the last, 0 to 2")
}

// validate checks the soak's flags and fills in the warm-up.
func (o *soakOptions) validate() error {
	switch {
	case o.duration < 0 || o.duration > maxSoak:
		return fmt.Errorf("-soak must be above 0 and at most %s", maxSoak)
	case o.every < time.Second || o.every > 5*time.Minute:
		return errors.New("-sample must be 1s to 5m")
	case o.limits.tolerance < 0 || o.limits.tolerance > 2:
		return errors.New("-tolerance must be 0 to 2")
	case o.limits.warmup < 0 || o.limits.warmup >= o.duration:
		return errors.New("-warmup must be at least 0 and shorter than -soak")
	}
	if o.limits.warmup == 0 {
		o.limits.warmup = o.duration / 5
	}
	return nil
}

// runSoak starts a redis-server (unless -redis-url names one) and a
// Tollgate, sends traffic for the soak's duration while sampling, and
// prints the samples and the verdict.
func runSoak(ctx context.Context, c config, stdout, stderr io.Writer) error {
	if err := c.soak.validate(); err != nil {
		return err
	}
	dir, log, cleanup, err := prepare(ctx, &c, "tollgate-soak-")
	if err != nil {
		return err
	}
	defer cleanup()
	redisURL := c.redisURL
	if redisURL == "" {
		srv, err := redistest.StartServer()
		if err != nil {
			return fmt.Errorf("starting redis-server: %w", err)
		}
		defer srv.Close()
		redisURL = "redis://" + srv.Addr + "/0"
	}
	ropts, err := redis.ParseURL(redisURL)
	if err != nil {
		return fmt.Errorf("-redis-url: the soak samples one standalone Redis: %w", err)
	}
	rdb := redis.NewClient(ropts)
	defer rdb.Close()
	metricsPort, err := freePort()
	if err != nil {
		return err
	}
	// The simulated dialer holds a worker 2 s a call: enough workers that
	// allowed calls do not queue at this rate. Tollgate widens its Redis
	// pool by one connection per worker itself.
	workers := min(max(32, int(c.rate*3)), 256)
	t, err := startTollgate(ctx, serverOptions{binary: c.server, geoDir: dir, redisURL: redisURL, log: log, env: []string{
		fmt.Sprintf("TOLLGATE_METRICS_ADDR=127.0.0.1:%d", metricsPort),
		fmt.Sprintf("TOLLGATE_DIAL_WORKERS=%d", workers),
	}})
	if err != nil {
		return err
	}
	defer t.stop()
	if err := checkLoopback(t.base); err != nil {
		return err
	}
	if err := t.raiseCountryLimits(ctx); err != nil {
		return err
	}
	sp := &soakProbe{rdb: rdb, metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort)}
	samples, before, after, err := t.soak(ctx, c, sp, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Soak: %s at %g requests/s (mixed callbacks and IVR calls), warm-up %s, tolerance %.0f%%\n\n",
		c.soak.duration, c.rate, c.soak.limits.warmup, c.soak.limits.tolerance*100)
	writeSoakTable(stdout, samples)
	if n := len(samples); n > 1 {
		s := samples[n-1]
		fmt.Fprintf(stdout, "\nSent %d requests (%.1f/s), %d errors, %d dropped by the schedule. Redis grew %.0f bytes a request after the warm-up.\n",
			s.sent, float64(s.sent)/s.at.Seconds(), s.errors, s.behind, perRequest(afterWarmup(samples, c.soak.limits.warmup)))
	}
	writePersistentKeys(stdout, after)
	problems := soakVerdict(samples, before, after, c.soak.limits)
	if len(problems) == 0 {
		fmt.Fprintln(stdout, "\nVerdict: FLAT: live heap, goroutines and the call queue flat; Redis growth steady, every growing key expires or is a capped stream; no errors.")
		return nil
	}
	fmt.Fprintln(stdout, "\nVerdict: NOT FLAT:")
	for _, p := range problems {
		fmt.Fprintln(stdout, "- "+p)
	}
	return errSoakFailed
}

func afterWarmup(samples []soakSample, warmup time.Duration) []soakSample {
	for i, s := range samples {
		if s.at >= warmup {
			return samples[i:]
		}
	}
	return samples[len(samples)-1:]
}

// raiseCountryLimits multiplies the per-country velocity limits by 1000:
// at a soak's rates every visitor asks for a number in the same two
// countries, and the defaults (100 a minute) would deflect nearly all of
// them, leaving the call queue and the dialer idle.
func (t *tollgate) raiseCountryLimits(ctx context.Context) error {
	var s map[string]any
	if status, err := t.api(ctx, http.MethodGet, "/api/v1/admin/settings", t.token, nil, nil, &s); err != nil || status != http.StatusOK {
		return fmt.Errorf("reading settings: status %d: %v", status, err)
	}
	v, _ := s["velocity"].(map[string]any)
	limits, _ := v["country"].([]any)
	if len(limits) == 0 {
		return errors.New("settings carry no velocity.country limits")
	}
	for _, l := range limits {
		m, _ := l.(map[string]any)
		for _, k := range []string{"warning", "critical"} {
			n, _ := m[k].(float64)
			m[k] = int(n) * 1000
		}
	}
	if status, err := t.api(ctx, http.MethodPut, "/api/v1/admin/settings", t.token, nil, s, nil); err != nil || status != http.StatusOK {
		return fmt.Errorf("saving settings: status %d: %v", status, err)
	}
	// Every instance reloads the settings within two seconds.
	time.Sleep(2500 * time.Millisecond)
	return nil
}

// soakTraffic hands out an endless stream of requests: blocks of the mixed
// scenario's callbacks with one IVR call in five, each block drawn from its
// own seed, in the order drawn (the soak keeps its own schedule).
type soakTraffic struct {
	seed  uint64
	block int
	queue []request
}

func (s *soakTraffic) next() request {
	if len(s.queue) == 0 {
		mixed, _ := findScenarios("mixed", eval)
		ivr, _ := findScenarios("ivr-bots", eval)
		calls := flatten(draws(mixed[0], s.seed+uint64(s.block)*2, 800))
		screens := flatten(draws(ivr[0], s.seed+uint64(s.block)*2+1, 200))
		for i, r := range calls {
			s.queue = append(s.queue, r)
			if i%4 == 3 {
				s.queue = append(s.queue, screens[i/4])
			}
		}
		s.block++
	}
	r := s.queue[0]
	s.queue = s.queue[1:]
	return r
}

// soakCounts are the request counters the senders share.
type soakCounts struct {
	sent, errors, behind atomic.Int64
	mu                   sync.Mutex
	firstErrors          []string
}

func (c *soakCounts) fail(err error) {
	c.errors.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.firstErrors) < 5 {
		c.firstErrors = append(c.firstErrors, err.Error())
	}
}

// soak sends the traffic on a fixed schedule and samples every c.soak.every;
// it returns the samples and the keys without an expiry at the end of the
// warm-up and at the end.
func (t *tollgate) soak(ctx context.Context, c config, sp *soakProbe, stderr io.Writer) (samples []soakSample, before, after []persistentKey, err error) {
	var counts soakCounts
	jobs := make(chan request, soakSenders)
	var wg sync.WaitGroup
	for w := range soakSenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(c.seed, uint64(w)))
			n := 0
			for req := range jobs {
				n++
				if err := t.soakSend(ctx, req, fmt.Sprintf("soak-%d-%d", w, n), r); err != nil {
					counts.fail(err)
				}
				counts.sent.Add(1)
			}
		}()
	}
	start := time.Now()
	end := start.Add(c.soak.duration)
	interval := time.Duration(float64(time.Second) / c.rate)
	nextSample := start.Add(c.soak.every)
	take := func() error {
		s, err := sp.sample(ctx)
		if err != nil {
			return err
		}
		s.at, s.sent, s.errors, s.behind = time.Since(start), counts.sent.Load(), counts.errors.Load(), counts.behind.Load()
		samples = append(samples, s)
		fmt.Fprintf(stderr, "tollgate-sim: soak %s: %d sent, %d errors, live heap %.1f MB, %0.f goroutines, Redis %.1f MB\n",
			s.at.Round(time.Second), s.sent, s.errors, s.liveHeap/(1<<20), s.goroutines, float64(s.redisUsed)/(1<<20))
		if before == nil && s.at >= c.soak.limits.warmup {
			before, err = sp.persistentKeys(ctx)
		}
		return err
	}
	var once sync.Once
	stopSenders := func() {
		once.Do(func() { close(jobs) })
		wg.Wait()
	}
	defer stopSenders()
	traffic := &soakTraffic{seed: c.seed}
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if !due.Before(end) {
			break
		}
		if time.Now().After(nextSample) {
			if err := take(); err != nil {
				return nil, nil, nil, err
			}
			nextSample = nextSample.Add(c.soak.every)
		}
		select {
		case <-ctx.Done():
			return nil, nil, nil, ctx.Err()
		case <-time.After(time.Until(due)):
		}
		select {
		case jobs <- traffic.next():
		default:
			counts.behind.Add(1)
		}
	}
	stopSenders()
	if err := take(); err != nil {
		return nil, nil, nil, err
	}
	if after, err = sp.persistentKeys(ctx); err != nil {
		return nil, nil, nil, err
	}
	for _, e := range counts.firstErrors {
		fmt.Fprintln(stderr, "tollgate-sim: soak error:", e)
	}
	return samples, before, after, nil
}

// soakSend sends one request and reports an error for anything but the
// expected answers: 202 or 200 for a callback, 422 for a mistyped number,
// a verdict and verifications for an IVR call.
func (t *tollgate) soakSend(ctx context.Context, req request, contact string, r *rand.Rand) error {
	if req.kind == ivrCall {
		_, err := t.ivrCall(ctx, req, contact, r)
		return err
	}
	status, _, err := t.callback(ctx, req)
	switch {
	case err != nil:
		return err
	case status == http.StatusAccepted || status == http.StatusOK:
		return nil
	case status == http.StatusUnprocessableEntity && req.typo:
		return nil
	}
	return fmt.Errorf("callback %s from %s: unexpected status %d", req.phone, req.ip, status)
}
