// Package redistest starts real redis-server processes on loopback ports for
// integration tests: a standalone server or a small Redis Cluster.
//
// Tests call NewServer or ClusterOf, which register cleanup and skip the test
// when redis-server is not installed, unless Required says it must be. A
// TestMain, or anything without a testing.TB, calls StartServer or
// StartCluster and Close.
//
// Every server binds 127.0.0.1 only, persists nothing and lives in its own
// temporary directory. It runs in its own process group and, on Linux, is
// killed by the kernel if the test binary dies without calling Close.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNoRedisServer is returned, wrapped, by StartServer and StartCluster
// when no redis-server executable is on PATH.
var ErrNoRedisServer = errors.New("redistest: redis-server not found on PATH")

const installHint = "install Redis 7 or later (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis)"

// flushTimeout bounds one Flush.
const flushTimeout = 10 * time.Second

// Required reports whether Redis integration tests must run rather than be
// skipped: true when the CI environment variable is true, as CI services set it.
func Required() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// Flush deletes every key the client can reach: FLUSHALL on a standalone
// server, on every master of a cluster, or on every shard of a ring.
func Flush(tb testing.TB, c redis.UniversalClient) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	flushAll := func(ctx context.Context, c *redis.Client) error {
		return c.FlushAll(ctx).Err()
	}
	var err error
	switch c := c.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, flushAll)
	case *redis.Ring:
		err = c.ForEachShard(ctx, flushAll)
	default:
		err = c.FlushAll(ctx).Err()
	}
	if err != nil {
		tb.Fatalf("redistest: flush: %v", err)
	}
}

func lookRedisServer() (string, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", fmt.Errorf("%w (%v); %s", ErrNoRedisServer, err, installHint)
	}
	return bin, nil
}

// failStart ends tb after a failed start: a skip when redis-server is missing
// and not Required, a fatal error otherwise.
func failStart(tb testing.TB, err error) {
	tb.Helper()
	if errors.Is(err, ErrNoRedisServer) && !Required() {
		tb.Skipf("%v; CI=true makes this a failure", err)
		return
	}
	if errors.Is(err, ErrNoRedisServer) {
		tb.Fatalf("%v; failing, not skipping, because CI=true", err)
		return
	}
	tb.Fatal(err)
}

// clients holds the clients a Server or Cluster handed out, to close them
// before the processes behind them stop.
type clients struct {
	mu   sync.Mutex
	list []io.Closer
}

func (cs *clients) add(c io.Closer) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.list = append(cs.list, c)
}

func (cs *clients) closeAll() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for _, c := range cs.list {
		c.Close()
	}
	cs.list = nil
}
