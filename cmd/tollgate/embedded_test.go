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
	deadline := time.Now().Add(5 * time.Second)
	for rdb.Exists(ctx, "lock").Val() == 1 {
		if time.Now().After(deadline) {
			t.Fatalf("a key with a 300ms TTL still exists after 5s (TTL now %v)", rdb.PTTL(ctx, "lock").Val())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := rdb.Exists(ctx, "kept").Val(); n != 1 {
		t.Errorf("a key without TTL: Exists = %d, want 1", n)
	}
}
