package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
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
	// offset is when it was sent, from the start of the traffic.
	offset time.Duration
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

// maxRate is the highest -rate and the highest burst rate, in requests a
// second. Legit arrivals peak at about twice -rate.
const maxRate = 200

// drive sends reqs at their times (request.at) from now, stopping at the
// deadline; a request whose time has passed goes at once. Requests are sent
// in order and each waits for its answer, so the decision log holds them in
// the same order; a burst sent at once (concurrent) goes together, its
// decisions then logged in any order among themselves.
func drive(ctx context.Context, t *tollgate, reqs []request, deadline time.Time, seed uint64) ([]sent, error) {
	r := rand.New(rand.NewPCG(seed, 0xd161))
	start := time.Now()
	out := make([]sent, 0, len(reqs))
	for i := 0; i < len(reqs); {
		due := start.Add(reqs[i].at)
		if due.After(deadline) {
			break
		}
		if wait := time.Until(due); wait > 0 {
			select {
			case <-ctx.Done():
				return out, ctx.Err()
			case <-time.After(wait):
			}
		}
		n := 1
		if reqs[i].concurrent {
			n = burstLen(reqs[i:])
		}
		from, offset := len(out), time.Since(start)
		var err error
		if n == 1 {
			var s sent
			s, err = t.send(ctx, reqs[i], fmt.Sprintf("sim-%d", i), r)
			out = append(out, s)
		} else {
			out, err = t.sendAtOnce(ctx, reqs[i:i+n], out)
		}
		for k := from; k < len(out); k++ {
			out[k].offset = offset
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

// burstRates returns the rate each burst sent one request after another
// went at, in requests a second, by burst.
func burstRates(sents []sent) map[int]float64 {
	first, last := map[int]sent{}, map[int]sent{}
	count := map[int]int{}
	for _, s := range sents {
		b := s.req.burst
		if b == 0 || s.req.concurrent {
			continue
		}
		if count[b] == 0 {
			first[b] = s
		}
		last[b] = s
		count[b]++
	}
	out := map[int]float64{}
	for b, n := range count {
		if d := last[b].offset - first[b].offset; n > 1 && d > 0 {
			out[b] = float64(n-1) / d.Seconds()
		}
	}
	return out
}

// formatRates lists rates by burst, in whole requests a second.
func formatRates(rates map[int]float64) string {
	bursts := slices.Sorted(maps.Keys(rates))
	parts := make([]string, len(bursts))
	for i, b := range bursts {
		parts[i] = fmt.Sprintf("%.0f", rates[b])
	}
	return strings.Join(parts, ", ")
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
