package handlers

import (
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/geo"
	"github.com/tollgate/tollgate/risk/redistest"
)

// TestMain shares one redis-server and one Redis Cluster between the
// package's integration tests; see redistest.Each.
func TestMain(m *testing.M) { redistest.Main(m) }

// miniRedis is a client of a new in-process store.
func miniRedis(t testing.TB) *redis.Client {
	t.Helper()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// onEveryStore runs fn as subtests on the in-process store, on a
// redis-server and on a 3-master Redis Cluster.
func onEveryStore(t *testing.T, fn func(t *testing.T, rdb redis.UniversalClient)) {
	t.Helper()
	t.Run("miniredis", func(t *testing.T) { fn(t, miniRedis(t)) })
	redistest.Each(t, fn)
}

// realEngine is a risk engine with default settings on an in-process store
// and the demo GeoIP databases, and the store's client.
func realEngine(t testing.TB) (*risk.Engine, redis.UniversalClient) {
	t.Helper()
	rdb := miniRedis(t)
	return engineOn(t, rdb), rdb
}

// engineOn is a risk engine with default settings on rdb and the demo GeoIP
// databases.
func engineOn(t testing.TB, rdb redis.UniversalClient) *risk.Engine {
	t.Helper()
	db, err := geo.Demo()
	if err != nil {
		t.Fatal(err)
	}
	engine, err := risk.NewEngine(risk.Options{Redis: rdb, GeoIP: db, DefaultRegion: "US"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(engine.Close)
	return engine
}
