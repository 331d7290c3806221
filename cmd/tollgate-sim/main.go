// Command tollgate-sim is Tollgate's attack simulator. It builds GeoIP
// test databases, starts a Tollgate on a loopback port with them, drives
// named traffic mixes (legit visitors and attacks, each request labelled)
// through the public callback API and the IVR challenge API at a bounded
// rate, reads every outcome back from the admin API and prints a Markdown
// table. tollgate-sim -h lists its flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tollgate-sim:", err)
		os.Exit(1)
	}
}

// config is what the flags ask for.
type config struct {
	scenarios []scenario
	variant   variant
	list      bool
	requests  int
	rate      float64
	duration  time.Duration
	seed      uint64
	baseline  bool
	compare   bool
	server    string
	redisURL  string
	parallel  int
	costs     map[string]int64
	serverLog string
	// soak, when its duration is set, runs the soak instead of scenarios.
	soak soakOptions
	// why receives the reasons of every legit request refused and every
	// attack call placed.
	why io.Writer
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("tollgate-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := config{why: &syncWriter{w: stderr}}
	list := fs.String("scenarios", "all", "comma-separated scenarios, or all; a name without /paced or /flood runs both paces: "+scenarioNames())
	variants := fs.String("variants", string(eval), "parameter set of the scenarios run at two paces: tune (for choosing defaults, with seeds 1 to 9) or eval (for reporting, with seeds from 101)")
	fs.BoolVar(&c.list, "list", false, "list the scenarios with what each sends under -variants, as Markdown table rows, and exit")
	fs.IntVar(&c.requests, "requests", 200, "requests per scenario, 1 to 100000")
	fs.Float64Var(&c.rate, "rate", 4, fmt.Sprintf("mean requests a second per scenario, at most %d; legit visitors follow a daily curve from a fifth to twice their mean, bursts go at their own rate (at most the same)", maxRate))
	fs.DurationVar(&c.duration, "duration", 5*time.Minute, "longest time one scenario sends for")
	fs.Uint64Var(&c.seed, "seed", firstEvalSeed, fmt.Sprintf("seed of the traffic; the same seed sends the same requests (1 to %d for tuning, %d and up for evaluation)", lastTuneSeed, firstEvalSeed))
	fs.BoolVar(&c.baseline, "baseline", false, "run with only the minimal controls (deny lists, one outstanding callback per number, country policy)")
	fs.BoolVar(&c.compare, "compare", false, "run every scenario with the defaults and with the baseline")
	fs.StringVar(&c.server, "server", "", "tollgate binary to start (default: go build ./cmd/tollgate of this module)")
	fs.StringVar(&c.redisURL, "redis-url", "", "TOLLGATE_REDIS_URL for the servers (default: a fresh embedded store per run; a shared Redis keeps counters across runs)")
	fs.IntVar(&c.parallel, "parallel", 2, "runs at once, each with its own server")
	table := fs.String("costs", "", "cost per call by destination country in minor units, e.g. LV=150,SO=200; saved into the settings' spend costs")
	fs.StringVar(&c.serverLog, "server-log", "", "file for the servers' logs (default: discarded)")
	soakFlags(fs, &c.soak)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var err error
	if c.variant, err = parseVariant(*variants); err != nil {
		return c, err
	}
	if c.scenarios, err = findScenarios(*list, c.variant); err != nil {
		return c, err
	}
	if c.costs, err = parseCosts(*table); err != nil {
		return c, err
	}
	switch {
	case c.requests < 1 || c.requests > 100_000:
		return c, errors.New("-requests must be 1 to 100000")
	case c.rate <= 0 || c.rate > maxRate:
		return c, fmt.Errorf("-rate must be above 0 and at most %d", maxRate)
	case c.duration <= 0 || c.duration > time.Hour:
		return c, errors.New("-duration must be above 0 and at most 1h")
	case c.parallel < 1 || c.parallel > 8:
		return c, errors.New("-parallel must be 1 to 8")
	}
	return c, nil
}

// job is one scenario run under one set of controls.
type job struct {
	s        scenario
	baseline bool
}

// prepare makes what every run needs: a temporary directory named from
// prefix holding the GeoIP databases, the Tollgate binary (built there
// unless -server named one; c.server is set to it) and the writer of the
// server's log (-server-log, or nowhere). cleanup removes and closes them.
func prepare(ctx context.Context, c *config, prefix string) (dir string, log io.Writer, cleanup func(), err error) {
	if dir, err = os.MkdirTemp("", prefix); err != nil {
		return "", nil, nil, err
	}
	closers := []func(){func() { os.RemoveAll(dir) }}
	cleanup = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	fail := func(err error) (string, io.Writer, func(), error) {
		cleanup()
		return "", nil, nil, err
	}
	if _, err := writeGeoIP(dir); err != nil {
		return fail(err)
	}
	if c.server == "" {
		if c.server, err = buildTollgate(ctx, dir); err != nil {
			return fail(err)
		}
	}
	log = io.Discard
	if c.serverLog != "" {
		f, err := os.Create(c.serverLog)
		if err != nil {
			return fail(err)
		}
		closers = append(closers, func() { f.Close() })
		log = &syncWriter{w: f}
	}
	return dir, log, cleanup, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if c.soak.duration != 0 {
		return runSoak(ctx, c, stdout, stderr)
	}
	if c.list {
		writeScenarioList(stdout, c.variant)
		return nil
	}
	if note := seedNote(c.variant, c.seed); note != "" {
		fmt.Fprintf(stderr, "tollgate-sim: note: %s; -variants %s\n", note, c.variant)
	}
	dir, log, cleanup, err := prepare(ctx, &c, "tollgate-sim-")
	if err != nil {
		return err
	}
	defer cleanup()
	var jobs []job
	for _, s := range c.scenarios {
		if !c.baseline || c.compare {
			jobs = append(jobs, job{s, false})
		}
		if c.baseline || c.compare {
			jobs = append(jobs, job{s, true})
		}
	}
	results := make([]tally, len(jobs))
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, c.parallel)
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			start := time.Now()
			results[i], errs[i] = runJob(ctx, c, j, serverOptions{binary: c.server, geoDir: dir, redisURL: c.redisURL, log: log})
			fmt.Fprintf(stderr, "tollgate-sim: %s (baseline %v) done in %s\n", j.s.name, j.baseline, time.Since(start).Round(time.Second))
		}()
	}
	wg.Wait()
	var done []tally
	for i, err := range errs {
		if err == nil {
			done = append(done, results[i])
		}
	}
	if len(done) > 0 {
		fmt.Fprintf(stdout, "Variants %s, seed %d, %d requests a scenario at %g a second.\n\n", c.variant, c.seed, c.requests, c.rate)
		writeTable(stdout, done)
		writeMeasures(stdout, done)
	}
	return errors.Join(errs...)
}

// runJob starts a server, sends one scenario's traffic and counts the outcomes.
func runJob(ctx context.Context, c config, j job, o serverOptions) (tally, error) {
	t, outs, table, err := simulate(ctx, c, j, o)
	if err != nil {
		return tally{}, err
	}
	defer t.stop()
	for _, o := range outs {
		switch {
		case !o.req.attack && (o.action == "block" || o.action == "deflect"):
			fmt.Fprintf(c.why, "%s (baseline %v): legit %s %s %s: %s\n", j.s.name, j.baseline, o.action, o.req.ip, o.req.phone, strings.Join(o.reasons, " "))
		case o.req.attack && o.placed:
			fmt.Fprintf(c.why, "%s (baseline %v): attack placed %s %s: %s\n", j.s.name, j.baseline, o.req.ip, o.req.phone, strings.Join(o.reasons, " "))
		}
	}
	tl := count(j.s.name, j.baseline, outs, table)
	if j.s.measure != nil {
		tl.measure = j.s.measure(outs, table)
	}
	return tl, nil
}

// simulate starts a server, sends one scenario's traffic and reads its
// outcomes; the caller stops the server.
func simulate(ctx context.Context, c config, j job, o serverOptions) (*tollgate, []outcome, costs, error) {
	phase := time.Now()
	t, err := startTollgate(ctx, o)
	if err != nil {
		return nil, nil, costs{}, fmt.Errorf("%s: %w", j.s.name, err)
	}
	fail := func(err error) (*tollgate, []outcome, costs, error) {
		t.stop()
		return nil, nil, costs{}, fmt.Errorf("%s: %w", j.s.name, err)
	}
	if err := checkLoopback(t.base); err != nil {
		return fail(err)
	}
	s := j.s
	table, facts, err := t.prepare(ctx, j.baseline, c.costs, s.settings)
	if err != nil {
		return fail(err)
	}
	if s.bind != nil {
		if s.start, err = s.bind(facts); err != nil {
			return fail(err)
		}
	}
	seed := scenarioSeed(c.seed, s.family)
	reqs := traffic(s, seed, c.requests, c.rate)
	if listed := listedNumbers(reqs); len(listed) > 0 {
		if err := t.addDenyNumbers(ctx, listed); err != nil {
			return fail(err)
		}
	}
	tStart := time.Since(phase)
	phase = time.Now()
	sents, err := drive(ctx, t, reqs, time.Now().Add(c.duration), seed)
	if err != nil {
		return fail(err)
	}
	tDrive := time.Since(phase)
	if rates := burstRates(sents); len(rates) > 0 {
		fmt.Fprintf(c.why, "tollgate-sim: %s (baseline %v): bursts asked at %g a second went at %s\n", s.name, j.baseline, s.burstRate, formatRates(rates))
	}
	phase = time.Now()
	outs, err := t.outcomes(ctx, sents, 60*time.Second)
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(c.why, "tollgate-sim: %s (baseline %v): server ready in %s, traffic sent in %s, outcomes read in %s\n",
		j.s.name, j.baseline, tStart.Round(time.Millisecond), tDrive.Round(time.Millisecond), time.Since(phase).Round(time.Millisecond))
	return t, outs, table, nil
}

// scenarioSeed derives a scenario's seed from the run's, so each scenario
// sends the same traffic whatever else runs.
func scenarioSeed(seed uint64, name string) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", seed, name)
	return h.Sum64()
}

// syncWriter serialises writes of several servers' logs.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
