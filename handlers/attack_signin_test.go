package handlers

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/risk/redistest"
)

// TestAttackSignInBurst signs in as an attacker would to exhaust the
// server: 256 attempts for a locked name from one address, 64 at a time.
// Every attempt counts against the address before any password is hashed,
// so past the limit they are refused with 429 and Retry-After; no more
// hashes run at once than the machine has cores; and the callback API
// keeps answering meanwhile.
func TestAttackSignInBurst(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := newStackOn(t, rdb, nil, &dispatch.Simulator{})
		ctx := context.Background()
		if _, err := st.users.CreateUser(ctx, "ann", testPassword, auth.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		for range auth.DefaultThrottle.AccountFailures {
			st.users.Authenticate(ctx, "ann", "wrong password here", "198.51.100.1")
		}
		if u, _ := st.users.User(ctx, "ann"); u.LockedUntil.IsZero() {
			t.Fatal("ann is not locked")
		}

		const attempts, workers = 256, 64
		var mu sync.Mutex
		statuses := map[int]int{}
		var retryAfter []string
		var errs []error
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sc, err := newSignInClient(st.url)
				for range attempts / workers {
					var status int
					var retry string
					if err == nil {
						status, retry, err = sc.signIn("ann", testPassword, "203.0.113.9")
					}
					mu.Lock()
					if err != nil {
						errs = append(errs, err)
					} else {
						statuses[status]++
						if status == http.StatusTooManyRequests {
							retryAfter = append(retryAfter, retry)
						}
					}
					mu.Unlock()
				}
			}()
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()

		// The public callback API answers during the burst.
		callbacks := 0
	posting:
		for i := range 30 {
			body := fmt.Sprintf(`{"phone":"+1 201 %03d 0123"}`, 300+i*11)
			status, _, _ := st.postFrom(t, fmt.Sprintf("192.0.2.%d", 10+i), body)
			if status != http.StatusAccepted && status != http.StatusOK {
				t.Errorf("callback %d during the burst: status %d, want 202 or 200", i+1, status)
			}
			callbacks++
			select {
			case <-done:
				break posting
			default:
			}
		}
		<-done

		if len(errs) > 0 {
			t.Fatalf("%d sign-ins got no answer, the first: %v", len(errs), errs[0])
		}
		if got := statuses[http.StatusTooManyRequests]; got < 200 {
			t.Errorf("answers of 429: got %d of %d (%v), want at least 200", got, attempts, statuses)
		}
		for code, n := range statuses {
			if code != http.StatusTooManyRequests && code != http.StatusUnauthorized {
				t.Errorf("%d answers of %d, want only 401 and 429", n, code)
			}
		}
		for _, ra := range retryAfter {
			if ra == "" || ra == "0" {
				t.Errorf("a 429 with Retry-After %q, want a positive number of seconds", ra)
				break
			}
		}
		if got, want := st.users.PeakHashes(), runtime.GOMAXPROCS(0); got > want || got < 1 {
			t.Errorf("password hashes at once: got %d, want 1 to %d", got, want)
		}
		t.Logf("answers %v; %d callbacks during the burst; peak hashes %d; %s", statuses, callbacks, st.users.PeakHashes(), peakRSS())
	})
}

// signInClient is a browser at one address posting the sign-in form,
// safe to use from a goroutine of its own: it reports errors rather than
// failing a test.
type signInClient struct {
	base string
	http *http.Client
	csrf string
}

// newSignInClient fetches the sign-in form, for its CSRF cookie and token.
func newSignInClient(base string) (*signInClient, error) {
	jar, _ := cookiejar.New(nil)
	sc := &signInClient{base: base, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	resp, err := sc.http.Get(base + admin.SignInPath)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := csrfField.FindSubmatch(b)
	if m == nil {
		return nil, fmt.Errorf("sign-in page: status %d, no CSRF token", resp.StatusCode)
	}
	sc.csrf = string(m[1])
	return sc, nil
}

// signIn posts the form as the visitor at ip and returns the status and
// the Retry-After header.
func (sc *signInClient) signIn(name, password, ip string) (int, string, error) {
	form := url.Values{"name": {name}, "password": {password}, "_csrf": {sc.csrf}}
	req, _ := http.NewRequest(http.MethodPost, sc.base+admin.SignInPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	req.Header.Set("X-Forwarded-For", ip)
	resp, err := sc.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), nil
}

// peakRSS reads the test process's peak resident memory from
// /proc/self/status, for the log; "" where there is none.
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return "peak RSS " + strings.Join(strings.Fields(strings.TrimPrefix(line, "VmHWM:")), " ")
		}
	}
	return ""
}
