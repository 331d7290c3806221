package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// reshardLoad bounds the request stream of TestReshardUnderLoad: at least
// min requests of each kind and until both slots moved, at most max, within
// limit.
const (
	reshardMinCallbacks  = 120
	reshardMaxCallbacks  = 1500
	reshardMinChallenges = 40
	reshardMaxChallenges = 500
	reshardLimit         = 60 * time.Second
)

// answer is what one request of the stream got back.
type answer struct {
	status int
	body   map[string]any
	err    error
	// migrating is true when the request was answered while a slot moved.
	migrating bool
}

// apiPost posts a JSON body with the flow API key and decodes the answer,
// for use off the test's goroutine.
func apiPost(ctx context.Context, url, body string) (int, map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+testFlowKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("answer %q: %w", b, err)
	}
	return resp.StatusCode, got, nil
}

// reshardNumber is the i-th distinct US number of the stream; every tenth
// is the deny-listed one, which must be refused and never dialed.
func reshardNumber(i int) string {
	if i%10 == 9 {
		return "+12015550166"
	}
	areas := []string{"201", "202", "203", "205", "206", "207", "208", "209", "210", "212", "213", "214", "215", "216", "217"}
	return fmt.Sprintf("+1%s5550%03d", areas[i/100%len(areas)], 100+i%100)
}

// TestReshardUnderLoad moves two slots holding live keys to other masters
// of a 3-master Redis Cluster, the way redis-cli --cluster reshard does
// (SETSLOT IMPORTING/MIGRATING, MIGRATE in small batches, SETSLOT NODE),
// while callbacks flow through the API, the engine, the queue and the
// simulator dialer and callers are screened and verified through the
// challenge API. The slots are the call queue's ({calls}: decision log,
// stream, call records) and the challenge counters' ({stats}). Every
// request must get an answer without the store failing, every decision be
// logged once, every allowed callback be dialed exactly once and end, and
// the challenge counters count every request.
func TestReshardUnderLoad(t *testing.T) {
	t.Parallel()
	cl := redistest.ClusterOf(t, 3)
	rdb := cl.Client()
	st := newStackOn(t, rdb, func(s *risk.Settings) {
		// Velocity limits would refuse a stream of neighbouring numbers
		// from one address; the deny-listed number still is refused.
		wide := risk.Limit{Window: risk.Duration(time.Hour), Warning: 100000, Critical: 200000}
		s.Velocity = risk.Velocity{NumbersPerIP: wide, IPsPerNumber: wide, NearbyNumbers: wide, IPv6Prefix: s.Velocity.IPv6Prefix, SharedCeiling: s.Velocity.SharedCeiling}
	}, &dispatch.Simulator{History: 2 * reshardMaxCallbacks})
	ctx, cancel := context.WithTimeout(t.Context(), reshardLimit)
	defer cancel()

	var migrating, moved atomic.Bool
	var callbacks, challenges []answer
	var verifies []answer
	var wg sync.WaitGroup
	var cbSent, chSent atomic.Int64
	wg.Go(func() {
		var mu sync.Mutex
		var inner sync.WaitGroup
		for range 4 {
			inner.Go(func() {
				for ctx.Err() == nil {
					i := int(cbSent.Add(1)) - 1
					if i >= reshardMaxCallbacks || i >= reshardMinCallbacks && moved.Load() {
						return
					}
					status, body, err := apiPost(ctx, st.url+"/api/v1/callbacks", `{"phone":"`+reshardNumber(i)+`"}`)
					a := answer{status: status, body: body, err: err, migrating: migrating.Load()}
					mu.Lock()
					callbacks = append(callbacks, a)
					mu.Unlock()
				}
			})
		}
		inner.Wait()
	})
	wg.Go(func() {
		for ctx.Err() == nil {
			i := int(chSent.Add(1)) - 1
			if i >= reshardMaxChallenges || i >= reshardMinChallenges && moved.Load() {
				return
			}
			caller := fmt.Sprintf("+1303555%04d", i)
			status, body, err := apiPost(ctx, st.url+"/api/v1/challenges", fmt.Sprintf(`{"caller":%q,"flow":"support","contact_id":"r%d"}`, caller, i))
			challenges = append(challenges, answer{status: status, body: body, err: err, migrating: migrating.Load()})
			id, _ := body["challenge_id"].(string)
			code, _ := body["code"].(string)
			if err != nil || id == "" {
				continue
			}
			status, body, err = apiPost(ctx, st.url+"/api/v1/challenges/"+id+"/verify", fmt.Sprintf(`{"digits":%q,"caller":%q,"contact_id":"r%d"}`, code, caller, i))
			verifies = append(verifies, answer{status: status, body: body, err: err, migrating: migrating.Load()})
		}
	})

	// Move the slots once traffic has written keys into them.
	for cbSent.Load() < reshardMinCallbacks/4 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	var moves []redistest.MoveResult
	for _, key := range []string{"tg:{calls}:queue", "tg:{stats}:d"} {
		slot, err := rdb.ClusterKeySlot(ctx, key).Result()
		if err != nil {
			t.Fatalf("CLUSTER KEYSLOT %s: %v", key, err)
		}
		owner, err := cl.SlotOwner(ctx, int(slot))
		if err != nil {
			t.Fatal(err)
		}
		res, err := cl.MoveSlot(ctx, int(slot), (owner+1)%3, redistest.MoveOptions{
			Batch: 5, Pause: 20 * time.Millisecond,
			Migrating: func() { migrating.Store(true) },
		})
		migrating.Store(false)
		if err != nil {
			moved.Store(true)
			wg.Wait()
			t.Fatalf("moving the slot of %s: %v", key, err)
		}
		if res.Keys == 0 {
			t.Errorf("slot %d of %s moved with no keys, want live keys moved", slot, key)
		}
		if now, err := cl.SlotOwner(ctx, int(slot)); err != nil || now != res.To {
			t.Errorf("owner of slot %d after the move = %d, %v; want %d", slot, now, err, res.To)
		}
		moves = append(moves, res)
	}
	moved.Store(true)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		t.Fatalf("the stream did not finish within %v: %v", reshardLimit, err)
	}
	t.Logf("moved %+v; %d callbacks, %d screenings, %d verifications", moves, len(callbacks), len(challenges), len(verifies))

	// Every request got an answer, and none was the store failing.
	during := 0
	ids := map[string]bool{}
	for i, a := range callbacks {
		if a.err != nil || a.status != http.StatusAccepted || a.body["status"] != "accepted" {
			t.Errorf("callback %d: got %d %v %v, want 202 accepted", i, a.status, a.body, a.err)
			continue
		}
		id, _ := a.body["id"].(string)
		if ids[id] {
			t.Errorf("callback %d: id %s answered twice", i, id)
		}
		ids[id] = true
		if a.migrating {
			during++
		}
	}
	if during == 0 {
		t.Errorf("callbacks answered while a slot moved: got none, want some")
	}
	during = 0
	for i, a := range challenges {
		if a.err != nil || a.status != http.StatusOK || a.body["verdict"] != "challenge" {
			t.Errorf("screening %d: got %d %v %v, want 200 challenge", i, a.status, a.body, a.err)
		}
		if a.migrating {
			during++
		}
	}
	for i, a := range verifies {
		if a.err != nil || a.status != http.StatusOK || a.body["result"] != "pass" {
			t.Errorf("verification %d: got %d %v %v, want 200 pass", i, a.status, a.body, a.err)
		}
		if a.migrating {
			during++
		}
	}
	if during == 0 {
		t.Errorf("challenge requests answered while a slot moved: got none, want some")
	}

	// Every decision is logged once; allowed ones are dialed once and end,
	// refused ones never.
	log, err := st.queue.DecisionLog().Decisions(context.Background(), int64(2*len(callbacks)+10))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(log), len(ids); got != want {
		t.Errorf("decision log: got %d decisions, want %d", got, want)
	}
	allowed := map[string]bool{}
	for _, d := range log {
		if !ids[d.ID] {
			t.Errorf("decision %s in the log was never answered", d.ID)
		}
		if d.Action == risk.Allow {
			allowed[d.ID] = true
		} else if d.Number != "+12015550166" {
			t.Errorf("decision %s for %s: got %s %v, want allow", d.ID, d.Number, d.Action, d.Codes())
		}
	}
	if len(allowed) == 0 {
		t.Fatal("no callback was allowed")
	}
	deadline := time.Now().Add(20 * time.Second)
	for id := range allowed {
		for {
			s, err := st.queue.Status(context.Background(), id)
			if err == nil && s.State == "ended" {
				if s.Attempts != 1 {
					t.Errorf("call %s: got %d attempts, want 1", id, s.Attempts)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("call %s not ended: %+v %v", id, s, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	dialed := map[string]int{}
	for _, c := range st.sim.Calls() {
		dialed[c.ID]++
	}
	for id := range allowed {
		if dialed[id] != 1 {
			t.Errorf("call %s: dialed %d times, want 1", id, dialed[id])
		}
	}
	if got, want := st.sim.Count(), len(allowed); got != want {
		t.Errorf("calls placed: got %d, want %d, one per allowed callback", got, want)
	}
	if c, err := st.queue.Counts(context.Background()); err != nil || c.Dead != 0 || c.Retrying != 0 {
		t.Errorf("queue counts = %+v, %v; want no dead or retrying calls", c, err)
	}

	// The challenge counters counted every request across the moves.
	stats := st.challengeStats(t)
	want := map[string]int64{"screened": int64(len(challenges)), "issued": int64(len(challenges)), "passed": int64(len(verifies))}
	for k, v := range want {
		if got := stats["support"][k]; got != v {
			t.Errorf("challenge stats support|%s: got %d, want %d (all: %v)", k, got, v, stats)
		}
	}
}
