package main

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// TestEmbeddedStoreExpiresKeys: keys written with a TTL to the embedded
// store are gone once it has passed, as on a real Redis, and a key without
// one stays.
func TestEmbeddedStoreExpiresKeys(t *testing.T) {
	rdb, closeStore, err := openStore(Config{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	ctx := context.Background()
	if err := rdb.Set(ctx, "lock", "x", 300*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, "kept", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	// PTTL answers -2 for a key that does not exist.
	waitUntil(t, "the key with a 300ms TTL gone (PTTL -2)", func(ctx context.Context) (time.Duration, error) {
		return rdb.PTTL(ctx, "lock").Result()
	}, func(ttl time.Duration) bool { return ttl == -2 })
	if n := rdb.Exists(ctx, "kept").Val(); n != 1 {
		t.Errorf("a key without TTL: Exists = %d, want 1", n)
	}
}
