package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/audit"
	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/handlers/metrics"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/spike"
)

// app is Tollgate built from its configuration: the store, the engine, the
// call queue, the IVR challenges, spike detection and the HTTP handler that
// serves them, ready to serve.
type app struct {
	cfg     Config
	log     *slog.Logger
	handler http.Handler
	metrics *metrics.Metrics
	queue   *dispatch.Queue
	// background is what runs as long as the server does.
	background []func(ctx context.Context)
	// closers undo what build opened, last first.
	closers []func()
}

// close releases what build opened.
func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// build opens the store and the GeoIP databases, loads the settings, the
// list indexes and the demo data, and wires every part; ctx bounds the
// start. On an error, what it opened is closed.
func build(ctx context.Context, cfg Config, log *slog.Logger) (_ *app, err error) {
	a := &app{cfg: cfg, log: log, metrics: metrics.New()}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	m := a.metrics
	rdb, closeStore, err := openStore(cfg, log)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, closeStore)
	rdb.AddHook(m.RedisHook())

	gdb, err := openGeoIP(cfg)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() { gdb.Close() })
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
		return nil, err
	}
	a.closers = append(a.closers, engine.Close)
	startCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := engine.Ping(startCtx); err != nil {
		return nil, fmt.Errorf("redis does not answer: %w; check TOLLGATE_REDIS_URL", err)
	}
	if err := engine.SettingsStore().LoadSettings(startCtx); err != nil {
		return nil, err
	}
	if rebuilt, err := engine.ListStore().EnsureListIndex(startCtx); err != nil {
		return nil, err
	} else if len(rebuilt) > 0 {
		log.Info("list indexes rebuilt", "lists", rebuilt)
	}
	if cfg.DemoData {
		if err := loadDemoData(startCtx, engine); err != nil {
			return nil, fmt.Errorf("demo data: %w", err)
		}
		log.Info("demo data loaded: GeoIP networks " + demoNetworkSummary() + "; a few deny-list entries")
	}
	// Not fatal: until the lists are mirrored, decisions read them from
	// Redis, and Watch tries again every tick.
	if err := engine.ListStore().LoadMirror(startCtx); err != nil {
		log.Warn("lists not mirrored yet; decisions read them from Redis", "err", err)
	}
	a.background = append(a.background, func(ctx context.Context) { engine.Watch(ctx, 2*time.Second) })

	dialer, err := newDialer(cfg.Dial, log)
	if err != nil {
		return nil, err
	}
	closeJournal, err := configureSimulator(dialer, cfg, log)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, closeJournal)
	if a.queue, err = dispatch.NewQueue(dispatch.QueueOptions{
		Redis: rdb, Dialer: m.Dialer(cfg.Dial.Dialer, dialer), Release: engine.Release, Placed: engine.RecordPlaced, Budget: engine, Logger: log, Spikes: engine.SettingsStore().SpikeSettings,
		Workers: cfg.Dial.Workers, Rates: engine.SettingsStore().DispatchRates, MaxAttempts: cfg.Dial.MaxAttempts,
		DecisionRetention: cfg.DecisionRetention,
		DialTimeout:       cfg.Faults.DialTimeout, ClaimIdle: cfg.Faults.ClaimIdle,
	}); err != nil {
		return nil, err
	}
	if err := m.Register(metrics.NewStore(a.queue, engine)); err != nil {
		return nil, err
	}

	challenges, err := contactflows.NewChallenges(contactflows.ChallengeOptions{
		Redis: rdb, CodeLength: cfg.IVR.CodeLength, TTL: cfg.IVR.CodeTTL, MaxAttempts: cfg.IVR.Attempts, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	faults, err := newFaults(cfg, m)
	if err != nil {
		return nil, err
	}
	users, trail := auth.NewStore(rdb, auth.Throttle{}), audit.NewLog(rdb)
	if err := ensureAdmin(startCtx, users, trail, cfg, log); err != nil {
		return nil, fmt.Errorf("admin user: %w", err)
	}
	alerts := spike.NewStore(rdb, engine.ListStore())
	webhooks := spike.NewWebhooks(spike.WebhookOptions{URLs: cfg.AlertWebhooks, Logger: log})
	detector, err := spike.NewDetector(spike.DetectorOptions{
		Redis: rdb, Store: alerts, Settings: engine.SettingsStore().SpikeSettings, Audit: trail, Notify: webhooks, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	a.background = append(a.background, webhooks.Run, detector.Run)
	a.handler = handlers.NewServer(handlers.Deps{
		Engine: m.Engine(engine), Channels: handlers.EngineChannels(engine), Calls: a.queue, Ready: engine.Ping, Logger: log,
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
		Console: &admin.Deps{
			Users: users, Audit: trail, Sessions: auth.NewSessionStore(rdb),
			Engine: engine, Settings: engine.SettingsStore(), Lists: engine.ListStore(), Queue: a.queue, Decisions: a.queue.DecisionLog(), Challenges: challenges, Alerts: alerts,
			InsecureCookies: cfg.Admin.InsecureCookies,
			IdleTimeout:     cfg.Admin.IdleTimeout, Lifetime: cfg.Admin.SessionLifetime,
		},
		Metrics: m.Handler(), MetricsToken: cfg.Metrics.Token, ObserveRequest: m.ObserveRequest,
		Faults: faults,
	})
	return a, nil
}

// serve runs the dispatcher and the background work, and serves HTTP until
// ctx ends; then it stops taking requests, lets those in flight finish and
// hands back the calls not yet dialed, each within the shutdown timeout.
func (a *app) serve(ctx context.Context) error {
	cfg, log := a.cfg, a.log
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w; set TOLLGATE_ADDR to a free address", cfg.Addr, err)
	}
	stopMetrics, err := serveMetrics(cfg.Metrics.Addr, a.metrics.Handler(), log)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopMetrics()
	for _, run := range a.background {
		go run(ctx)
	}
	// The dispatcher outlives the signal: it stops taking calls only after
	// the server stopped, and lets dials in progress finish.
	dispatchCtx, stopDispatch := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDispatch()
	dispatched := make(chan error, 1)
	go func() { dispatched <- a.queue.Run(dispatchCtx) }()

	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: cfg.Limits.ReadHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       cfg.Limits.IdleTimeout,
		MaxHeaderBytes:    cfg.Limits.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
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
