package risk_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

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
	if err := e.LoadSettings(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := e.Settings().Spend, risk.DefaultSettings().Spend; !reflect.DeepEqual(got, want) {
		t.Errorf("spend after loading old settings = %+v, want the defaults %+v", got, want)
	}
}
