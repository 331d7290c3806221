package handlers

import (
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/geo"
)

// realEngine is a risk engine with default settings on an in-process store
// and the demo GeoIP databases, and the store's client.
func realEngine(t testing.TB) (*risk.Engine, *redis.Client) {
	t.Helper()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { rdb.Close() })
	db, err := geo.Demo()
	if err != nil {
		t.Fatal(err)
	}
	engine, err := risk.NewEngine(risk.Options{Redis: rdb, GeoIP: db, DefaultRegion: "US"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(engine.Close)
	return engine, rdb
}
