package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

const (
	// startTimeout bounds how long one redis-server may take to answer PING.
	startTimeout = 10 * time.Second
	// stopTimeout bounds how long a killed redis-server may take to be reaped.
	stopTimeout = 10 * time.Second
	// bindAttempts is how many fresh ports are tried when another process
	// takes the chosen one before redis-server binds it.
	bindAttempts = 5
	// logTail is how much of a failed server's log goes into its error.
	logTail = 4 << 10
)

// process is one running redis-server and the temporary directory it owns.
type process struct {
	addr    string
	busPort int
	dir     string
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

// startProcess runs redis-server on fresh loopback ports; cluster adds the
// cluster-mode flags and a cluster bus port.
func startProcess(cluster bool) (*process, error) {
	bin, err := lookRedisServer()
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		p, portTaken, err := launch(bin, cluster)
		if err == nil {
			return p, nil
		}
		if !portTaken || attempt == bindAttempts {
			return nil, err
		}
	}
}

// launch makes one attempt at starting redis-server; portTaken reports a
// failure caused by another process binding a chosen port first.
func launch(bin string, cluster bool) (p *process, portTaken bool, err error) {
	nports := 1
	if cluster {
		nports = 2
	}
	ports, err := freePorts(nports)
	if err != nil {
		return nil, false, err
	}
	return launchOn(bin, cluster, ports)
}

// launchOn makes one attempt at starting redis-server on ports: the
// client port, and the cluster bus port when cluster is set.
func launchOn(bin string, cluster bool, ports []int) (p *process, portTaken bool, err error) {
	dir, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		return nil, false, fmt.Errorf("redistest: %w", err)
	}
	logFile, err := os.Create(filepath.Join(dir, "redis.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, false, fmt.Errorf("redistest: %w", err)
	}

	args := []string{
		"--port", strconv.Itoa(ports[0]),
		"--bind", "127.0.0.1",
		"--protected-mode", "yes",
		"--save", "",
		"--appendonly", "no",
		"--dir", dir,
		"--logfile", "",
		"--daemonize", "no",
		"--shutdown-on-sigterm", "nosave now",
	}
	if cluster {
		args = append(args,
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "2000",
			"--cluster-port", strconv.Itoa(ports[1]),
			"--cluster-announce-ip", "127.0.0.1",
		)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr()

	p = &process{
		addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])),
		dir:  dir,
		cmd:  cmd,
		done: make(chan struct{}),
	}
	if cluster {
		p.busPort = ports[1]
	}
	started := make(chan error, 1)
	go p.run(started)
	err = <-started
	logFile.Close()
	if err != nil {
		os.RemoveAll(dir)
		return nil, false, fmt.Errorf("redistest: start %s: %w", bin, err)
	}
	if err := p.waitReady(); err != nil {
		portTaken = strings.Contains(p.logTail(), "Address already in use")
		p.kill()
		return nil, portTaken, err
	}
	return p, false, nil
}

// run starts the process and waits for it on a goroutine locked to its OS
// thread: on Linux the parent-death signal fires when the thread that forked
// the child exits, so that thread must outlive the child.
func (p *process) run(started chan<- error) {
	runtime.LockOSThread()
	if err := p.cmd.Start(); err != nil {
		runtime.UnlockOSThread()
		started <- err
		return
	}
	started <- nil
	p.waitErr = p.cmd.Wait()
	close(p.done)
}

func (p *process) waitReady() error {
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-p.done:
			return fmt.Errorf("redistest: redis-server on %s exited during startup (%v); log:\n%s", p.addr, p.waitErr, p.logTail())
		default:
		}
		if ping(p.addr) == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redistest: redis-server on %s did not answer PING within %v; log:\n%s", p.addr, startTimeout, p.logTail())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// kill stops the process and everything in its process group, reaps it and
// removes its directory.
func (p *process) kill() error {
	var errs []error
	select {
	case <-p.done:
	default:
		if err := killGroup(p.cmd.Process); err != nil && !errors.Is(err, os.ErrProcessDone) {
			errs = append(errs, fmt.Errorf("redistest: kill redis-server on %s: %w", p.addr, err))
		}
	}
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		errs = append(errs, fmt.Errorf("redistest: redis-server on %s (pid %d) still running %v after kill", p.addr, p.cmd.Process.Pid, stopTimeout))
	}
	if err := os.RemoveAll(p.dir); err != nil {
		errs = append(errs, fmt.Errorf("redistest: %w", err))
	}
	return errors.Join(errs...)
}

func (p *process) logTail() string {
	f, err := os.Open(filepath.Join(p.dir, "redis.log"))
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > logTail {
		f.Seek(fi.Size()-logTail, io.SeekStart)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	return string(b)
}

// ping sends one inline PING and expects +PONG.
func ping(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := io.WriteString(conn, "PING\r\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("redistest: find a free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
