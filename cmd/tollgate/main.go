// Command tollgate runs the Tollgate service: the callback form and API, the
// risk engine and the call dispatcher. It is configured by TOLLGATE_*
// environment variables; tollgate -h lists them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/handlers"
	"github.com/tollgate/tollgate/handlers/audit"
	"github.com/tollgate/tollgate/handlers/auth"
	"github.com/tollgate/tollgate/handlers/metrics"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/geo"
	"github.com/tollgate/tollgate/risk/mask"
	"github.com/tollgate/tollgate/risk/spike"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && subcommands[os.Args[1]] != nil {
		err = subcommands[os.Args[1]](ctx, os.Args[2:], os.Environ(), os.Stdin, os.Stdout)
	} else {
		err = run(ctx, os.Args[1:], os.Environ(), os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tollgate:", err)
		os.Exit(1)
	}
}

// subcommands are the commands "tollgate NAME ..." runs instead of the
// service, by NAME.
var subcommands = map[string]func(ctx context.Context, args, environ []string, stdin io.Reader, stdout io.Writer) error{
	"admin": runAdmin,
	"lists": func(ctx context.Context, args, environ []string, _ io.Reader, stdout io.Writer) error {
		return runLists(ctx, args, environ, stdout)
	},
	"healthcheck": func(ctx context.Context, args, environ []string, _ io.Reader, stdout io.Writer) error {
		return runHealthcheck(ctx, args, environ, stdout)
	},
}

// run starts Tollgate and serves until ctx ends.
func run(ctx context.Context, args, environ []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tollgate", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: tollgate\n       tollgate admin create-user|unlock ...\n       tollgate lists import|export ...\n       tollgate healthcheck [-ready] [-url URL]\n\nTollgate is configured by environment variables:\n\n%s", ConfigHelp())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	cfg, err := LoadConfigEnviron(environ)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log := newLogger(cfg, stdout)
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
	log.Info("callback API access", "mode", string(cfg.API.Access), "keys", cfg.API.keyNames())

	rdb, closeStore, err := openStore(cfg, log)
	if err != nil {
		return err
	}
	defer closeStore()
	m := metrics.New()
	rdb.AddHook(m.RedisHook())

	gdb, err := openGeoIP(cfg)
	if err != nil {
		return err
	}
	defer gdb.Close()
	for src, why := range gdb.Disabled() {
		log.Warn("GeoIP "+string(src)+" signals disabled", "reason", why, "fix", "set TOLLGATE_GEOIP_"+geoVar[src]+"_DB to a MaxMind database")
	}

	settings := risk.DefaultSettings()
	settings.Deflect = risk.Channels{ChatURL: cfg.DeflectChatURL, Phone: cfg.DeflectPhone, Hours: cfg.DeflectHours}
	settings.Dispatch = risk.Dispatch{RatePerMinute: cfg.Dial.RatePerMinute, CountryRatePerMinute: cfg.Dial.CountryRatePerMinute}
	engine, err := risk.NewEngine(risk.Options{
		Redis: rdb, GeoIP: gdb, DefaultRegion: cfg.DefaultRegion,
		DuplicateTTL: cfg.DuplicateTTL, Logger: log, Settings: &settings,
	})
	if err != nil {
		return err
	}
	defer engine.Close()
	startCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := engine.Ping(startCtx); err != nil {
		return fmt.Errorf("redis does not answer: %w; check TOLLGATE_REDIS_URL", err)
	}
	if err := engine.LoadSettings(startCtx); err != nil {
		return err
	}
	if rebuilt, err := engine.EnsureListIndex(startCtx); err != nil {
		return err
	} else if len(rebuilt) > 0 {
		log.Info("list indexes rebuilt", "lists", rebuilt)
	}
	if cfg.DemoData {
		if err := loadDemoData(startCtx, engine); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		log.Info("demo data loaded: GeoIP networks " + demoNetworkSummary() + "; a few deny-list entries")
	}
	go engine.Watch(ctx, 2*time.Second)

	dialer, err := newDialer(cfg.Dial, log)
	if err != nil {
		return err
	}
	closeJournal, err := configureSimulator(dialer, cfg, log)
	if err != nil {
		return err
	}
	defer closeJournal()
	queue, err := contactflows.NewQueue(contactflows.QueueOptions{
		Redis: rdb, Dialer: m.Dialer(cfg.Dial.Dialer, dialer), Release: engine.Release, Placed: engine.RecordPlaced, Budget: engine, Logger: log, Spikes: engine.SpikeSettings,
		Workers: cfg.Dial.Workers, Rates: engine.DispatchRates, MaxAttempts: cfg.Dial.MaxAttempts,
		DecisionRetention: cfg.DecisionRetention,
		DialTimeout:       cfg.Faults.DialTimeout, ClaimIdle: cfg.Faults.ClaimIdle,
	})
	if err != nil {
		return err
	}
	if err := m.Register(metrics.NewStore(queue, engine)); err != nil {
		return err
	}
	// The dispatcher outlives the signal: it stops taking calls only after
	// the server stopped, and lets dials in progress finish.
	dispatchCtx, stopDispatch := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDispatch()
	dispatched := make(chan error, 1)
	go func() { dispatched <- queue.Run(dispatchCtx) }()

	challenges, err := contactflows.NewChallenges(contactflows.ChallengeOptions{
		Redis: rdb, CodeLength: cfg.IVR.CodeLength, TTL: cfg.IVR.CodeTTL, MaxAttempts: cfg.IVR.Attempts, Logger: log,
	})
	if err != nil {
		return err
	}
	faults, err := newFaults(cfg, m)
	if err != nil {
		return err
	}
	users, trail := auth.NewStore(rdb, auth.Throttle{}), audit.NewLog(rdb)
	if err := ensureAdmin(startCtx, users, trail, cfg, log); err != nil {
		return fmt.Errorf("admin user: %w", err)
	}
	alerts := spike.NewStore(rdb, engine)
	webhooks := spike.NewWebhooks(spike.WebhookOptions{URLs: cfg.AlertWebhooks, Logger: log})
	go webhooks.Run(ctx)
	detector, err := spike.NewDetector(spike.DetectorOptions{
		Redis: rdb, Store: alerts, Settings: engine.SpikeSettings, Audit: trail, Notify: webhooks, Logger: log,
	})
	if err != nil {
		return err
	}
	go detector.Run(ctx)
	e := handlers.NewServer(handlers.Deps{
		Engine: m.Engine(engine), Channels: handlers.EngineChannels(engine), Calls: queue, Ready: engine.Ping, Logger: log,
		TrustedProxies:          cfg.TrustedProxies,
		VisitorSecret:           []byte(cfg.API.VisitorTokenSecret),
		CORSOrigins:             cfg.API.CORSOrigins,
		API:                     cfg.API.access(),
		FlowAPIKey:              cfg.Dial.FlowAPIKey,
		TwilioAuthToken:         cfg.Dial.TwilioAuthToken,
		TwilioPreviousAuthToken: cfg.Dial.TwilioAuthTokenPrevious,
		PublicURL:               cfg.Dial.PublicURL,
		TwilioContinue:          cfg.Dial.TwilioContinue,
		Challenges:              m.Challenges(challenges),
		BridgeSecrets:           cfg.IVR.BridgeSecrets(),
		Form:                    cfg.formConfig(),
		Console: &handlers.Console{
			Users: users, Audit: trail, Sessions: auth.NewSessionStore(rdb),
			Engine: engine, Queue: queue, Challenges: challenges, Alerts: alerts,
			InsecureCookies: cfg.Admin.InsecureCookies,
			IdleTimeout:     cfg.Admin.IdleTimeout, Lifetime: cfg.Admin.SessionLifetime,
		},
		Metrics: m.Handler(), MetricsToken: cfg.Metrics.Token, ObserveRequest: m.ObserveRequest,
		Faults: faults,
	})
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w; set TOLLGATE_ADDR to a free address", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: cfg.Limits.ReadHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       cfg.Limits.IdleTimeout,
		MaxHeaderBytes:    cfg.Limits.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	stopMetrics, err := serveMetrics(cfg.Metrics.Addr, m.Handler(), log)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopMetrics()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())

	var runErr error
	select {
	case runErr = <-served:
	case runErr = <-dispatched:
		// The dispatcher could not start; nothing is dialing.
		srv.Close()
		return runErr
	case <-ctx.Done():
		log.Info("shutting down")
		shutCtx, cancelShut := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancelShut()
		runErr = srv.Shutdown(shutCtx)
	}
	stopDispatch()
	select {
	case err := <-dispatched:
		if runErr == nil {
			runErr = err
		}
	case <-time.After(cfg.ShutdownTimeout):
		log.Warn("calls still being dialed at shutdown were left; another instance reclaims them")
	}
	return runErr
}

var geoVar = map[geo.Source]string{geo.SourceCountry: "COUNTRY", geo.SourceASN: "ASN", geo.SourceAnonymous: "ANONYMOUS"}

func newLogger(cfg Config, stdout io.Writer) *slog.Logger {
	terminal := false
	if f, ok := stdout.(*os.File); ok {
		if fi, err := f.Stat(); err == nil {
			terminal = fi.Mode()&os.ModeCharDevice != 0
		}
	}
	opts := &slog.HandlerOptions{Level: cfg.LogLevel, ReplaceAttr: mask.LogAttr}
	if cfg.LogJSON(terminal) {
		return slog.New(slog.NewJSONHandler(stdout, opts))
	}
	return slog.New(slog.NewTextHandler(stdout, opts))
}

// openStore connects to the configured Redis, or starts the embedded store.
func openStore(cfg Config, log *slog.Logger) (redis.UniversalClient, func(), error) {
	if cfg.RedisURL != "" {
		rdb, mode, err := newRedisClient(cfg)
		if err != nil {
			return nil, nil, err
		}
		log.Info("using Redis", "mode", mode)
		return rdb, func() { rdb.Close() }, nil
	}
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, nil, fmt.Errorf("embedded store: %w", err)
	}
	log.Warn("EMBEDDED STORE: lists, settings and counters live in this process's memory and are LOST when it stops; " +
		"set TOLLGATE_REDIS_URL=redis://host:6379/0 (or redis+cluster://host1:6379,host2:6379) for a durable Redis")
	stopClock := runEmbeddedClock(m, embeddedTick)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr(), PoolSize: poolSize(0, cfg.Dial.Workers), ContextTimeoutEnabled: true})
	return rdb, func() { rdb.Close(); stopClock(); m.Close() }, nil
}

// openGeoIP opens the configured databases; with none configured and demo
// data asked for, it builds the demo databases.
func openGeoIP(cfg Config) (*geo.DB, error) {
	paths := geo.Paths{Country: cfg.GeoIPCountryDB, ASN: cfg.GeoIPASNDB, Anonymous: cfg.GeoIPAnonymousDB}
	if paths == (geo.Paths{}) && cfg.DemoData {
		return geo.Demo()
	}
	return geo.Open(paths)
}
