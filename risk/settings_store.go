package risk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// SettingsStore holds the settings in force: it validates and compiles
// them, saves them in Redis for every instance, and loads what another
// instance saved. Engine.Watch reloads them every few seconds.
type SettingsStore struct {
	rdb     redis.Cmdable
	active  atomic.Pointer[compiled]
	lastRaw atomic.Pointer[[]byte]
	// initial are the settings of Options; stored settings that predate
	// Deflect and Dispatch take those from here.
	initial Settings
}

// SettingsStore returns the settings the engine decides with.
func (e *Engine) SettingsStore() *SettingsStore { return e.settings }

// Settings returns a deep copy of the settings in force: changing it
// changes nothing until it is saved.
func (ss *SettingsStore) Settings() Settings { return ss.active.Load().Settings.clone() }

// apply validates s, fills weights missing from it with their defaults and
// puts it in force.
func (ss *SettingsStore) apply(s Settings) error {
	c, err := compile(s)
	if err != nil {
		return err
	}
	ss.active.Store(c)
	return nil
}

// SaveSettings validates s, stores it in Redis for every instance and then
// puts it in force here; when storing fails, the settings in force stay.
func (ss *SettingsStore) SaveSettings(ctx context.Context, s Settings) error {
	c, err := compile(s)
	if err != nil {
		return err
	}
	b, err := json.Marshal(c.Settings)
	if err != nil {
		return err
	}
	if err := ss.rdb.Set(ctx, settingsKey, b, 0).Err(); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	ss.active.Store(c)
	ss.lastRaw.Store(&b)
	return nil
}

// LoadSettings reads the settings saved in Redis and puts them in force;
// with none saved, the settings in force stay.
func (ss *SettingsStore) LoadSettings(ctx context.Context) error {
	b, err := ss.rdb.Get(ctx, settingsKey).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load settings: %w", err)
	}
	if last := ss.lastRaw.Load(); last != nil && bytes.Equal(*last, b) {
		return nil
	}
	s, err := ss.decodeSettings(b)
	if err != nil {
		return fmt.Errorf("load settings: %w", err)
	}
	if err := ss.apply(s); err != nil {
		return fmt.Errorf("load settings: stored settings are invalid: %w", err)
	}
	ss.lastRaw.Store(&b)
	return nil
}

// decodeSettings reads settings stored in Redis. Settings saved before a
// field existed keep that field's default; the deflection channels and
// dispatch rates keep this instance's.
func (ss *SettingsStore) decodeSettings(b []byte) (Settings, error) {
	s := DefaultSettings()
	s.Deflect, s.Dispatch = ss.initial.Deflect, ss.initial.Dispatch
	if err := json.Unmarshal(b, &s); err != nil {
		return Settings{}, fmt.Errorf("stored settings are not valid JSON: %w", err)
	}
	return s, nil
}
