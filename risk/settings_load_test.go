package risk_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
)

// Settings stored before a field existed load with that field's default.
func TestLoadSettingsKeepsDefaultsOfMissingFields(t *testing.T) {
	rdb := miniStore(t)
	old := risk.DefaultSettings()
	b, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	json.Unmarshal(b, &doc)
	delete(doc, "spend")
	delete(doc, "require_auth")
	b, _ = json.Marshal(doc)
	if err := rdb.Set(context.Background(), "tg:settings", b, 0).Err(); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, rdb, func(s *risk.Settings) { s.Spend = risk.Spend{} })
	if err := e.SettingsStore().LoadSettings(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := e.SettingsStore().Settings().Spend, risk.DefaultSettings().Spend; !reflect.DeepEqual(got, want) {
		t.Errorf("spend after loading old settings = %+v, want the defaults %+v", got, want)
	}
}

// Settings that could not be stored are not put in force: no instance
// would share them.
func TestSaveSettingsFailingKeepsSettingsInForce(t *testing.T) {
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr(), MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	e := newEngine(t, rdb, nil)
	before := e.SettingsStore().Settings().BlockAt
	s := e.SettingsStore().Settings()
	s.BlockAt = before - 1
	m.Close()
	if err := e.SettingsStore().SaveSettings(context.Background(), s); err == nil {
		t.Fatal("SaveSettings with Redis down: got nil, want an error")
	}
	if got, want := e.SettingsStore().Settings().BlockAt, before; got != want {
		t.Errorf("block_at in force after a failed save: got %d, want %d", got, want)
	}
}
