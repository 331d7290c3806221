package risk_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

func TestUpdateSettingsMiniredis(t *testing.T) { updateSettingsSuite(t, miniStore) }

// TestUpdateSettingsRedis runs the suite on a redis-server and on a Redis
// Cluster.
func TestUpdateSettingsRedis(t *testing.T) {
	redistest.Each(t, func(t *testing.T, c redis.UniversalClient) {
		updateSettingsSuite(t, func(t *testing.T) redis.UniversalClient { redistest.Flush(t, c); return c })
	})
}

func addFlow(name string) func(*risk.Settings) error {
	return func(s *risk.Settings) error {
		if s.Flows == nil {
			s.Flows = map[string]risk.Policy{}
		}
		s.Flows[name] = risk.Policy{Default: risk.ModeMonitor}
		return nil
	}
}

func updateSettingsSuite(t *testing.T, st store) {
	ctx := context.Background()

	// An instance whose copy is stale edits the stored settings, keeping
	// the change another instance saved.
	t.Run("KeepsOtherInstancesEdit", func(t *testing.T) {
		rdb := st(t)
		a, b := newEngine(t, rdb, nil), newEngine(t, rdb, nil)
		if _, _, err := a.SettingsStore().UpdateSettings(ctx, func(s *risk.Settings) error { s.BlockAt = 95; return nil }); err != nil {
			t.Fatal(err)
		}
		before, after, err := b.SettingsStore().UpdateSettings(ctx, addFlow("sales"))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := before.BlockAt, 95; got != want {
			t.Errorf("before.BlockAt: got %d, want %d", got, want)
		}
		if _, ok := before.Flows["sales"]; ok {
			t.Errorf("before.Flows: got %v, want no sales flow", before.Flows)
		}
		if _, ok := after.Flows["sales"]; !ok || after.BlockAt != 95 {
			t.Errorf("after: got block_at %d, flows %v; want 95 and the sales flow", after.BlockAt, after.Flows)
		}
		if got := b.SettingsStore().Settings(); got.BlockAt != 95 || len(got.Flows) != 1 {
			t.Errorf("settings in force: got block_at %d, flows %v; want 95 and the sales flow", got.BlockAt, got.Flows)
		}
		fresh := newEngine(t, rdb, nil)
		if err := fresh.SettingsStore().LoadSettings(ctx); err != nil {
			t.Fatal(err)
		}
		if got := fresh.SettingsStore().Settings(); got.BlockAt != 95 || len(got.Flows) != 1 {
			t.Errorf("stored settings: got block_at %d, flows %v; want 95 and the sales flow", got.BlockAt, got.Flows)
		}
	})

	// Edits racing from several instances all land.
	t.Run("ConcurrentEditsAllLand", func(t *testing.T) {
		rdb := st(t)
		const n = 5
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			e := newEngine(t, rdb, nil)
			wg.Go(func() { _, _, errs[i] = e.SettingsStore().UpdateSettings(ctx, addFlow(fmt.Sprintf("flow%d", i))) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		fresh := newEngine(t, rdb, nil)
		if err := fresh.SettingsStore().LoadSettings(ctx); err != nil {
			t.Fatal(err)
		}
		if got, want := len(fresh.SettingsStore().Settings().Flows), n; got != want {
			t.Errorf("stored flows: got %v, want %d", fresh.SettingsStore().Settings().Flows, want)
		}
	})

	// A refused edit or invalid result stores nothing and changes nothing
	// in force.
	t.Run("RefusedStoresNothing", func(t *testing.T) {
		rdb := st(t)
		e := newEngine(t, rdb, nil)
		refused := errors.New("refused")
		if _, _, err := e.SettingsStore().UpdateSettings(ctx, func(s *risk.Settings) error { s.BlockAt = 1; return refused }); !errors.Is(err, refused) {
			t.Errorf("edit error: got %v, want %v", err, refused)
		}
		_, _, err := e.SettingsStore().UpdateSettings(ctx, func(s *risk.Settings) error { s.BlockAt = -1; return nil })
		if len(risk.FieldErrors(err)) == 0 {
			t.Errorf("invalid result: got %v, want field errors", err)
		}
		if n, err := rdb.Exists(ctx, "tg:settings").Result(); err != nil || n != 0 {
			t.Errorf("stored settings: got %d, %v; want none", n, err)
		}
		if got, want := e.SettingsStore().Settings().BlockAt, risk.DefaultSettings().BlockAt; got != want {
			t.Errorf("block_at in force: got %d, want %d", got, want)
		}
	})
}
