package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/handlers/admin/audit"
	"github.com/tollgate/tollgate/handlers/admin/auth"
)

// The demo creates an admin with a password made up for the run and
// printed once; the console accepts it.
func TestRunDemoAdmin(t *testing.T) {
	base, logs := startTollgate(t)
	// The log line is the subject: it is where the password is given.
	line := logs.waitFor(t, demoAdminMessage, nil)
	password, _ := line["password"].(string)
	if len(password) < auth.MinPasswordLength {
		t.Fatalf("demo password %q is shorter than %d", password, auth.MinPasswordLength)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(base+"/admin/sign-in", url.Values{"name": {"admin"}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// No CSRF cookie was sent: the form is refused before the password is read.
	if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-in without the CSRF token: status %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/admin/sign-in", strings.NewReader(url.Values{"name": {"admin"}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/dashboard" {
		t.Fatalf("sign-in with the logged password: status %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestEnsureAdmin(t *testing.T) {
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer rdb.Close()
	ctx := context.Background()
	users, trail := auth.NewStore(rdb, auth.Throttle{}), audit.NewLog(rdb)
	var logs bytes.Buffer
	log := newLogger(Config{LogFormat: "text"}, &logs)

	// Production without a configured admin: a warning, no user.
	if err := ensureAdmin(ctx, users, trail, Config{}, log); err != nil {
		t.Fatal(err)
	}
	if has, _ := users.HasUsers(ctx); has || !strings.Contains(logs.String(), "tollgate admin create-user") {
		t.Fatalf("production start made a user (%v) or did not say how to: %s", has, logs.String())
	}
	cfg := Config{Admin: AdminConfig{User: "ann", Password: "correct horse battery"}}
	if err := ensureAdmin(ctx, users, trail, cfg, log); err != nil {
		t.Fatal(err)
	}
	if _, err := users.Authenticate(ctx, "ann", "correct horse battery", "192.0.2.1"); err != nil {
		t.Fatalf("configured admin cannot sign in: %v", err)
	}
	if e, _, _ := trail.List(ctx, audit.Filter{Action: "user.create"}, "", 5); len(e) != 1 || e[0].Actor != "TOLLGATE_ADMIN_USER" {
		t.Fatalf("audit of the configured admin: %+v", e)
	}
	// A restart with another configured password keeps the user's own.
	cfg.Admin.Password = "another password!"
	if err := ensureAdmin(ctx, users, trail, cfg, log); err != nil {
		t.Fatal(err)
	}
	if _, err := users.Authenticate(ctx, "ann", "correct horse battery", "192.0.2.1"); err != nil {
		t.Fatalf("restart replaced the password: %v", err)
	}
}

func TestRunAdminCommands(t *testing.T) {
	m := miniredis.RunT(t)
	env := []string{"TOLLGATE_REDIS_URL=redis://" + m.Addr() + "/0"}
	ctx := context.Background()
	var out bytes.Buffer
	if err := runAdmin(ctx, []string{"create-user", "-name", "Ann", "-role", "viewer"}, env, strings.NewReader("correct horse battery\n"), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "created viewer user ann") {
		t.Fatalf("output %q", out.String())
	}
	err := runAdmin(ctx, []string{"create-user", "-name", "bob"}, env, strings.NewReader("short\n"), &out)
	if err == nil || !strings.Contains(err.Error(), "at least 12") {
		t.Fatalf("short password: %v", err)
	}
	if err := runAdmin(ctx, []string{"unlock", "-name", "ann"}, env, nil, &out); err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer rdb.Close()
	entries, _, _ := audit.NewLog(rdb).List(ctx, audit.Filter{Actor: cliActor}, "", 5)
	if len(entries) != 2 || entries[0].Action != "user.unlock" || entries[1].Action != "user.create" {
		t.Fatalf("audit of the commands: %+v", entries)
	}
	if err := runAdmin(ctx, []string{"unlock", "-name", "nobody"}, env, nil, &out); err == nil {
		t.Fatal("unlocking an unknown user succeeded")
	}
	if err := runAdmin(ctx, []string{"create-user", "-name", "ann"}, nil, strings.NewReader("x\n"), &out); err == nil || !strings.Contains(err.Error(), "TOLLGATE_REDIS_URL") {
		t.Fatalf("without Redis: %v", err)
	}
}
