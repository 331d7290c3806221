package redistest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	// clusterSlots is the number of hash slots in a Redis Cluster.
	clusterSlots = 16384
	// clusterTimeout bounds how long the nodes may take to agree once started.
	// A fresh master refuses to report cluster_state:ok for its first two
	// seconds, so a cluster is never ready sooner than that.
	clusterTimeout = 15 * time.Second
)

// Cluster is a Redis Cluster of masters without replicas, every node on a
// loopback port, the slots split evenly between them.
type Cluster struct {
	// Addrs are the masters' host:port addresses; Addrs[i] serves the i-th
	// equal share of the slots, in slot order.
	Addrs []string

	nodes     []*process
	clients   clients
	closeOnce sync.Once
	closeErr  error
}

// StartCluster starts masters redis-server processes in cluster mode, assigns
// each an equal range of slots, joins them, and returns once every node
// reports cluster_state:ok and a ClusterClient can write and read a key in
// every master's range. The error wraps ErrNoRedisServer when redis-server is
// not on PATH. The caller must Close the Cluster.
func StartCluster(masters int) (*Cluster, error) {
	if masters < 1 || masters > clusterSlots {
		return nil, fmt.Errorf("redistest: a cluster needs 1 to %d masters, got %d", clusterSlots, masters)
	}
	if _, err := lookRedisServer(); err != nil {
		return nil, err
	}
	c := &Cluster{nodes: make([]*process, masters), Addrs: make([]string, masters)}
	errs := make([]error, masters)
	var wg sync.WaitGroup
	for i := range masters {
		wg.Go(func() {
			c.nodes[i], errs[i] = startProcess(true)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.Close()
		return nil, err
	}
	for i, n := range c.nodes {
		c.Addrs[i] = n.addr
	}

	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	if err := c.form(ctx); err != nil {
		err = fmt.Errorf("redistest: form a %d-master cluster: %w%s", masters, err, c.logs())
		c.Close()
		return nil, err
	}
	return c, nil
}

// ClusterOf starts a Cluster of masters for the test and closes it when the
// test ends. When redis-server is not on PATH it skips the test, or fails it
// if Required.
func ClusterOf(tb testing.TB, masters int) *Cluster {
	tb.Helper()
	c, err := StartCluster(masters)
	if err != nil {
		failStart(tb, err)
		return nil
	}
	tb.Cleanup(func() {
		if err := c.Close(); err != nil {
			tb.Error(err)
		}
	})
	return c
}

// Client returns a new ClusterClient seeded with every master, with go-redis
// defaults. Close closes it; closing it earlier is allowed.
func (c *Cluster) Client() *redis.ClusterClient {
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs})
	c.clients.add(cc)
	return cc
}

// Close closes the clients handed out by Client, kills every node and removes
// their directories. Calls after the first return the first call's result.
func (c *Cluster) Close() error {
	c.closeOnce.Do(func() {
		c.clients.closeAll()
		errs := make([]error, len(c.nodes))
		var wg sync.WaitGroup
		for i, n := range c.nodes {
			if n == nil {
				continue
			}
			wg.Go(func() { errs[i] = n.kill() })
		}
		wg.Wait()
		c.closeErr = errors.Join(errs...)
	})
	return c.closeErr
}

// form assigns slots, joins the nodes and waits until the cluster serves
// every slot.
func (c *Cluster) form(ctx context.Context) error {
	admins := make([]*redis.Client, len(c.nodes))
	for i, n := range c.nodes {
		admins[i] = redis.NewClient(&redis.Options{Addr: n.addr, MaxRetries: -1})
		defer admins[i].Close()
	}
	for i, a := range admins {
		lo, hi := slotRange(i, len(admins))
		if err := a.Do(ctx, "CLUSTER", "SET-CONFIG-EPOCH", i+1).Err(); err != nil {
			return fmt.Errorf("CLUSTER SET-CONFIG-EPOCH on %s: %w", c.Addrs[i], err)
		}
		if err := a.ClusterAddSlotsRange(ctx, lo, hi).Err(); err != nil {
			return fmt.Errorf("CLUSTER ADDSLOTSRANGE %d %d on %s: %w", lo, hi, c.Addrs[i], err)
		}
	}
	for i, a := range admins {
		for j, n := range c.nodes {
			if j <= i {
				continue
			}
			host, port, _ := strings.Cut(n.addr, ":")
			if err := a.Do(ctx, "CLUSTER", "MEET", host, port, n.busPort).Err(); err != nil {
				return fmt.Errorf("CLUSTER MEET %s from %s: %w", n.addr, c.Addrs[i], err)
			}
		}
	}
	if err := waitClusterOK(ctx, admins); err != nil {
		return err
	}
	return c.probe(ctx, admins[0])
}

// waitClusterOK polls CLUSTER INFO until every node knows every other node,
// sees every slot served and reports cluster_state:ok.
func waitClusterOK(ctx context.Context, admins []*redis.Client) error {
	want := map[string]string{
		"cluster_state":          "ok",
		"cluster_slots_ok":       strconv.Itoa(clusterSlots),
		"cluster_known_nodes":    strconv.Itoa(len(admins)),
		"cluster_size":           strconv.Itoa(len(admins)),
		"cluster_slots_assigned": strconv.Itoa(clusterSlots),
	}
	var last string
	for {
		ready := true
		for _, a := range admins {
			info, err := a.ClusterInfo(ctx).Result()
			if err != nil {
				last = fmt.Sprintf("CLUSTER INFO on %s: %v", a.Options().Addr, err)
				ready = false
				break
			}
			if f := infoFields(info); !matches(f, want) {
				last = fmt.Sprintf("CLUSTER INFO on %s:\n%s", a.Options().Addr, strings.TrimSpace(info))
				ready = false
				break
			}
		}
		if ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("nodes did not agree: %w; last %s", ctx.Err(), last)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// probe writes and reads one key in every master's slot range through a
// ClusterClient, retrying until the client's view of the cluster is right.
func (c *Cluster) probe(ctx context.Context, admin *redis.Client) error {
	keys, err := keysPerRange(ctx, admin, len(c.nodes))
	if err != nil {
		return err
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs})
	defer cc.Close()
	var last error
	for {
		last = probeKeys(ctx, cc, keys)
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("ClusterClient probe: %w; last error: %w", ctx.Err(), last)
		case <-time.After(20 * time.Millisecond):
		}
		cc.ReloadState(ctx)
	}
}

func probeKeys(ctx context.Context, cc *redis.ClusterClient, keys []string) error {
	for _, k := range keys {
		if err := cc.Set(ctx, k, k, time.Minute).Err(); err != nil {
			return fmt.Errorf("SET %s: %w", k, err)
		}
		got, err := cc.Get(ctx, k).Result()
		if err != nil {
			return fmt.Errorf("GET %s: %w", k, err)
		}
		if got != k {
			return fmt.Errorf("GET %s = %q, want %q", k, got, k)
		}
		if err := cc.Del(ctx, k).Err(); err != nil {
			return fmt.Errorf("DEL %s: %w", k, err)
		}
	}
	return nil
}

// keysPerRange returns one key for each master's slot range, in range order,
// asking the server for each candidate's slot.
func keysPerRange(ctx context.Context, admin *redis.Client, masters int) ([]string, error) {
	keys := make([]string, masters)
	missing := masters
	for i := 0; missing > 0; i++ {
		k := "redistest:probe:" + strconv.Itoa(i)
		slot, err := admin.ClusterKeySlot(ctx, k).Result()
		if err != nil {
			return nil, fmt.Errorf("CLUSTER KEYSLOT %s: %w", k, err)
		}
		r := rangeOf(int(slot), masters)
		if keys[r] == "" {
			keys[r] = k
			missing--
		}
	}
	return keys, nil
}

// slotRange returns the first and last slot of master i of n.
func slotRange(i, n int) (lo, hi int) {
	return i * clusterSlots / n, (i+1)*clusterSlots/n - 1
}

// rangeOf returns the master, of n, whose slotRange holds slot.
func rangeOf(slot, n int) int {
	for i := range n {
		if _, hi := slotRange(i, n); slot <= hi {
			return i
		}
	}
	return n - 1
}

func infoFields(info string) map[string]string {
	f := make(map[string]string)
	for line := range strings.Lines(info) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok {
			f[k] = v
		}
	}
	return f
}

func matches(got, want map[string]string) bool {
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// logs returns every node's log tail, for an error about the whole cluster.
func (c *Cluster) logs() string {
	var b strings.Builder
	for _, n := range c.nodes {
		if n != nil {
			fmt.Fprintf(&b, "\n--- redis-server %s log ---\n%s", n.addr, n.logTail())
		}
	}
	return b.String()
}
