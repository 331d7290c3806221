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
	"os"
	"os/signal"
	"syscall"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk/geo"
	"github.com/tollgate/tollgate/risk/mask"
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
	"backtest": func(ctx context.Context, args, environ []string, _ io.Reader, stdout io.Writer) error {
		return runBacktest(ctx, args, environ, stdout)
	},
}

// run starts Tollgate and serves until ctx ends.
func run(ctx context.Context, args, environ []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tollgate", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: tollgate\n       tollgate admin create-user|unlock ...\n       tollgate lists import|export ...\n       tollgate healthcheck [-ready] [-url URL]\n       tollgate backtest [-settings FILE] [-policy FILE] [-from TIME] [-to TIME]\n\nTollgate is configured by environment variables:\n\n%s", ConfigHelp())
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
	a, err := build(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	return a.serve(ctx)
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
