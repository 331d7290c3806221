package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// healthcheckUsage is the help of "tollgate healthcheck".
const healthcheckUsage = `Usage:
  tollgate healthcheck [-ready] [-url URL] [-timeout 3s]

Asks a running Tollgate on this machine whether it serves: GET /healthz
(the process answers), or GET /readyz?strict=true with -ready (and its Redis
answers: a degraded instance, answering by its fail modes, fails it).
Exits 0 when the answer is 200, 1 otherwise. The address comes from
TOLLGATE_ADDR (default :8080; a wildcard host means 127.0.0.1); -url names
the whole URL instead. Made for container health checks, where the image has
no shell or curl: HEALTHCHECK CMD ["/tollgate", "healthcheck"].
`

// maxHealthcheckTimeout bounds -timeout: a health check that waits longer
// than this is itself the problem.
const maxHealthcheckTimeout = time.Minute

// runHealthcheck runs "tollgate healthcheck".
func runHealthcheck(ctx context.Context, args, environ []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tollgate healthcheck", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() { fmt.Fprint(stdout, healthcheckUsage) }
	ready := fs.Bool("ready", false, "ask /readyz?strict=true (Redis answers too; degraded fails) instead of /healthz")
	target := fs.String("url", "", "the URL to GET, e.g. http://127.0.0.1:8080/readyz; default from TOLLGATE_ADDR")
	timeout := fs.Duration("timeout", 3*time.Second, "longest wait for the answer")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("healthcheck takes no arguments, got %q; see tollgate healthcheck -h", fs.Args())
	}
	if *timeout <= 0 || *timeout > maxHealthcheckTimeout {
		return fmt.Errorf("-timeout %s must be above 0 and at most %s", *timeout, maxHealthcheckTimeout)
	}
	u := *target
	if u == "" {
		addr, err := configuredAddr(environ)
		if err != nil {
			return err
		}
		path := "/healthz"
		if *ready {
			path = "/readyz?strict=true"
		}
		if u, err = healthURL(addr, path); err != nil {
			return err
		}
	} else if parsed, err := url.Parse(u); err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
		return fmt.Errorf("-url %q is not an absolute http(s) URL, e.g. http://127.0.0.1:8080/healthz", u)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	answer := strings.TrimSpace(string(body))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d: %s", u, res.StatusCode, answer)
	}
	fmt.Fprintf(stdout, "GET %s: %d %s\n", u, res.StatusCode, answer)
	return nil
}

// configuredAddr reads TOLLGATE_ADDR from environ through the key table,
// as the service does, without reading (or needing) any other setting.
func configuredAddr(environ []string) (string, error) {
	env := environMap(environ)
	for _, k := range coreConfigKeys() {
		if k.name != "TOLLGATE_ADDR" {
			continue
		}
		v := env[k.name]
		if v == "" {
			v = k.def
		}
		var c Config
		if err := k.parse(&c, v); err != nil {
			return "", fmt.Errorf("%s: %w", k.name, err)
		}
		return c.Addr, nil
	}
	return "", errors.New("TOLLGATE_ADDR is missing from the configuration table")
}

// healthURL is the URL of pathQuery (a path, and maybe ?query) on the
// server listening on addr, reached over loopback when addr listens on
// every interface.
func healthURL(addr, pathQuery string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if port == "0" {
		return "", fmt.Errorf("TOLLGATE_ADDR %s listens on a port chosen at start; pass -url with the port it chose", addr)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::", "[::]":
		host = "::1"
	}
	path, query, _ := strings.Cut(pathQuery, "?")
	return (&url.URL{Scheme: "http", Host: net.JoinHostPort(host, port), Path: path, RawQuery: query}).String(), nil
}
