package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/tollgate/tollgate/handlers/admin/audit"
	"github.com/tollgate/tollgate/handlers/admin/auth"
)

// ensureAdmin creates the configured first admin when it does not exist.
// With no user at all, demo mode creates "admin" with a random password it
// logs; otherwise a warning says how to create one. There is never a
// default password.
func ensureAdmin(ctx context.Context, users *auth.Store, trail *audit.Log, cfg Config, log *slog.Logger) error {
	if cfg.Admin.User != "" {
		u, err := users.CreateUser(ctx, cfg.Admin.User, cfg.Admin.Password, auth.RoleAdmin)
		if errors.Is(err, auth.ErrUserExists) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("TOLLGATE_ADMIN_USER: %w", err)
		}
		log.Info("admin user created from TOLLGATE_ADMIN_USER", "user", cfg.Admin.User)
		return trail.Record(ctx, "TOLLGATE_ADMIN_USER", "", "user.create", "user "+u.Name, nil, u)
	}
	has, err := users.HasUsers(ctx)
	if err != nil || has {
		return err
	}
	if !cfg.DemoData {
		log.Warn("the admin console has no user; create one with: tollgate admin create-user -name NAME (password on standard input), " +
			"or set TOLLGATE_ADMIN_USER and TOLLGATE_ADMIN_PASSWORD")
		return nil
	}
	password := rand.Text()
	u, err := users.CreateUser(ctx, "admin", password, auth.RoleAdmin)
	if err != nil {
		return err
	}
	if err := trail.Record(ctx, "demo", "", "user.create", "user "+u.Name, nil, u); err != nil {
		return err
	}
	log.Warn(demoAdminMessage, "user", "admin", "password", password,
		"note", "the password is made up for this run; set TOLLGATE_ADMIN_USER and TOLLGATE_ADMIN_PASSWORD to choose")
	return nil
}

// demoAdminMessage is the log line giving the demo admin's password.
const demoAdminMessage = "DEMO ADMIN: sign in to /admin with this user and password"

// cliActor is the audit log's actor for tollgate admin commands.
const cliActor = "tollgate admin (command line)"

// runAdmin runs "tollgate admin ...": user management against the Redis
// that TOLLGATE_REDIS_URL names.
func runAdmin(ctx context.Context, args, environ []string, stdin io.Reader, stdout io.Writer) error {
	usage := func() {
		fmt.Fprint(stdout, `Usage:
  tollgate admin create-user -name NAME [-role admin|viewer]
      the password is read from the first line of standard input
  tollgate admin unlock -name NAME
      lifts a sign-in lockout

Both use the Redis of TOLLGATE_REDIS_URL.
`)
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage()
		return nil
	}
	fs := flag.NewFlagSet("tollgate admin "+args[0], flag.ContinueOnError)
	fs.SetOutput(stdout)
	name := fs.String("name", "", "user name")
	role := fs.String("role", "admin", "admin or viewer")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *name == "" {
		return errors.New("-name is required")
	}
	cfg, err := LoadConfigEnviron(environ)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	if cfg.RedisURL == "" {
		return errors.New("TOLLGATE_REDIS_URL is not set: the embedded store lives inside a running tollgate; " +
			"start it with TOLLGATE_ADMIN_USER and TOLLGATE_ADMIN_PASSWORD instead")
	}
	rdb, _, err := newRedisClient(cfg)
	if err != nil {
		return err
	}
	defer rdb.Close()
	users, trail := auth.NewStore(rdb, auth.Throttle{}), audit.NewLog(rdb)
	switch args[0] {
	case "create-user":
		r, err := auth.ParseRole(*role)
		if err != nil {
			return err
		}
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading the password: %w", err)
		}
		u, err := users.CreateUser(ctx, strings.ToLower(*name), strings.TrimRight(line, "\r\n"), r)
		if err != nil {
			return err
		}
		if err := trail.Record(ctx, cliActor, "", "user.create", "user "+u.Name, nil, u); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created %s user %s\n", u.Role, u.Name)
	case "unlock":
		if err := users.Unlock(ctx, strings.ToLower(*name)); err != nil {
			return err
		}
		if err := trail.Record(ctx, cliActor, "", "user.unlock", "user "+strings.ToLower(*name), nil, nil); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "unlocked %s\n", *name)
	default:
		usage()
		return fmt.Errorf("unknown admin command %q", args[0])
	}
	return nil
}
