package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Timeouts used unless the Redis URL sets its own (dial_timeout,
// read_timeout, write_timeout). A decision waits on Redis, so they are short.
const (
	redisDialTimeout  = 2 * time.Second
	redisReadTimeout  = time.Second
	redisWriteTimeout = time.Second
)

// redisURLForms is the fix offered when a Redis URL cannot be used.
const redisURLForms = "use redis://host:6379/0, rediss://host:6379/0 for TLS, or redis+cluster://host1:6379,host2:6379"

// newRedisClient connects to the Redis that cfg.RedisURL names, returning
// mode "single" or "cluster". The client dials lazily: the first command
// tells whether Redis is reachable. An empty URL, meaning the embedded
// store, is an error here.
func newRedisClient(cfg Config) (redis.UniversalClient, string, error) {
	if cfg.RedisURL == "" {
		return nil, "", errors.New("TOLLGATE_REDIS_URL is empty: the embedded store needs no Redis client")
	}
	single, cluster, err := parseRedisURL(cfg.RedisURL)
	if err != nil {
		return nil, "", fmt.Errorf("TOLLGATE_REDIS_URL: %w", err)
	}
	// Deadlines of a request's context bound its commands' network reads
	// and writes, so the decision budget holds.
	if cluster != nil {
		applyRedisTimeouts(&cluster.DialTimeout, &cluster.ReadTimeout, &cluster.WriteTimeout)
		cluster.PoolSize = poolSize(cluster.PoolSize, cfg.Dial.Workers)
		cluster.ContextTimeoutEnabled = true
		return redis.NewClusterClient(cluster), "cluster", nil
	}
	applyRedisTimeouts(&single.DialTimeout, &single.ReadTimeout, &single.WriteTimeout)
	single.PoolSize = poolSize(single.PoolSize, cfg.Dial.Workers)
	single.ContextTimeoutEnabled = true
	return redis.NewClient(single), "single", nil
}

// poolSize is the connection pool for requests (pool_size from the URL,
// or go-redis's 10 per CPU when unset) plus one connection per dial
// worker: each worker holds a connection for up to a second while it
// waits for a call (XREADGROUP BLOCK), and without its own, workers
// outnumbering the pool would make every decision wait for one.
func poolSize(configured, workers int) int {
	if configured <= 0 {
		configured = 10 * runtime.GOMAXPROCS(0)
	}
	return configured + max(workers, 0)
}

// applyRedisTimeouts fills in the timeouts the URL left zero; go-redis's
// negative values for "no timeout" are kept. A write timeout left zero beside
// a read timeout the URL set follows it, as go-redis does.
func applyRedisTimeouts(dial, read, write *time.Duration) {
	if *dial == 0 {
		*dial = redisDialTimeout
	}
	if *read == 0 {
		*read = redisReadTimeout
		if *write == 0 {
			*write = redisWriteTimeout
		}
	}
}

// parseRedisURL parses a Redis URL into options for a single node or for a
// cluster; exactly one of the two is non-nil when err is nil. It accepts
//
//	redis://[user:pass@]host[:port][/db][?options]   single node
//	rediss://...                                     single node over TLS
//	unix://[user:pass@]/path/to/socket[?options]     single node on a socket
//	redis+cluster://[user:pass@]host1:port1,host2:port2[/][?options]
//	rediss+cluster://...                             cluster over TLS
//	redis://[user:pass@]host1:port1,redis://host2:port2   cluster
//
// where options are go-redis's URL query parameters. Cluster forms are
// rewritten into the redis://host1?addr=host2 form of redis.ParseClusterURL.
// Errors never contain the user name or password.
func parseRedisURL(raw string) (*redis.Options, *redis.ClusterOptions, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || !validScheme(scheme) {
		if strings.Contains(raw, "@") {
			return nil, nil, errors.New("no scheme; " + redisURLForms)
		}
		return nil, nil, fmt.Errorf("%q has no scheme; %s", raw, redisURLForms)
	}
	switch scheme = strings.ToLower(scheme); scheme {
	case "unix", "redis", "rediss":
		if scheme != "unix" && strings.Contains(rest, ",") {
			o, err := parseClusterURLList(raw)
			return nil, o, err
		}
		u, err := parseURL(raw)
		if err != nil {
			return nil, nil, err
		}
		o, err := redis.ParseURL(raw)
		if err != nil {
			return nil, nil, redact(err, u.User)
		}
		return o, nil, nil
	case "redis+cluster", "rediss+cluster":
		o, err := parseClusterHostList(strings.TrimSuffix(scheme, "+cluster"), rest)
		return nil, o, err
	default:
		return nil, nil, fmt.Errorf("scheme %q is not supported; %s", scheme, redisURLForms)
	}
}

// validScheme reports whether s is a syntactically valid URL scheme.
func validScheme(s string) bool {
	for i, r := range s {
		letter := 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
		if !letter && (i == 0 || !('0' <= r && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return false
		}
	}
	return s != ""
}

// parseURL parses a URL with a host, without ever putting its user
// information in an error.
func parseURL(raw string) (*url.URL, error) {
	if _, rest, _ := strings.Cut(raw, "://"); !strings.HasPrefix(strings.ToLower(raw), "unix:") {
		// An @ past the host means the password holds an unescaped / ? or #,
		// and url.Parse would quote pieces of it as path or port.
		if end := strings.IndexAny(rest, "/?#"); end >= 0 && strings.LastIndex(rest, "@") > end {
			return nil, errors.New("an @ follows the host; percent-encode / ? # @ and , in the user name and password (/ as %2F, ? as %3F, # as %23, @ as %40, , as %2C)")
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		if strings.Contains(raw, "@") {
			return nil, errors.New("not a valid URL; check that special characters in the user name and password are percent-encoded")
		}
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return nil, fmt.Errorf("not a valid URL: %v; %s", err, redisURLForms)
	}
	return u, nil
}

// parseClusterHostList parses the part after "redis+cluster://" (or
// "rediss+cluster://"), whose host is a comma-separated list of nodes.
func parseClusterHostList(scheme, rest string) (*redis.ClusterOptions, error) {
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority := rest[:end]
	at := strings.LastIndex(authority, "@")
	hosts := strings.Split(authority[at+1:], ",")
	u, err := parseURL(scheme + "://" + authority[:at+1] + hosts[0] + rest[end:])
	if err != nil {
		return nil, err
	}
	if err := checkClusterPath(u.Path); err != nil {
		return nil, err
	}
	return clusterOptions(scheme, u.User, hosts, u.Query())
}

// parseClusterURLList parses comma-separated redis:// or rediss:// URLs, one
// per cluster node, sharing one scheme, user, password and options.
func parseClusterURLList(raw string) (*redis.ClusterOptions, error) {
	var (
		scheme string
		user   *url.Userinfo
		hosts  []string
		query  = url.Values{}
	)
	parts := strings.Split(raw, ",")
	for i, part := range parts {
		if !strings.Contains(part, "://") {
			return nil, fmt.Errorf("entry %d of the comma-separated list is not a redis:// URL; "+
				"list cluster nodes as redis+cluster://host1:6379,host2:6379 or as full redis:// URLs, "+
				"and percent-encode a comma in the password as %%2C", i+1)
		}
	}
	for i, part := range parts {
		u, err := parseURL(part)
		if err != nil && strings.Contains(raw, "@") {
			// A comma in the password may have cut it anywhere.
			err = errors.New("not a valid URL; check that special characters in the user name and password are percent-encoded")
		}
		if err != nil {
			return nil, fmt.Errorf("entry %d of the comma-separated list: %w", i+1, err)
		}
		u.Scheme = strings.ToLower(u.Scheme)
		switch {
		case u.Scheme != "redis" && u.Scheme != "rediss":
			return nil, fmt.Errorf("scheme %q is not supported in a list of cluster nodes; use redis:// or rediss://", u.Scheme)
		case scheme == "":
			scheme = u.Scheme
		case u.Scheme != scheme:
			return nil, fmt.Errorf("the URLs mix %s:// and %s://; a cluster uses TLS on every node or on none", scheme, u.Scheme)
		}
		switch {
		case u.User == nil:
		case user == nil:
			user = u.User
		case u.User.String() != user.String():
			return nil, errors.New("the URLs carry different user names or passwords; a cluster has one, so give it once or identically")
		}
		if err := checkClusterPath(u.Path); err != nil {
			return nil, fmt.Errorf("entry %d of the comma-separated list: %w", i+1, err)
		}
		for k, vs := range u.Query() {
			if k == "addr" {
				query[k] = append(query[k], vs...)
			} else if prev, ok := query[k]; ok && !slices.Equal(prev, vs) {
				return nil, fmt.Errorf("option %s differs between the URLs; give it once or identically", k)
			} else {
				query[k] = vs
			}
		}
		hosts = append(hosts, u.Host)
	}
	return clusterOptions(scheme, user, hosts, query)
}

// checkClusterPath accepts only database 0, the only one a cluster has.
func checkClusterPath(path string) error {
	if path != "" && path != "/" && path != "/0" {
		return fmt.Errorf("path %q selects a database, but a cluster has only database 0; remove it", path)
	}
	return nil
}

// clusterOptions hands the nodes to redis.ParseClusterURL as
// scheme://user@host1?addr=host2&addr=host3&options.
func clusterOptions(scheme string, user *url.Userinfo, hosts []string, query url.Values) (*redis.ClusterOptions, error) {
	nodes := make([]string, len(hosts))
	for i, h := range hosts {
		n, err := clusterNode(h)
		if err != nil {
			return nil, err
		}
		nodes[i] = n
	}
	q := url.Values{}
	for k, vs := range query {
		q[k] = slices.Clone(vs)
	}
	q["addr"] = append(slices.Clone(nodes[1:]), q["addr"]...)
	u := url.URL{Scheme: scheme, User: user, Host: nodes[0], RawQuery: q.Encode()}
	o, err := redis.ParseClusterURL(u.String())
	if err != nil {
		return nil, redact(err, user)
	}
	if o.TLSConfig != nil && o.TLSConfig.MinVersion == 0 {
		o.TLSConfig.MinVersion = tls.VersionTLS12
	}
	return o, nil
}

// clusterNode returns h as host:port, the port 6379 when h has none.
func clusterNode(h string) (string, error) {
	if h == "" {
		return "", errors.New("the list of cluster nodes has an empty entry; write redis+cluster://host1:6379,host2:6379")
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		switch {
		case strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]"):
			host, port = h[1:len(h)-1], "6379"
		case !strings.Contains(h, ":"):
			host, port = h, "6379"
		default:
			return "", fmt.Errorf("cluster node %q is not host:port; write IPv6 addresses as [::1]:6379", h)
		}
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil || host == "" || strings.ContainsAny(host, "[]") {
		return "", fmt.Errorf("cluster node %q is not host:port; use e.g. redis-1:6379 or [::1]:6379", h)
	}
	return net.JoinHostPort(host, port), nil
}

// redact returns err's message, as a new error, with the password in user,
// in plain and escaped forms, replaced by xxxxx.
func redact(err error, user *url.Userinfo) error {
	msg := err.Error()
	if user == nil {
		return errors.New(msg)
	}
	secrets := []string{user.String()}
	if p, ok := user.Password(); ok {
		secrets = append(secrets, p, url.PathEscape(p), url.QueryEscape(p))
	}
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "xxxxx")
		}
	}
	return errors.New(msg)
}
