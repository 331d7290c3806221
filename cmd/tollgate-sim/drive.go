package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
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

// drive sends reqs one after another at most rate a second, stopping at
// the deadline. Requests are sent in order and each waits for its answer,
// so the decision log holds them in the same order.
func drive(ctx context.Context, t *tollgate, reqs []request, rate float64, deadline time.Time, seed uint64) ([]sent, error) {
	r := rand.New(rand.NewPCG(seed, 0xd161))
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	out := make([]sent, 0, len(reqs))
	for i, req := range reqs {
		if time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-tick.C:
		}
		s := sent{req: req}
		var err error
		if req.kind == ivrCall {
			s.ivr, err = t.ivrCall(ctx, req, fmt.Sprintf("sim-%d", i), r)
		} else {
			s.status, s.id, err = t.callback(ctx, req)
		}
		if err != nil {
			return out, err
		}
		out = append(out, s)
	}
	return out, nil
}

// callback posts req to the callback API from req.ip.
func (t *tollgate) callback(ctx context.Context, req request) (int, string, error) {
	var ans struct {
		Status string `json:"status"`
		ID     string `json:"id"`
	}
	h := http.Header{"X-Forwarded-For": {req.ip.String()}}
	status, err := t.api(ctx, http.MethodPost, "/api/v1/callbacks", "", h, map[string]string{"phone": req.phone}, &ans)
	return status, ans.ID, err
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
		status, err := t.api(ctx, http.MethodPost, path, t.flowKey, nil, map[string]string{"digits": digits, "caller": req.phone}, &v)
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
