package redistest_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// addrsOf returns the addresses a client was built with.
func addrsOf(t *testing.T, c redis.UniversalClient) []string {
	t.Helper()
	switch c := c.(type) {
	case *redis.Client:
		return []string{c.Options().Addr}
	case *redis.ClusterClient:
		return c.Options().Addrs
	}
	t.Fatalf("client %T: want *redis.Client or *redis.ClusterClient", c)
	return nil
}

func TestEachRunsOnEveryBackend(t *testing.T) {
	var ran []string
	redistest.Each(t, func(t *testing.T, c redis.UniversalClient) {
		ran = append(ran, t.Name())
		_, isCluster := c.(*redis.ClusterClient)
		if got, want := isCluster, strings.HasSuffix(t.Name(), "/"+redistest.BackendCluster); got != want {
			t.Errorf("client %T in %s: got cluster %v, want %v", c, t.Name(), got, want)
		}
		if err := c.Set(t.Context(), "{each}:k", "v", time.Minute).Err(); err != nil {
			t.Fatalf("SET: %v", err)
		}
		if isCluster {
			slots, err := c.ClusterSlots(t.Context()).Result()
			if err != nil || len(slots) != redistest.EachMasters {
				t.Errorf("CLUSTER SLOTS: got %d ranges, %v; want %d", len(slots), err, redistest.EachMasters)
			}
		}
	})
	want := []string{
		"TestEachRunsOnEveryBackend/" + redistest.BackendServer,
		"TestEachRunsOnEveryBackend/" + redistest.BackendCluster,
	}
	if !slices.Equal(ran, want) {
		t.Errorf("subtests: got %v, want %v", ran, want)
	}
}

func TestEachSharesFlushedBackends(t *testing.T) {
	first := map[string][]string{}
	redistest.Each(t, func(t *testing.T, c redis.UniversalClient) {
		first[fmt.Sprintf("%T", c)] = addrsOf(t, c)
		if err := c.Set(t.Context(), "{each}:left", "behind", time.Minute).Err(); err != nil {
			t.Fatalf("SET: %v", err)
		}
		if err := c.ScriptLoad(t.Context(), "return 1").Err(); err != nil {
			t.Fatalf("SCRIPT LOAD: %v", err)
		}
	})
	redistest.Each(t, func(t *testing.T, c redis.UniversalClient) {
		if got, want := addrsOf(t, c), first[fmt.Sprintf("%T", c)]; !slices.Equal(got, want) {
			t.Errorf("second Each's backend: got %v, want the first's %v", got, want)
		}
		if n, err := c.Exists(t.Context(), "{each}:left").Result(); err != nil || n != 0 {
			t.Errorf("EXISTS a key the last test left = %d, %v; want 0, nil", n, err)
		}
		sha := "e0e1f9fabfc9d4800c877a703b823ac0578ff8db" // SHA1 of "return 1"
		if got, err := c.ScriptExists(t.Context(), sha).Result(); err != nil || slices.Contains(got, true) {
			t.Errorf("SCRIPT EXISTS a script the last test loaded = %v, %v; want false, nil", got, err)
		}
	})
}

func TestLeaseWhileHeldStartsAnother(t *testing.T) {
	a := redistest.Lease(t, redistest.BackendServer)
	b := redistest.Lease(t, redistest.BackendServer)
	addrA, addrB := addrsOf(t, a), addrsOf(t, b)
	if slices.Equal(addrA, addrB) {
		t.Fatalf("two leases held at once share %v", addrA)
	}
	if err := a.Set(t.Context(), "k", "a", time.Minute).Err(); err != nil {
		t.Fatalf("SET on a: %v", err)
	}
	if n, err := b.Exists(t.Context(), "k").Result(); err != nil || n != 0 {
		t.Errorf("EXISTS k on b = %d, %v; want 0, nil", n, err)
	}
	var reused []string
	t.Run("released", func(t *testing.T) {
		reused = addrsOf(t, redistest.Lease(t, redistest.BackendServer))
	})
	t.Run("after release", func(t *testing.T) {
		if got := addrsOf(t, redistest.Lease(t, redistest.BackendServer)); !slices.Equal(got, reused) {
			t.Errorf("lease after a release: got %v, want the released %v", got, reused)
		}
	})
}

func TestLeaseUnknownBackend(t *testing.T) {
	tb := &recordingTB{TB: t}
	redistest.Lease(tb, "redis-sentinel")
	if !tb.failed || tb.skipped {
		t.Errorf("Lease of an unknown backend: got failed=%v skipped=%v, want failed=true skipped=false", tb.failed, tb.skipped)
	}
}
