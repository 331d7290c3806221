package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/risk/redistest"
)

// instance is one tollgate process the test started from the built binary.
type instance struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	base string
	// exited is closed once the process exited, with its error in err.
	exited chan struct{}
	err    error
}

// wait reports whether the process exited within d, and its exit error.
func (in *instance) wait(d time.Duration) (bool, error) {
	select {
	case <-in.exited:
		return true, in.err
	case <-time.After(d):
		return false, nil
	}
}

// buildTollgate builds the binary into a temporary directory, with env
// (e.g. CGO_ENABLED=0) added to the build's environment.
func buildTollgate(t *testing.T, env ...string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "tollgate")
	// No deadline of its own: a build with other settings (CGO_ENABLED=0)
	// rebuilds the standard library, which takes minutes on a fresh, busy
	// machine; go test's -timeout bounds it.
	build := exec.CommandContext(t.Context(), goTool, "build", "-o", bin, ".")
	build.Env = append(os.Environ(), env...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startBinary runs bin with env on a free loopback port and waits until it
// listens.
func startBinary(t *testing.T, bin string, env ...string) *instance {
	t.Helper()
	in := &instance{exited: make(chan struct{})}
	in.logs = &syncBuffer{ended: in.exited}
	in.cmd = exec.Command(bin)
	in.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "TOLLGATE_ADDR=127.0.0.1:0", "TOLLGATE_LOG_FORMAT=json"}, env...)
	in.cmd.Stdout, in.cmd.Stderr = in.logs, in.logs
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { in.err = in.cmd.Wait(); close(in.exited) }()
	t.Cleanup(func() {
		in.cmd.Process.Kill()
		in.wait(10 * time.Second)
	})
	// The port is chosen when it listens: the log line is the only place
	// that tells it.
	in.base = "http://" + in.logs.waitFor(t, "listening", nil)["addr"].(string)
	return in
}

// callback asks in for a callback for number n from an address of its own
// and returns the status and the callback id.
func (in *instance) callback(t *testing.T, n int) (int, string) {
	t.Helper()
	status, body := postJSON(t, in.base+"/api/v1/callbacks", fmt.Sprintf(`{"phone":%q}`, crashNumber(n)),
		"X-Forwarded-For", fmt.Sprintf("198.51.%d.7", n%200))
	id, _, _ := strings.Cut(strings.TrimPrefix(body, `{"status":"accepted","id":"`), `"`)
	return status, id
}

// crashNumber is callback n's number, far from every other.
func crashNumber(n int) string { return spreadNumber(201, n) }

// journaled returns how many times each call id is in the journal.
func journaled(t *testing.T, path string) map[string]int {
	t.Helper()
	entries, err := dispatch.ReadSimulatorJournal(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range entries {
		out[e.ID]++
	}
	return out
}

// waitJournal waits until holds is true of the journal's count of each
// call id, described by what, and returns the counts.
func waitJournal(t *testing.T, path, what string, holds func(map[string]int) bool) map[string]int {
	t.Helper()
	read := func(context.Context) (map[string]int, error) {
		t.Helper()
		return journaled(t, path), nil
	}
	return waitUntil(t, what+" in the simulator's journal", read, holds)
}

// allowedIDs are the ids of the allowed decisions in the decision log.
func allowedIDs(t *testing.T, rdb *redis.Client) []string {
	t.Helper()
	msgs, err := rdb.XRange(context.Background(), "tg:{calls}:decisions", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range msgs {
		if m.Values["action"] == "allow" {
			ids = append(ids, m.Values["id"].(string))
		}
	}
	return ids
}

func TestBinaryCrashAndShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildTollgate(t)
	t.Run("SIGKILL mid-dispatch: every accepted callback dialled exactly once", func(t *testing.T) {
		testCrash(t, bin)
	})
	t.Run("SIGTERM: in-flight requests finish, unacknowledged calls handed back", func(t *testing.T) {
		testGracefulShutdown(t, bin)
	})
}

func testCrash(t *testing.T, bin string) {
	rs := redistest.NewServer(t)
	rdb := rs.Client()
	journal := filepath.Join(t.TempDir(), "calls.jsonl")
	env := []string{
		"TOLLGATE_REDIS_URL=redis://" + rs.Addr + "/0", "TOLLGATE_TRUSTED_PROXIES=127.0.0.1",
		"TOLLGATE_SIMULATOR_JOURNAL=" + journal, "TOLLGATE_SIMULATOR_DURATION=1s",
		"TOLLGATE_DIAL_WORKERS=4", "TOLLGATE_DIAL_TIMEOUT=1500ms", "TOLLGATE_DIAL_CLAIM_IDLE=2s",
		"TOLLGATE_DIAL_RATE=0", "TOLLGATE_DIAL_COUNTRY_RATE=0",
	}
	first := startBinary(t, bin, env...)
	const calls = 16
	for n := range calls {
		if status, _ := first.callback(t, n); status != http.StatusAccepted {
			t.Fatalf("callback %d: status %d, want 202", n, status)
		}
	}
	allowed := allowedIDs(t, rdb)
	if len(allowed) < calls/2 {
		t.Fatalf("%d of %d callbacks allowed, want most", len(allowed), calls)
	}
	// Kill it while calls are being dialled: some journaled, not all.
	waitJournal(t, journal, "two calls dialled", func(j map[string]int) bool { return len(j) >= 2 })
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if ok, _ := first.wait(10 * time.Second); !ok {
		t.Fatal("tollgate still running 10s after SIGKILL")
	}
	before := journaled(t, journal)
	if len(before) >= len(allowed) {
		t.Fatalf("every call was dialled before the kill (%d); nothing was in flight", len(before))
	}
	t.Logf("killed with %d of %d allowed calls dialled", len(before), len(allowed))

	startBinary(t, bin, env...)
	waitJournal(t, journal, fmt.Sprintf("after the restart, every allowed call of %v dialled", allowed), func(j map[string]int) bool {
		for _, id := range allowed {
			if j[id] == 0 {
				return false
			}
		}
		return true
	})
	// Past another claim-idle period and lease, nothing is dialled again.
	time.Sleep(4 * time.Second)
	j := journaled(t, journal)
	want := map[string]bool{}
	for _, id := range allowed {
		want[id] = true
		if j[id] != 1 {
			t.Errorf("call %s dialled %d times, want exactly once", id, j[id])
		}
		if st := rdb.HGet(context.Background(), "tg:{calls}:c:"+id, "state").Val(); st != "ended" {
			t.Errorf("call %s is %q, want ended", id, st)
		}
	}
	for id := range j {
		if !want[id] {
			t.Errorf("call %s was dialled but was not an allowed callback", id)
		}
	}
}

func testGracefulShutdown(t *testing.T, bin string) {
	rs := redistest.NewServer(t)
	rdb := rs.Client()
	api := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	proxy := toxiproxy.NewProxy(api, "redis", "127.0.0.1:0", rs.Addr)
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Stop)
	journal := filepath.Join(t.TempDir(), "calls.jsonl")
	env := []string{
		"TOLLGATE_REDIS_URL=redis://" + proxy.Listen + "/0", "TOLLGATE_TRUSTED_PROXIES=127.0.0.1",
		"TOLLGATE_SIMULATOR_JOURNAL=" + journal, "TOLLGATE_SIMULATOR_DURATION=3s",
		"TOLLGATE_DIAL_WORKERS=1", "TOLLGATE_DIAL_RATE=0", "TOLLGATE_DIAL_COUNTRY_RATE=0",
		"TOLLGATE_DECISION_BUDGET=3s", "TOLLGATE_SHUTDOWN_TIMEOUT=10s",
	}
	cfg, err := LoadConfigEnviron(env)
	if err != nil {
		t.Fatal(err)
	}
	first := startBinary(t, bin, env...)
	host, _ := os.Hostname()
	worker := fmt.Sprintf("%s-%d-0", host, first.cmd.Process.Pid)

	// The one worker dials a first call for 3s ...
	status, id := first.callback(t, 100)
	if status != http.StatusAccepted {
		t.Fatalf("first call: status %d", status)
	}
	waitJournal(t, journal, "the first call dialled", func(j map[string]int) bool { return j[id] == 1 })
	// ... while a second is delivered to it and not yet acknowledged, as
	// when a read returns just as shutdown begins.
	status, handed := first.callback(t, 101)
	if status != http.StatusAccepted {
		t.Fatalf("second call: status %d", status)
	}
	msgs, err := rdb.XReadGroup(context.Background(), &redis.XReadGroupArgs{
		Group: "dispatch", Consumer: worker, Streams: []string{"tg:{calls}:queue", ">"}, Count: 1,
	}).Result()
	if err != nil || len(msgs) != 1 || len(msgs[0].Messages) != 1 || msgs[0].Messages[0].Values["id"] != handed {
		t.Fatalf("delivering the second call to %s: %v %v", worker, msgs, err)
	}
	// Left pending, it would be taken over a claim idle from now.
	reclaimable := time.Now().Add(cfg.Faults.ClaimIdle)

	// Requests in flight when SIGTERM comes finish with their answers.
	if _, err := proxy.Toxics.AddToxicJson(strings.NewReader(`{"name":"slow","type":"latency","stream":"downstream","attributes":{"latency":300}}`)); err != nil {
		t.Fatal(err)
	}
	// They ask for the handed-back call's number, whose callback is
	// outstanding: answered, and no call queued ahead of it.
	const inFlight = 6
	statuses := make(chan int, inFlight)
	var wg sync.WaitGroup
	for n := range inFlight {
		wg.Go(func() {
			resp, err := http.Post(first.base+"/api/v1/callbacks", "application/json",
				strings.NewReader(fmt.Sprintf(`{"phone":%q}`, crashNumber(101))))
			if err != nil {
				t.Errorf("in-flight request %d: %v", n, err)
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	time.Sleep(150 * time.Millisecond)
	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != http.StatusOK && s != http.StatusAccepted {
			t.Errorf("in-flight request answered %d, want 200 or 202", s)
		}
	}
	if ok, err := first.wait(15 * time.Second); !ok {
		t.Fatal("tollgate still running 15s after SIGTERM")
	} else if err != nil {
		t.Errorf("tollgate exited with %v after SIGTERM, want 0", err)
	}
	// The log line is the subject: the instance reports what it handed
	// back. It has exited, so its log is whole.
	first.logs.waitFor(t, "calls handed back to the queue at shutdown", nil)
	pending, err := rdb.XPending(context.Background(), "tg:{calls}:queue", "dispatch").Result()
	if err != nil || pending.Count != 0 {
		t.Errorf("pending after shutdown: %+v %v, want none", pending, err)
	}

	// Another instance dials the handed-back call at once, not once the
	// claim idle has passed, as it would a call left pending.
	if err := proxy.Toxics.RemoveToxic(context.Background(), "slow"); err != nil {
		t.Fatal(err)
	}
	startBinary(t, bin, env...)
	waitJournal(t, journal, "the handed-back call "+handed+" dialled", func(j map[string]int) bool { return j[handed] == 1 })
	if late := time.Since(reclaimable); late >= 0 {
		t.Errorf("the handed-back call %s was dialled %v after it could have been reclaimed, want before: it was not handed back", handed, late)
	}
}
