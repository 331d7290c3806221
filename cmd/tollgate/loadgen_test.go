package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// loadConn is one keep-alive HTTP/1.1 connection that sends prebuilt
// requests and reads whole answers: a load generator lighter than
// net/http's client, so more of the shared cores go to the server.
type loadConn struct {
	c  net.Conn
	br *bufio.Reader
}

func dialLoad(addr string) (*loadConn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &loadConn{c: c, br: bufio.NewReaderSize(c, 16<<10)}, nil
}

// do sends req, a whole HTTP/1.1 request, and returns the answer's status
// once its body was read.
func (lc *loadConn) do(req []byte) (int, error) {
	if err := lc.c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return 0, err
	}
	if _, err := lc.c.Write(req); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(lc.br, nil)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

// loadResult is what one measured run of one target saw.
type loadResult struct {
	Sent     int
	Errors   int             // transport errors and answers outside 2xx
	Statuses map[int]int     // answers by status code
	Elapsed  time.Duration   // first send to last answer
	Lat      []time.Duration // per answered request, sorted
	CPU      time.Duration   // this process's CPU per answered request, when measured
	RedisCPU time.Duration   // redis-server's CPU per answered request, when measured
}

// RPS is the answered requests per second.
func (r loadResult) RPS() float64 { return float64(len(r.Lat)) / r.Elapsed.Seconds() }

// Quantile returns the q-quantile (0..1) of the latencies.
func (r loadResult) Quantile(q float64) time.Duration {
	if len(r.Lat) == 0 {
		return 0
	}
	return r.Lat[min(int(q*float64(len(r.Lat))), len(r.Lat)-1)]
}

// collector gathers the answers of concurrent workers.
type collector struct {
	mu       sync.Mutex
	statuses map[int]int
	errors   int
	lat      []time.Duration
}

func (c *collector) add(status int, err error, lat time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.errors++
		return
	}
	c.statuses[status]++
	if status < 200 || status > 299 {
		c.errors++
	}
	c.lat = append(c.lat, lat)
}

func (c *collector) result(sent int, elapsed time.Duration) loadResult {
	slices.Sort(c.lat)
	return loadResult{Sent: sent, Errors: c.errors, Statuses: c.statuses, Elapsed: elapsed, Lat: c.lat}
}

// closedLoop sends n requests over conns connections, each sending its next
// request when the last was answered, and stops early at the deadline.
// req(i) builds the i-th request.
func closedLoop(ctx context.Context, addr string, conns, n int, req func(i int) []byte) (loadResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lcs, err := dialAll(addr, conns)
	if err != nil {
		return loadResult{}, err
	}
	defer closeAll(lcs)
	col := &collector{statuses: map[int]int{}, lat: make([]time.Duration, 0, n)}
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for _, lc := range lcs {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t := time.Now()
				status, err := lc.do(req(i))
				col.add(status, err, time.Since(t))
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return col.result(min(int(next.Load()), n), time.Since(start)), nil
}

// openLoop sends rate requests a second for d over a pool of conns
// connections, on a fixed schedule whatever the answers: a request's
// latency runs from when it was due, so a server that falls behind is seen
// (no coordinated omission). It gives up waiting 10 s after the schedule
// ends; requests still unsent then count as not sent.
func openLoop(ctx context.Context, addr string, conns, rate int, d time.Duration, req func(i int) []byte) (loadResult, error) {
	n := int(float64(rate) * d.Seconds())
	ctx, cancel := context.WithTimeout(ctx, d+10*time.Second)
	defer cancel()
	lcs, err := dialAll(addr, conns)
	if err != nil {
		return loadResult{}, err
	}
	defer closeAll(lcs)
	col := &collector{statuses: map[int]int{}, lat: make([]time.Duration, 0, n)}
	type due struct {
		i  int
		at time.Time
	}
	work := make(chan due, n)
	var sent atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	for _, lc := range lcs {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case w, ok := <-work:
					if !ok {
						return
					}
					sent.Add(1)
					status, err := lc.do(req(w.i))
					col.add(status, err, time.Since(w.at))
					if err != nil {
						return
					}
				}
			}
		})
	}
	for i := 0; i < n && ctx.Err() == nil; {
		now := time.Now()
		for ; i < n; i++ {
			at := start.Add(time.Duration(i) * interval)
			if at.After(now) {
				break
			}
			work <- due{i: i, at: at}
		}
		time.Sleep(200 * time.Microsecond)
	}
	close(work)
	wg.Wait()
	return col.result(int(sent.Load()), time.Since(start)), nil
}

func dialAll(addr string, n int) ([]*loadConn, error) {
	lcs := make([]*loadConn, 0, n)
	for range n {
		lc, err := dialLoad(addr)
		if err != nil {
			closeAll(lcs)
			return nil, fmt.Errorf("dialing %s: %w", addr, err)
		}
		lcs = append(lcs, lc)
	}
	return lcs, nil
}

func closeAll(lcs []*loadConn) {
	for _, lc := range lcs {
		lc.c.Close()
	}
}
