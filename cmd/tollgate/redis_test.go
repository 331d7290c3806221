package main

import (
	"crypto/tls"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestParseRedisURLSingle(t *testing.T) {
	tests := []struct {
		url                        string
		network, addr              string
		user, password             string
		db                         int
		tlsServerName              string // "" for no TLS
		dialTimeout, poolTimeoutIn time.Duration
	}{
		{url: "redis://localhost:6379/2", network: "tcp", addr: "localhost:6379", db: 2},
		{url: "redis://redis", network: "tcp", addr: "redis:6379"},
		{url: "REDIS://redis:7000/", network: "tcp", addr: "redis:7000"},
		{url: "redis://app:s3cr3t@redis:6379/0", network: "tcp", addr: "redis:6379", user: "app", password: "s3cr3t"},
		{url: "redis://:p%40ss%2Cw%2Frd@redis", network: "tcp", addr: "redis:6379", password: "p@ss,w/rd"},
		{url: "rediss://:pw@cache.example.com:6380", network: "tcp", addr: "cache.example.com:6380", password: "pw", tlsServerName: "cache.example.com"},
		{url: "redis://[::1]:6379", network: "tcp", addr: "[::1]:6379"},
		{url: "unix:///run/redis/redis.sock?db=3", network: "unix", addr: "/run/redis/redis.sock", db: 3},
		{url: "redis://redis?dial_timeout=5s", network: "tcp", addr: "redis:6379", dialTimeout: 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			o, co, err := parseRedisURL(tt.url)
			if err != nil {
				t.Fatalf("parseRedisURL: %v", err)
			}
			if co != nil || o == nil {
				t.Fatalf("got single %v and cluster %v options, want single only", o != nil, co != nil)
			}
			if o.Network != tt.network || o.Addr != tt.addr {
				t.Errorf("got %s %s, want %s %s", o.Network, o.Addr, tt.network, tt.addr)
			}
			if o.Username != tt.user || o.Password != tt.password {
				t.Errorf("got user %q password %q, want %q %q", o.Username, o.Password, tt.user, tt.password)
			}
			if o.DB != tt.db {
				t.Errorf("got DB %d, want %d", o.DB, tt.db)
			}
			if o.DialTimeout != tt.dialTimeout {
				t.Errorf("got DialTimeout %v, want %v", o.DialTimeout, tt.dialTimeout)
			}
			checkTLS(t, o.TLSConfig, tt.tlsServerName)
		})
	}
}

func TestParseRedisURLCluster(t *testing.T) {
	tests := []struct {
		url            string
		addrs          []string
		user, password string
		tlsServerName  string
		readOnly       bool
	}{
		{
			url:   "redis+cluster://h1:7000,h2:7001,h3",
			addrs: []string{"h1:7000", "h2:7001", "h3:6379"},
		},
		{
			url:   "redis+cluster://app:s3cr3t@h1:7000,h2:7001/?read_only=true",
			addrs: []string{"h1:7000", "h2:7001"}, user: "app", password: "s3cr3t", readOnly: true,
		},
		{
			url:   "redis+cluster://:p%40ss%2Cw%2Frd@h1,h2/0",
			addrs: []string{"h1:6379", "h2:6379"}, password: "p@ss,w/rd",
		},
		{
			url:   "rediss+cluster://:pw@node-1.example.com:6380,node-2.example.com:6380",
			addrs: []string{"node-1.example.com:6380", "node-2.example.com:6380"}, password: "pw", tlsServerName: "node-1.example.com",
		},
		{
			url:   "redis+cluster://[::1]:7000,[::2],10.0.0.3:7002?addr=10.0.0.4:7003",
			addrs: []string{"[::1]:7000", "[::2]:6379", "10.0.0.3:7002", "10.0.0.4:7003"},
		},
		{
			url:   "redis+cluster://solo:7000",
			addrs: []string{"solo:7000"},
		},
		{
			url:   "redis://:pw@h1:7000,redis://h2:7001,redis://:pw@h3:7002/0",
			addrs: []string{"h1:7000", "h2:7001", "h3:7002"}, password: "pw",
		},
		{
			url:   "redis://h1:7000?read_only=true,redis://u:pw@h2?read_only=true",
			addrs: []string{"h1:7000", "h2:6379"}, user: "u", password: "pw", readOnly: true,
		},
		{
			url:   "rediss://:pw@h1:7000,rediss://:pw@h2:7001",
			addrs: []string{"h1:7000", "h2:7001"}, password: "pw", tlsServerName: "h1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			o, co, err := parseRedisURL(tt.url)
			if err != nil {
				t.Fatalf("parseRedisURL: %v", err)
			}
			if o != nil || co == nil {
				t.Fatalf("got single %v and cluster %v options, want cluster only", o != nil, co != nil)
			}
			if !slices.Equal(co.Addrs, tt.addrs) {
				t.Errorf("got Addrs %q, want %q", co.Addrs, tt.addrs)
			}
			if co.Username != tt.user || co.Password != tt.password {
				t.Errorf("got user %q password %q, want %q %q", co.Username, co.Password, tt.user, tt.password)
			}
			if co.ReadOnly != tt.readOnly {
				t.Errorf("got ReadOnly %v, want %v", co.ReadOnly, tt.readOnly)
			}
			checkTLS(t, co.TLSConfig, tt.tlsServerName)
		})
	}
}

// checkTLS checks that c is nil when serverName is empty, and otherwise
// verifies certificates for serverName with TLS 1.2 or later.
func checkTLS(t *testing.T, c *tls.Config, serverName string) {
	t.Helper()
	switch {
	case serverName == "" && c != nil:
		t.Errorf("got TLS for %q, want none", c.ServerName)
	case serverName == "":
	case c == nil:
		t.Errorf("got no TLS, want TLS for %q", serverName)
	case c.ServerName != serverName || c.InsecureSkipVerify || c.MinVersion < tls.VersionTLS12:
		t.Errorf("got TLS for %q (skip verify %v, min version %x), want verified TLS 1.2+ for %q",
			c.ServerName, c.InsecureSkipVerify, c.MinVersion, serverName)
	}
}

func TestParseRedisURLErrors(t *testing.T) {
	const secret = "s3cr3tpw"
	tests := []struct {
		url  string
		want string
	}{
		{"http://:s3cr3tpw@redis:6379", `scheme "http" is not supported; use redis://host:6379/0, rediss://host:6379/0 for TLS, or redis+cluster://host1:6379,host2:6379`},
		{"redis-sentinel://:s3cr3tpw@redis:26379", `scheme "redis-sentinel" is not supported`},
		{"redis:6379", `"redis:6379" has no scheme`},
		{":s3cr3tpw@redis:6379", "no scheme"},
		{"redis://:s3cr3tpw@redis:port", "percent-encoded"},
		{"redis://:s3cr3tpw@redis:6379/x", "invalid database number"},
		{"redis://:s3cr3tpw@redis:6379/0?nope=1", "unexpected option: nope"},
		{"redis://:s3cr3tpw@redis:6379/0?dial_timeout=soon", "invalid dial_timeout"},
		{"redis://:s3cr/3tpw@redis:6379", "an @ follows the host"},
		{"redis://:s3cr?3tpw@redis:6379", "an @ follows the host"},
		{"redis://:s3cr#3tpw@redis:6379", "an @ follows the host"},
		{"redis://:s3c%zzr3tpw@redis:6379", "percent-encoded"},
		{"redis://:s3cr,3tpw@h1,redis://h2", "entry 2 of the comma-separated list is not a redis:// URL"},
		{"redis://:s3cr3tpw@h1:6379,h2:6379", "entry 2 of the comma-separated list is not a redis:// URL"},
		{"redis://:s3cr3tpw@h1,rediss://:s3cr3tpw@h2", "mix redis:// and rediss://"},
		{"redis://:s3cr3tpw@h1,redis://:other@h2", "different user names or passwords"},
		{"redis://:s3cr3tpw@h1/1,redis://h2/1", "only database 0"},
		{"redis://:s3cr3tpw@h1?read_only=true,redis://h2?read_only=false", "option read_only differs"},
		{"redis://:s3cr3tpw@h1,unix:///tmp/s", "not supported in a list of cluster nodes"},
		{"redis+cluster://:s3cr3tpw@h1,h2/2", `path "/2" selects a database`},
		{"redis+cluster://:s3cr3tpw@", "empty entry"},
		{"redis+cluster://:s3cr3tpw@h1,,h2", "empty entry"},
		{"redis+cluster://:s3cr3tpw@h1,h2:port", `cluster node "h2:port" is not host:port`},
		{"redis+cluster://:s3cr3tpw@h1,::1", `cluster node "::1" is not host:port`},
		{"redis+cluster://:s3cr3tpw@h1,h2?nope=s3cr3tpw", "unexpected option: nope"},
		{"redis+cluster://:s3cr/3tpw@h1,h2", "an @ follows the host"},
		{"unix://:s3cr3tpw@", "empty unix socket path"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, _, err := parseRedisURL(tt.url)
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.want)
			}
			got := err.Error()
			if !strings.Contains(got, tt.want) {
				t.Errorf("got error %q, want it to contain %q", got, tt.want)
			}
			for _, piece := range []string{secret, "3cr", "3tpw", "zzr"} {
				if strings.Contains(got, piece) {
					t.Errorf("got error %q, which contains %q from the password", got, piece)
				}
			}
		})
	}
}

func TestLoadConfigRedisErrorHidesPassword(t *testing.T) {
	_, err := LoadConfig(envOf(map[string]string{"TOLLGATE_REDIS_URL": "redis://:s3cr3tpw@redis:6379/0?nope=s3cr3tpw"}))
	if err == nil {
		t.Fatal("got no error, want one")
	}
	if got := err.Error(); !strings.HasPrefix(got, "TOLLGATE_REDIS_URL: ") || strings.Contains(got, "s3cr3tpw") {
		t.Errorf("got error %q, want one starting with TOLLGATE_REDIS_URL and without the password", got)
	}
}

func TestNewRedisClient(t *testing.T) {
	tests := []struct {
		url               string
		mode              string
		dial, read, write time.Duration
		wantAddrs         []string
	}{
		{url: "redis://redis:6379/0", mode: "single", dial: 2 * time.Second, read: time.Second, write: time.Second},
		{
			url:  "redis://redis:6379/0?dial_timeout=5s&read_timeout=3s&write_timeout=-1",
			mode: "single", dial: 5 * time.Second, read: 3 * time.Second, write: 0, // go-redis turns -1 into 0, no deadline
		},
		{
			url:  "redis://redis:6379/0?read_timeout=3s",
			mode: "single", dial: 2 * time.Second, read: 3 * time.Second, write: 3 * time.Second,
		},
		{
			url:  "redis+cluster://h1:7000,h2:7001",
			mode: "cluster", dial: 2 * time.Second, read: time.Second, write: time.Second,
			wantAddrs: []string{"h1:7000", "h2:7001"},
		},
		{
			url:  "redis+cluster://h1:7000,h2:7001?read_timeout=250ms",
			mode: "cluster", dial: 2 * time.Second, read: 250 * time.Millisecond, write: 250 * time.Millisecond,
			wantAddrs: []string{"h1:7000", "h2:7001"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			client, mode, err := newRedisClient(Config{RedisURL: tt.url})
			if err != nil {
				t.Fatalf("newRedisClient: %v", err)
			}
			defer client.Close()
			if mode != tt.mode {
				t.Errorf("got mode %q, want %q", mode, tt.mode)
			}
			var dial, read, write time.Duration
			switch c := client.(type) {
			case *redis.Client:
				o := c.Options()
				dial, read, write = o.DialTimeout, o.ReadTimeout, o.WriteTimeout
			case *redis.ClusterClient:
				o := c.Options()
				dial, read, write = o.DialTimeout, o.ReadTimeout, o.WriteTimeout
				if !slices.Equal(o.Addrs, tt.wantAddrs) {
					t.Errorf("got Addrs %q, want %q", o.Addrs, tt.wantAddrs)
				}
			default:
				t.Fatalf("got client %T, want *redis.Client or *redis.ClusterClient", client)
			}
			if dial != tt.dial || read != tt.read || write != tt.write {
				t.Errorf("got timeouts dial %v read %v write %v, want %v %v %v", dial, read, write, tt.dial, tt.read, tt.write)
			}
		})
	}
}

func TestNewRedisClientErrors(t *testing.T) {
	tests := []struct{ url, want string }{
		{"", "TOLLGATE_REDIS_URL is empty"},
		{"ftp://:s3cr3tpw@redis", `TOLLGATE_REDIS_URL: scheme "ftp" is not supported`},
	}
	for _, tt := range tests {
		client, _, err := newRedisClient(Config{RedisURL: tt.url})
		if err == nil {
			client.Close()
			t.Fatalf("newRedisClient(%q): got no error, want one containing %q", tt.url, tt.want)
		}
		if got := err.Error(); !strings.Contains(got, tt.want) || strings.Contains(got, "s3cr3tpw") {
			t.Errorf("newRedisClient(%q): got error %q, want it to contain %q and not the password", tt.url, got, tt.want)
		}
	}
}

// TestRedisPoolCountsDialWorkers checks that each dial worker gets a
// connection on top of the request pool, so workers waiting for calls
// never starve decisions of connections.
func TestRedisPoolCountsDialWorkers(t *testing.T) {
	perCPU := 10 * runtime.GOMAXPROCS(0)
	tests := []struct {
		url     string
		workers int
		want    int
	}{
		{"redis://h:6379/0", 32, perCPU + 32},
		{"redis://h:6379/0?pool_size=7", 32, 39},
		{"redis://h:6379/0", 4, perCPU + 4},
		{"redis+cluster://h1:7000,h2:7001?pool_size=5", 16, 21},
	}
	for _, tt := range tests {
		client, _, err := newRedisClient(Config{RedisURL: tt.url, Dial: DialConfig{Workers: tt.workers}})
		if err != nil {
			t.Fatalf("newRedisClient(%q): %v", tt.url, err)
		}
		var got int
		switch c := client.(type) {
		case *redis.Client:
			got = c.Options().PoolSize
		case *redis.ClusterClient:
			got = c.Options().PoolSize
		}
		client.Close()
		if got != tt.want {
			t.Errorf("%s with %d workers: got pool size %d, want %d", tt.url, tt.workers, got, tt.want)
		}
	}
}
