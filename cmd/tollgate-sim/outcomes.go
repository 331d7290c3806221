package main

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/tollgate/tollgate/risk"
)

// outcome is what Tollgate decided for one request, read back from it.
type outcome struct {
	sent
	// action is allow, deflect or block; "invalid" for a number refused as
	// input (no decision); for IVR calls blocked or failed count as block.
	action string
	// placed reports that the call was placed (callbacks) or the caller got
	// through (IVR).
	placed bool
	// country is the number's country as Tollgate read it.
	country string
	// reasons are the decision's reason codes.
	reasons []string
	// entry is the decision's log entry id, its id in the console; "" for
	// a request without a logged decision.
	entry string
}

// loggedDecision is one entry of GET /api/v1/admin/decisions?calls=true.
type loggedDecision struct {
	Entry    string `json:"entry"`
	Decision struct {
		ID     string `json:"id"`
		Action string `json:"action"`
		// Visible is what the visitor was shown, where the server
		// records it apart from Action.
		Visible       string     `json:"visible"`
		Number        string     `json:"number"`
		NumberCountry string     `json:"number_country"`
		IP            netip.Addr `json:"ip"`
		Reasons       []struct {
			Code string `json:"code"`
		} `json:"reasons"`
	} `json:"decision"`
	// Call is an allowed decision's call.
	Call *struct {
		State string `json:"State"`
	} `json:"call"`
}

// shown is the action the visitor was shown: Visible, or Action from a
// server that does not record it.
func (d loggedDecision) shown() string { return cmp.Or(d.Decision.Visible, d.Decision.Action) }

// callState is the state of an allowed decision's call, "" for none.
func (d loggedDecision) callState() string {
	if d.Call == nil {
		return ""
	}
	return d.Call.State
}

// settled reports whether the call of an allowed decision reached a final
// state: placed, ended (placed, then over) or dead (given up).
func (d loggedDecision) settled() bool {
	switch d.callState() {
	case "placed", "ended", "dead":
		return true
	}
	return d.Decision.Action != string(risk.Allow)
}

// readDecisions reads the whole decision log with the calls' states,
// oldest first, following the next cursor; at most limit entries.
func (t *tollgate) readDecisions(ctx context.Context, limit int) ([]loggedDecision, error) {
	var all []loggedDecision
	before := ""
	for len(all) < limit {
		var page struct {
			Decisions []loggedDecision `json:"decisions"`
			Next      string           `json:"next"`
		}
		path := "/api/v1/admin/decisions?calls=true"
		if before != "" {
			path += "&before=" + url.QueryEscape(before)
		}
		status, err := t.api(ctx, http.MethodGet, path, t.token, nil, nil, &page)
		if err != nil || status != http.StatusOK {
			return nil, fmt.Errorf("reading decisions: status %d: %v", status, err)
		}
		all = append(all, page.Decisions...)
		if page.Next == "" {
			break
		}
		before = page.Next
	}
	for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
		all[i], all[j] = all[j], all[i]
	}
	return all, nil
}

// settledDecisions reads the decision log until every allowed decision's
// call is settled, for up to wait: calls still queued or dialing when the
// traffic ends settle within a dial's length.
func (t *tollgate) settledDecisions(ctx context.Context, limit int, wait time.Duration) ([]loggedDecision, error) {
	deadline := time.Now().Add(wait)
	for {
		log, err := t.readDecisions(ctx, limit)
		if err != nil {
			return nil, err
		}
		pending := map[string]int{}
		for _, d := range log {
			if !d.settled() {
				pending[cmp.Or(d.callState(), "none")]++
			}
		}
		if len(pending) == 0 {
			return log, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("calls not settled after %s, by state: %v", wait, pending)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// outcomes pairs every sent request with its decision, in order, checking
// that the address, the masked number and the callback id agree, once
// every allowed call settled (waiting up to wait). The decisions of a
// burst sent at once are paired by callback id, then by address and number.
func (t *tollgate) outcomes(ctx context.Context, sents []sent, wait time.Duration) ([]outcome, error) {
	log, err := t.settledDecisions(ctx, len(sents)+1, wait)
	if err != nil {
		return nil, err
	}
	out := make([]outcome, len(sents))
	next := 0
	for i := 0; i < len(sents); {
		n := 1
		for sents[i].req.concurrent && i+n < len(sents) && sents[i+n].req.burst == sents[i].req.burst {
			n++
		}
		var decided []int
		for k := i; k < i+n; k++ {
			s := sents[k]
			out[k].sent = s
			switch {
			case s.req.kind == ivrCall:
				out[k].action = map[string]string{"passed": "allow", "blocked": "block", "failed": "block"}[s.ivr]
				out[k].placed = s.ivr == "passed"
			case s.status == http.StatusAccepted || s.status == http.StatusOK:
				decided = append(decided, k)
			case s.status >= 400 && s.status < 500:
				out[k].action = "invalid"
			default:
				return nil, fmt.Errorf("request %d: unexpected status %d", k, s.status)
			}
		}
		if next+len(decided) > len(log) {
			return nil, fmt.Errorf("request %d has no decision in the log (%d logged)", i, len(log))
		}
		pairs, err := pairDecisions(sents, decided, log[next:next+len(decided)])
		if err != nil {
			return nil, err
		}
		next += len(decided)
		for k, ld := range pairs {
			d := ld.Decision
			out[k].action, out[k].country, out[k].entry = d.Action, d.NumberCountry, ld.Entry
			for _, r := range d.Reasons {
				out[k].reasons = append(out[k].reasons, r.Code)
			}
			if d.Action == string(risk.Allow) {
				st := ld.callState()
				out[k].placed = st == "placed" || st == "ended"
			}
		}
		i += n
	}
	if next != len(log) {
		return nil, fmt.Errorf("the log holds %d decisions, the simulator made %d", len(log), next)
	}
	return out, nil
}

// pairDecisions pairs the requests sents[k], k in decided, with the
// decisions logged for them (as many, in any order): by callback id where
// the answer gave one, else the first unpaired decision with the same
// address and number. It checks every pair: address, masked number, id and
// the deflected answer against what the visitor was shown.
func pairDecisions(sents []sent, decided []int, log []loggedDecision) (map[int]loggedDecision, error) {
	used := make([]bool, len(log))
	pairs := make(map[int]loggedDecision, len(decided))
	matches := func(s sent, d loggedDecision) bool {
		return d.Decision.IP == s.req.ip && d.Decision.Number == risk.MaskNumber(s.req.phone) && (s.id == "" || d.Decision.ID == s.id)
	}
	for pass := range 2 {
		for j, k := range decided {
			s := sents[k]
			if _, done := pairs[k]; done || (pass == 0 && s.id == "") {
				continue
			}
			found := false
			for e := range log {
				// In log order a request's decision is at its own place.
				if e = (e + j) % len(log); !used[e] && matches(s, log[e]) {
					used[e], pairs[k], found = true, log[e], true
					break
				}
			}
			if !found {
				return nil, fmt.Errorf("request %d (%s %s) matches no decision from %s on", k, s.req.ip, s.req.phone, log[0].Entry)
			}
		}
	}
	for k, ld := range pairs {
		if (sents[k].status == http.StatusOK) != (ld.shown() == string(risk.Deflect)) {
			return nil, fmt.Errorf("request %d: answer %d but decision %s shown as %s", k, sents[k].status, ld.Decision.Action, ld.shown())
		}
	}
	return pairs, nil
}
