package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/audit"
	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/risk"
)

// listsInstance is a running Tollgate's handlers on httptest with an
// admin token.
func listsInstance(t *testing.T) (srv *httptest.Server, engine *risk.Engine, token string) {
	t.Helper()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { rdb.Close() })
	engine, err := risk.NewEngine(risk.Options{Redis: rdb, DefaultRegion: "GB"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(engine.Close)
	queue, err := dispatch.NewQueue(dispatch.QueueOptions{Redis: rdb, Dialer: &dispatch.Simulator{}, Release: engine.Release})
	if err != nil {
		t.Fatal(err)
	}
	users := auth.NewStore(rdb, auth.Throttle{})
	if _, err := users.CreateUser(context.Background(), "test", "correct horse battery", auth.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	token, _, err = users.CreateToken(context.Background(), auth.NewToken{Label: "cli test", Role: auth.RoleAdmin, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	e := handlers.NewServer(handlers.Deps{
		Engine: engine, Calls: queue, Form: handlers.FormConfig{Secret: []byte(strings.Repeat("s", 32))},
		Console: &admin.Deps{Users: users, Audit: audit.NewLog(rdb), Sessions: auth.NewSessionStore(rdb), Engine: engine, Settings: engine.SettingsStore(), Lists: engine.ListStore(), Queue: queue, Decisions: queue.DecisionLog()},
	})
	srv = httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv, engine, token
}

func TestListsImportAndExport(t *testing.T) {
	srv, engine, token := listsInstance(t)
	env := []string{"TOLLGATE_ADMIN_URL=" + srv.URL, "TOLLGATE_ADMIN_TOKEN=" + token}
	dir := t.TempDir()
	good := filepath.Join(dir, "numbers.csv")
	os.WriteFile(good, []byte("value,reason,expires\n020 7946 0000,fraud wave,\n+12015550199,=cmd(),2099-01-01T00:00:00Z\n"), 0o600)
	var out bytes.Buffer
	if err := runLists(context.Background(), []string{"import", "-list", "deny_number", "-file", good}, env, &out); err != nil {
		t.Fatalf("import: %v\n%s", err, out.String())
	}
	for _, want := range []string{"line 2\taccepted\t+442079460000", "line 3\taccepted\t+12015550199", "2 entries added to deny_number"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if en, found, _ := engine.ListStore().LookupEntry(context.Background(), risk.DenyNumber, "+442079460000"); !found || !strings.HasPrefix(en.Author, "token:") {
		t.Errorf("got %+v found %v, want the entry by the token", en, found)
	}

	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("+447400123456\nnot a number\n"), 0o600)
	out.Reset()
	err := runLists(context.Background(), []string{"import", "-list", "deny_number", "-file", bad}, env, &out)
	if err == nil || !strings.Contains(err.Error(), "lines refused: 1") {
		t.Errorf("got %v, want an error counting the refused line", err)
	}
	if !strings.Contains(out.String(), "line 2\trefused\tnot a number\t") {
		t.Errorf("output lacks the refused line:\n%s", out.String())
	}
	if _, found, _ := engine.ListStore().LookupEntry(context.Background(), risk.DenyNumber, "+447400123456"); found {
		t.Error("a refused import added its good line")
	}

	exported := filepath.Join(dir, "out.csv")
	if err := runLists(context.Background(), []string{"export", "-list", "deny_number", "-o", exported}, env, &out); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(exported)
	if !strings.HasPrefix(string(b), "value,reason,author,created,expires\n'+12015550199,'=cmd(),token:") || strings.Count(string(b), "\n") != 3 {
		t.Errorf("got export:\n%s", b)
	}
	out.Reset()
	if err := runLists(context.Background(), []string{"export", "-list", "deny_numbr", "-url", srv.URL, "-token", token}, nil, &out); err == nil || !strings.Contains(err.Error(), "deny_number, deny_prefix") {
		t.Errorf("unknown list: got %v, want the API's message naming the lists", err)
	}
	if err := runLists(context.Background(), []string{"export", "-list", "deny_number"}, []string{"TOLLGATE_ADMIN_URL=" + srv.URL}, &out); err == nil || !strings.Contains(err.Error(), "TOLLGATE_ADMIN_TOKEN") {
		t.Errorf("no token: got %v", err)
	}
}
