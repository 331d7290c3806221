package redistest

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Server is a standalone redis-server listening on a loopback port.
type Server struct {
	// Addr is the server's host:port, e.g. "127.0.0.1:41234".
	Addr string

	mu        sync.Mutex // guards proc against Stop, Restart and Close
	proc      *process
	clients   clients
	closeOnce sync.Once
	closeErr  error
}

// StartServer starts a standalone redis-server on a free loopback port and
// returns once it answers PING. The error wraps ErrNoRedisServer when
// redis-server is not on PATH and includes the server's log when it fails to
// start. The caller must Close the Server.
func StartServer() (*Server, error) {
	p, err := startProcess(false)
	if err != nil {
		return nil, err
	}
	return &Server{Addr: p.addr, proc: p}, nil
}

// NewServer starts a Server for the test and closes it when the test ends.
// When redis-server is not on PATH it skips the test, or fails it if Required.
func NewServer(tb testing.TB) *Server {
	tb.Helper()
	s, err := StartServer()
	if err != nil {
		failStart(tb, err)
		return nil
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

// Client returns a new client for the server with go-redis defaults. Close
// closes it; closing it earlier is allowed. For other options, build a client
// with redis.NewClient and Addr.
func (s *Server) Client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	s.clients.add(c)
	return c
}

// Close closes the clients handed out by Client, kills the server and removes
// its directory. Calls after the first return the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.clients.closeAll()
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.proc != nil {
			s.closeErr = s.proc.kill()
		}
	})
	return s.closeErr
}

// Stop kills the server, as a crash would, and waits until it is gone.
// Its clients stay open and fail until Restart. Stopping a stopped server
// does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return nil
	}
	err := s.proc.kill()
	s.proc = nil
	return err
}

// Restart starts a fresh, empty redis-server on the stopped server's
// address and returns once it answers PING; clients handed out before
// reconnect to it. It fails if another process took the port meanwhile.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return fmt.Errorf("redistest: redis-server on %s is running; Stop it first", s.Addr)
	}
	bin, err := lookRedisServer()
	if err != nil {
		return err
	}
	_, portStr, _ := net.SplitHostPort(s.Addr)
	port, _ := strconv.Atoi(portStr)
	p, _, err := launchOn(bin, false, []int{port})
	if err != nil {
		return err
	}
	s.proc = p
	return nil
}
