package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// serverOptions say how to start a Tollgate for one run.
type serverOptions struct {
	// binary is the tollgate executable.
	binary string
	// geoDir holds the generated GeoIP databases.
	geoDir string
	// redisURL is TOLLGATE_REDIS_URL; empty for a fresh embedded store.
	redisURL string
	// log receives the server's output.
	log io.Writer
	// env holds more NAME=value settings; they override the defaults.
	env []string
}

// tollgate is a running Tollgate the simulator started, with the
// credentials it uses against it.
type tollgate struct {
	base    string
	flowKey string
	token   string
	// visitorSecret signs visitor tokens (TOLLGATE_VISITOR_TOKEN_SECRET).
	visitorSecret []byte
	cmd           *exec.Cmd
	done          chan error
}

// buildTollgate builds ./cmd/tollgate of this module into dir.
func buildTollgate(ctx context.Context, dir string) (string, error) {
	out := filepath.Join(dir, "tollgate")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "github.com/tollgate/tollgate/cmd/tollgate")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building tollgate: %w\n%s", err, b)
	}
	return out, nil
}

// freePort returns a loopback port nobody listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startTollgate starts the server on a free loopback port, waits for it to
// be ready and signs in for an admin API token.
func startTollgate(ctx context.Context, o serverOptions) (*tollgate, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	paths := map[string]string{
		"TOLLGATE_GEOIP_COUNTRY_DB":   filepath.Join(o.geoDir, "GeoIP2-Country.mmdb"),
		"TOLLGATE_GEOIP_ASN_DB":       filepath.Join(o.geoDir, "GeoLite2-ASN.mmdb"),
		"TOLLGATE_GEOIP_ANONYMOUS_DB": filepath.Join(o.geoDir, "GeoIP2-Anonymous-IP.mmdb"),
	}
	t := &tollgate{base: fmt.Sprintf("http://127.0.0.1:%d", port), flowKey: randomHex(16), visitorSecret: []byte(randomHex(24)), done: make(chan error, 1)}
	password := randomHex(12)
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"TOLLGATE_ADDR=" + fmt.Sprintf("127.0.0.1:%d", port),
		"TOLLGATE_TRUSTED_PROXIES=127.0.0.1",
		"TOLLGATE_FLOW_API_KEY=" + t.flowKey,
		"TOLLGATE_VISITOR_TOKEN_SECRET=" + string(t.visitorSecret),
		"TOLLGATE_ADMIN_USER=sim", "TOLLGATE_ADMIN_PASSWORD=" + password,
		"TOLLGATE_ADMIN_INSECURE_COOKIES=true",
		"TOLLGATE_DEMO_DATA=false",
		// Dispatch rates only delay calls, never refuse them: uncapped, the
		// queue drains while the run lasts.
		// The simulated dialer holds a worker 2 s a call: enough workers keep
		// calls from queueing, so a number's hold ends with its call.
		"TOLLGATE_DIAL_RATE=0", "TOLLGATE_DIAL_COUNTRY_RATE=0", "TOLLGATE_DIAL_WORKERS=32",
		"TOLLGATE_LOG_FORMAT=json", "TOLLGATE_LOG_LEVEL=warn",
	}
	for k, v := range paths {
		env = append(env, k+"="+v)
	}
	if o.redisURL != "" {
		env = append(env, "TOLLGATE_REDIS_URL="+o.redisURL)
	}
	env = append(env, o.env...)
	t.cmd = exec.Command(o.binary)
	t.cmd.Env, t.cmd.Stdout, t.cmd.Stderr = env, o.log, o.log
	if err := t.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", o.binary, err)
	}
	go func() { t.done <- t.cmd.Wait() }()
	if err := t.waitReady(ctx); err != nil {
		t.stop()
		return nil, err
	}
	if t.token, err = signIn(ctx, t.base, "sim", password); err != nil {
		t.stop()
		return nil, err
	}
	return t, nil
}

// waitReady polls /readyz for up to 30 seconds.
func (t *tollgate) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-t.done:
			t.done <- err // for stop, which waits for the exit too
			return fmt.Errorf("tollgate exited at start: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		res, err := http.Get(t.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return errors.New("tollgate was not ready within 30s")
}

// stop ends the server with SIGINT and waits up to 15 seconds.
func (t *tollgate) stop() {
	_ = t.cmd.Process.Signal(os.Interrupt)
	select {
	case <-t.done:
	case <-time.After(15 * time.Second):
		_ = t.cmd.Process.Kill()
		<-t.done
	}
}

// signIn signs in to the console as a person would and creates an admin
// API token, returning its secret.
func signIn(ctx context.Context, base, name, password string) (string, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	post := func(path string, form url.Values) (int, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(form.Encode()))
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		res, err := c.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		return res.StatusCode, string(b), err
	}
	if _, _, err := post("/admin/sign-in", url.Values{"name": {name}, "password": {password}}); err != nil {
		return "", fmt.Errorf("sign-in: %w", err)
	}
	u, _ := url.Parse(base + "/admin/")
	if !hasCookie(jar.Cookies(u), "tollgate_admin") {
		return "", errors.New("sign-in: no tollgate_admin session cookie")
	}
	status, page, err := post("/admin/tokens", url.Values{"label": {"tollgate-sim"}, "role": {"admin"}})
	if err != nil {
		return "", fmt.Errorf("creating a token: %w", err)
	}
	const marker = `data-testid="new-token-secret">`
	_, rest, ok := strings.Cut(page, marker)
	secret, _, _ := strings.Cut(rest, "<")
	if status != http.StatusCreated || !ok || secret == "" {
		return "", fmt.Errorf("creating a token: status %d, no secret on the page", status)
	}
	return secret, nil
}

func hasCookie(cs []*http.Cookie, name string) bool {
	for _, c := range cs {
		if c.Name == name {
			return true
		}
	}
	return false
}

// checkLoopback refuses a base URL whose host is not a loopback address.
func checkLoopback(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	a, err := netip.ParseAddr(u.Hostname())
	if err != nil || !a.IsLoopback() {
		return fmt.Errorf("target %s is not a loopback address; the simulator only drives a local Tollgate", base)
	}
	return nil
}
