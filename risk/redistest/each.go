package redistest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Backend names: the subtests Each runs are named after them.
const (
	// BackendServer is a standalone redis-server.
	BackendServer = "redis-server"
	// BackendCluster is a Redis Cluster of EachMasters masters.
	BackendCluster = "redis-cluster"
)

// EachMasters is how many masters the cluster Each runs on has.
const EachMasters = 3

// Backends are the stores a suite that runs on every store starts, by
// name: an in-process miniredis, then the shared redis-server and Redis
// Cluster that Lease hands out.
var Backends = []struct {
	Name  string
	Start func(tb testing.TB) redis.UniversalClient
}{
	{"miniredis", func(tb testing.TB) redis.UniversalClient {
		return redis.NewClient(&redis.Options{Addr: miniredis.RunT(tb).Addr()})
	}},
	{BackendServer, func(tb testing.TB) redis.UniversalClient { return Lease(tb, BackendServer) }},
	{BackendCluster, func(tb testing.TB) redis.UniversalClient { return Lease(tb, BackendCluster) }},
}

// Each runs fn as one subtest per backend, "redis-server" and
// "redis-cluster", each with a new client whose backend holds no keys and
// no cached scripts. The client is closed when the subtest ends.
//
// The servers and clusters are shared by the tests of one test binary and
// stopped by Main, which the package's TestMain must call: a test holds its
// backend from the start of the subtest until the subtest's cleanups have
// run, and a test running in parallel with it gets another one, so parallel
// tests never see each other's keys. A test must leave the backend as it
// found it apart from its keys: a test that changes the server's
// configuration, kills a node or moves slots starts its own with NewServer
// or ClusterOf.
//
// When redis-server is not on PATH the subtests are skipped, or fail if
// Required.
func Each(t *testing.T, fn func(t *testing.T, c redis.UniversalClient)) {
	t.Helper()
	for _, name := range [...]string{BackendServer, BackendCluster} {
		t.Run(name, func(t *testing.T) {
			fn(t, Lease(t, name))
		})
	}
}

// Lease returns a new client for a shared backend named by BackendServer or
// BackendCluster, flushed, held by tb until tb's cleanups have run; see Each.
// When redis-server is not on PATH it skips tb, or fails it if Required.
func Lease(tb testing.TB, backend string) redis.UniversalClient {
	tb.Helper()
	if !shared.running() {
		tb.Fatalf("redistest: Each and Lease share servers between the tests of a package, " +
			"which needs its TestMain to call redistest.Main: func TestMain(m *testing.M) { redistest.Main(m) }")
		return nil
	}
	l, err := shared.acquire(backend)
	if err != nil {
		failStart(tb, err)
		return nil
	}
	c := l.client()
	tb.Cleanup(func() {
		c.Close()
		shared.release(l)
	})
	return c
}

// Main runs the package's tests and then stops the servers and clusters
// that Each and Lease shared between them. Call it from TestMain:
//
//	func TestMain(m *testing.M) { redistest.Main(m) }
//
// A TestMain that returns makes the test binary exit with m.Run's code.
func Main(m *testing.M) {
	shared.start()
	defer func() {
		if err := shared.stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	m.Run()
}

// pool is the backends shared by a test binary's tests. It is package state
// because the processes must outlive any one test; Main bounds its life.
type pool struct {
	mu   sync.Mutex
	on   bool
	idle map[string][]*lease
	all  []*lease
	// start starts a backend; tests replace it.
	startFn func(backend string) (*lease, error)
}

// shared is the pool of the test binary; Main turns it on and off.
var shared = &pool{startFn: startLease}

// lease is one started backend.
type lease struct {
	backend string
	// addrs are the server's address, or the cluster's masters.
	addrs  []string
	closer io.Closer
}

func startLease(backend string) (*lease, error) {
	switch backend {
	case BackendServer:
		s, err := StartServer()
		if err != nil {
			return nil, err
		}
		return &lease{backend: backend, addrs: []string{s.Addr}, closer: s}, nil
	case BackendCluster:
		c, err := StartCluster(EachMasters)
		if err != nil {
			return nil, err
		}
		return &lease{backend: backend, addrs: c.Addrs, closer: c}, nil
	}
	return nil, fmt.Errorf("redistest: unknown backend %q; use %q or %q", backend, BackendServer, BackendCluster)
}

// client returns a new client for the backend, with go-redis defaults.
func (l *lease) client() redis.UniversalClient {
	if l.backend == BackendCluster {
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: l.addrs})
	}
	return redis.NewClient(&redis.Options{Addr: l.addrs[0]})
}

// reset deletes every key and cached script of the backend.
func (l *lease) reset(ctx context.Context) error {
	c := l.client()
	defer c.Close()
	reset := func(ctx context.Context, c *redis.Client) error {
		if err := c.FlushAll(ctx).Err(); err != nil {
			return err
		}
		return c.ScriptFlush(ctx).Err()
	}
	if cc, ok := c.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, reset)
	}
	return reset(ctx, c.(*redis.Client))
}

func (p *pool) start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.on = true
	p.idle = make(map[string][]*lease)
}

func (p *pool) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.on
}

// acquire returns an idle backend, reset, or starts one. A backend that
// cannot be reset is closed and replaced.
func (p *pool) acquire(backend string) (*lease, error) {
	for {
		p.mu.Lock()
		var l *lease
		if idle := p.idle[backend]; len(idle) > 0 {
			l, p.idle[backend] = idle[len(idle)-1], idle[:len(idle)-1]
		}
		p.mu.Unlock()
		if l == nil {
			break
		}
		ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
		err := l.reset(ctx)
		cancel()
		if err == nil {
			return l, nil
		}
		p.discard(l)
	}
	l, err := p.startFn(backend)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.all = append(p.all, l)
	return l, nil
}

func (p *pool) release(l *lease) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.on {
		p.idle[l.backend] = append(p.idle[l.backend], l)
	}
}

// discard closes a broken backend and forgets it.
func (p *pool) discard(l *lease) {
	l.closer.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.all {
		if x == l {
			p.all = append(p.all[:i], p.all[i+1:]...)
			break
		}
	}
}

// stop closes every backend the pool started and turns it off.
func (p *pool) stop() error {
	p.mu.Lock()
	all := p.all
	p.on, p.idle, p.all = false, nil, nil
	p.mu.Unlock()
	errs := make([]error, len(all))
	var wg sync.WaitGroup
	for i, l := range all {
		wg.Go(func() { errs[i] = l.closer.Close() })
	}
	wg.Wait()
	return errors.Join(errs...)
}
