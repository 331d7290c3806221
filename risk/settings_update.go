package risk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// updateAttempts bounds how often UpdateSettings starts again when another
// instance changed the stored settings under it.
const updateAttempts = 10

// watcher is the optimistic transaction of *redis.Client, *redis.Ring and
// *redis.ClusterClient.
type watcher interface {
	Watch(ctx context.Context, fn func(*redis.Tx) error, keys ...string) error
}

// ErrSettingsContended is returned by UpdateSettings when other instances
// kept changing the stored settings through every attempt.
var ErrSettingsContended = errors.New("risk: settings kept changing under the update; try again")

// UpdateSettings applies edit to the settings stored in Redis (or to the
// settings in force when none are stored), validates the result, stores
// it unless another instance changed the stored settings meanwhile, and
// puts it in force here. A change made elsewhere is retried on the fresh
// settings, so edit may run more than once and must depend only on its
// argument. It returns the settings edit started from and the settings
// stored. An error from edit is returned as it is and nothing is stored.
func (ss *SettingsStore) UpdateSettings(ctx context.Context, edit func(*Settings) error) (before, after Settings, err error) {
	w, ok := ss.rdb.(watcher)
	if !ok {
		return Settings{}, Settings{}, fmt.Errorf("update settings: %T has no WATCH", ss.rdb)
	}
	var (
		c   *compiled
		raw []byte
	)
	txf := func(tx *redis.Tx) error {
		b, err := tx.Get(ctx, settingsKey).Bytes()
		var s Settings
		switch {
		case errors.Is(err, redis.Nil):
			s = ss.Settings()
		case err != nil:
			return fmt.Errorf("update settings: %w", err)
		default:
			if s, err = ss.decodeSettings(b); err != nil {
				return fmt.Errorf("update settings: %w", err)
			}
		}
		before = s.clone()
		if err := edit(&s); err != nil {
			return err
		}
		if c, err = compile(s); err != nil {
			return err
		}
		if raw, err = json.Marshal(c.Settings); err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, settingsKey, raw, 0)
			return nil
		})
		return err
	}
	for range updateAttempts {
		err = w.Watch(ctx, txf, settingsKey)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			return Settings{}, Settings{}, err
		}
		ss.active.Store(c)
		ss.lastRaw.Store(&raw)
		return before, c.Settings.clone(), nil
	}
	return Settings{}, Settings{}, ErrSettingsContended
}
