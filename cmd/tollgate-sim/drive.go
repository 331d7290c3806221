package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tollgate/tollgate/handlers"
)

// sent is what the simulator saw of one request.
type sent struct {
	req request
	// status is the HTTP status of the callback answer; 0 for IVR calls.
	status int
	// id is the callback id of an accepted answer.
	id string
	// ivr is the IVR outcome: "blocked" (at screening), "passed"
	// (through, with or without a code) or "failed" (code not keyed).
	ivr string
}

// api calls t's JSON API with bearer; out may be nil.
func (t *tollgate) api(ctx context.Context, method, path, bearer string, header http.Header, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.base+path, body)
	if err != nil {
		return 0, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return res.StatusCode, err
	}
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return res.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	if res.StatusCode >= 500 {
		return res.StatusCode, fmt.Errorf("%s %s: status %d: %.200s", method, path, res.StatusCode, b)
	}
	return res.StatusCode, nil
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// maxRate is the highest rate, in requests a second, the simulator sends
// at: -rate and a scenario's burst rate alike.
const maxRate = 200

// drive sends reqs at most rate a second, stopping at the deadline.
// Requests are sent in order and each waits for its answer, so the
// decision log holds them in the same order; a burst (request.burst) takes
// one tick and goes out at burstRate, or all at once when concurrent, its
// decisions then logged in any order among themselves.
func drive(ctx context.Context, t *tollgate, reqs []request, rate, burstRate float64, deadline time.Time, seed uint64) ([]sent, error) {
	r := rand.New(rand.NewPCG(seed, 0xd161))
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	out := make([]sent, 0, len(reqs))
	for i := 0; i < len(reqs); {
		if time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-tick.C:
		}
		n := burstLen(reqs[i:])
		var err error
		switch {
		case n == 1:
			var s sent
			s, err = t.send(ctx, reqs[i], fmt.Sprintf("sim-%d", i), r)
			out = append(out, s)
		case reqs[i].concurrent:
			out, err = t.sendAtOnce(ctx, reqs[i:i+n], out)
		default:
			out, err = t.sendAtRate(ctx, reqs[i:i+n], burstRate, out)
		}
		if err != nil {
			return out, err
		}
		i += n
	}
	return out, nil
}

// burstLen returns how many requests at the head of reqs go out together:
// the head's burst, or 1.
func burstLen(reqs []request) int {
	n := 1
	for reqs[0].burst != 0 && n < len(reqs) && reqs[n].burst == reqs[0].burst {
		n++
	}
	return n
}

// send sends one request; contact names an IVR call.
func (t *tollgate) send(ctx context.Context, req request, contact string, r *rand.Rand) (sent, error) {
	s := sent{req: req}
	var err error
	if req.kind == ivrCall {
		s.ivr, err = t.ivrCall(ctx, req, contact, r)
	} else {
		s.status, s.id, err = t.callback(ctx, req)
	}
	return s, err
}

// sendAtRate sends a burst of callback requests one after another at rate
// a second (capped at maxRate), appending to out.
func (t *tollgate) sendAtRate(ctx context.Context, reqs []request, rate float64, out []sent) ([]sent, error) {
	tick := time.NewTicker(time.Duration(float64(time.Second) / min(max(rate, 1), maxRate)))
	defer tick.Stop()
	for k, req := range reqs {
		if k > 0 {
			select {
			case <-ctx.Done():
				return out, ctx.Err()
			case <-tick.C:
			}
		}
		s := sent{req: req}
		var err error
		if s.status, s.id, err = t.callback(ctx, req); err != nil {
			return out, err
		}
		out = append(out, s)
	}
	return out, nil
}

// sendAtOnce sends a burst of callback requests all at the same time and
// waits for every answer, appending them to out in the burst's order.
func (t *tollgate) sendAtOnce(ctx context.Context, reqs []request, out []sent) ([]sent, error) {
	got := make([]sent, len(reqs))
	errs := make([]error, len(reqs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for k, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			got[k].req = req
			got[k].status, got[k].id, errs[k] = t.callback(ctx, req)
		}()
	}
	close(start)
	wg.Wait()
	return append(out, got...), errors.Join(errs...)
}

// callback posts req to the callback API from req.ip.
func (t *tollgate) callback(ctx context.Context, req request) (int, string, error) {
	var ans struct {
		Status string `json:"status"`
		ID     string `json:"id"`
	}
	h := http.Header{"X-Forwarded-For": {req.ip.String()}}
	body := map[string]string{"phone": req.phone}
	if req.flow != "" {
		body["flow"] = req.flow
	}
	if req.visitor != "" {
		body["visitor_token"] = handlers.SignVisitorToken(t.visitorSecret, req.visitor, time.Now().Add(30*time.Minute))
	}
	status, err := t.api(ctx, http.MethodPost, "/api/v1/callbacks", "", h, body, &ans)
	return status, ans.ID, err
}

// addDenyNumbers puts numbers on the deny list through the admin API.
func (t *tollgate) addDenyNumbers(ctx context.Context, numbers []string) error {
	entries := make([]map[string]string, len(numbers))
	for i, n := range numbers {
		entries[i] = map[string]string{"value": n, "reason": "tollgate-sim oracle target"}
	}
	status, err := t.api(ctx, http.MethodPost, "/api/v1/admin/lists/deny_number/entries", t.token, nil, map[string]any{"entries": entries}, nil)
	if err != nil || status != http.StatusOK {
		return fmt.Errorf("adding to the deny list: status %d: %v", status, err)
	}
	return nil
}

// ivrCall screens req's caller and keys digits for any challenge.
func (t *tollgate) ivrCall(ctx context.Context, req request, contact string, r *rand.Rand) (string, error) {
	var ch struct {
		Verdict     string `json:"verdict"`
		ChallengeID string `json:"challenge_id"`
		Code        string `json:"code"`
		Attempts    int    `json:"attempts"`
	}
	status, err := t.api(ctx, http.MethodPost, "/api/v1/challenges", t.flowKey, nil,
		map[string]string{"caller": req.phone, "flow": "sim", "contact_id": contact}, &ch)
	if err != nil || status != http.StatusOK {
		return "", fmt.Errorf("screening: status %d: %v", status, err)
	}
	switch ch.Verdict {
	case "pass":
		return "passed", nil
	case "block":
		return "blocked", nil
	}
	for attempt := 0; attempt < max(ch.Attempts, 1); attempt++ {
		digits := ch.Code
		if req.bot || (req.mistype && attempt == 0) {
			digits = randomDigits(r, len(ch.Code))
		}
		var v struct {
			Result string `json:"result"`
		}
		path := "/api/v1/challenges/" + ch.ChallengeID + "/verify"
		status, err := t.api(ctx, http.MethodPost, path, t.flowKey, nil, map[string]string{"digits": digits, "caller": req.phone, "contact_id": contact}, &v)
		if err != nil || status != http.StatusOK {
			return "", fmt.Errorf("verify: status %d: %v", status, err)
		}
		switch v.Result {
		case "pass":
			return "passed", nil
		case "retry":
			continue
		default:
			return "failed", nil
		}
	}
	return "failed", nil
}

func randomDigits(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + r.IntN(10)))
	}
	return b.String()
}
