package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Environment variables the bridge reads.
const (
	envURL     = "TOLLGATE_URL"
	envSecret  = "TOLLGATE_BRIDGE_SECRET"
	envTimeout = "TOLLGATE_TIMEOUT"
)

const (
	// minSecretLen is the shortest TOLLGATE_BRIDGE_SECRET accepted.
	minSecretLen = 32
	// defaultTimeout leaves time, within the 8 seconds Amazon Connect waits
	// for a Lambda at most, for the Lambda's own start.
	defaultTimeout = 3 * time.Second
	// maxTimeout is the longest wait Amazon Connect allows a Lambda.
	maxTimeout = 8 * time.Second
	// flowsPath is Tollgate's endpoint for Amazon Connect flow events,
	// relative to TOLLGATE_URL.
	flowsPath = "/flows/connect"
)

// Config is the bridge's configuration, read once from the environment.
type Config struct {
	// Endpoint is the absolute URL the bridge posts flow events to:
	// TOLLGATE_URL followed by /flows/connect.
	Endpoint string
	// Secret signs every request (TOLLGATE_BRIDGE_SECRET).
	Secret []byte
	// Timeout bounds one request to Tollgate, connecting included
	// (TOLLGATE_TIMEOUT).
	Timeout time.Duration
}

// LoadConfig reads the configuration through getenv (os.Getenv in
// production, a map lookup in tests) and validates it. Every problem found
// is in the returned error, one per line, naming the variable to fix.
func LoadConfig(getenv func(string) string) (Config, error) {
	var c Config
	var errs []error

	endpoint, err := parseBaseURL(getenv(envURL))
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", envURL, err))
	}
	c.Endpoint = endpoint

	switch secret := getenv(envSecret); {
	case secret == "":
		errs = append(errs, fmt.Errorf("%s is not set; set it to the secret Tollgate verifies bridge requests with (at least %d characters, e.g. from openssl rand -hex 32)", envSecret, minSecretLen))
	case len(secret) < minSecretLen:
		errs = append(errs, fmt.Errorf("%s is %d characters; use at least %d (e.g. openssl rand -hex 32)", envSecret, len(secret), minSecretLen))
	default:
		c.Secret = []byte(secret)
	}

	c.Timeout = defaultTimeout
	if v := getenv(envTimeout); v != "" {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s=%q is not a duration; use a value such as 3s or 2500ms", envTimeout, v))
		case d <= 0 || d > maxTimeout:
			errs = append(errs, fmt.Errorf("%s=%q is out of range; use more than 0 and at most %s, the longest Amazon Connect waits for a Lambda", envTimeout, v, maxTimeout))
		default:
			c.Timeout = d
		}
	}

	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return c, nil
}

// parseBaseURL checks Tollgate's base URL and returns the flow endpoint
// under it. The URL must be absolute and https, except that http is allowed
// for a loopback host.
func parseBaseURL(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("not set; set it to Tollgate's base URL, such as https://tollgate.example.com")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("%q is not an absolute URL; use a form such as https://tollgate.example.com", raw)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	case u.Scheme == "http":
		return "", fmt.Errorf("%q uses http; use https (http is allowed only for localhost)", raw)
	default:
		return "", fmt.Errorf("%q: scheme %q is not supported; use https", raw, u.Scheme)
	}
	if u.User != nil {
		return "", fmt.Errorf("%q holds credentials; remove them, requests are signed with %s", redact(u), envSecret)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", fmt.Errorf("%q has a query or fragment; give the base URL only", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/") + flowsPath
	u.RawPath = ""
	return u.String(), nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func redact(u *url.URL) string {
	c := *u
	c.User = url.User("REDACTED")
	return c.String()
}
