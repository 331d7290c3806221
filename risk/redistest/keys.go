package redistest

import (
	"context"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Keys returns every key on rdb, on every master of a cluster; it fails tb
// when one cannot be read.
func Keys(tb testing.TB, rdb redis.UniversalClient) []string {
	tb.Helper()
	var mu sync.Mutex
	var keys []string
	scan := func(ctx context.Context, c *redis.Client) error {
		ks, err := c.Keys(ctx, "*").Result()
		mu.Lock()
		defer mu.Unlock()
		keys = append(keys, ks...)
		return err
	}
	var err error
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(tb.Context(), scan)
	} else {
		err = scan(tb.Context(), rdb.(*redis.Client))
	}
	if err != nil {
		tb.Fatalf("KEYS: %v", err)
	}
	return keys
}
