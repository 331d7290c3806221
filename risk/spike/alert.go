package spike

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
)

// Keys of the alerts, all tagged {alerts}.
//
//	tg:{alerts}:log     stream of alerts, about MaxAlerts newest
//	tg:{alerts}:open    hash "<dim>|<value>" -> open alert, while it lasts
//	tg:{alerts}:lifted  hash alert id -> who lifted its block, and when
//	tg:{alerts}:lock    the detector's lock, held for one interval
const (
	logKey    = "tg:{alerts}:log"
	openKey   = "tg:{alerts}:open"
	liftedKey = "tg:{alerts}:lifted"
	lockKey   = "tg:{alerts}:lock"
)

// MaxAlerts is about how many alerts the log keeps.
const MaxAlerts = 1000

// stateKeep is how long the open and lifted hashes live after their last
// change; longer than any block.
const stateKeep = 31 * 24 * time.Hour

// Actions an alert records.
const (
	// ActionNone: alert only (a country, or automatic blocking off).
	ActionNone = "none"
	// ActionWouldBlock: monitor mode; List and Value say what would have
	// been blocked, Until until when.
	ActionWouldBlock = "would_block"
	// ActionBlocked: a deny entry was added, expiring at Until.
	ActionBlocked = "blocked"
	// ActionAlreadyListed: the value was already denied; left as it was.
	ActionAlreadyListed = "already_listed"
	// ActionBlockFailed: adding the deny entry failed; Error says why.
	ActionBlockFailed = "block_failed"
)

// Alert is one spike found.
type Alert struct {
	// ID names the alert; deny entries it added name it in their reason.
	ID string `json:"id"`
	// At is when it was found.
	At time.Time `json:"at"`
	// Dimension and Value are what surged, e.g. prefix +4420794.
	Dimension Dimension `json:"dimension"`
	Value     string    `json:"value"`
	// Count is the requests in the detection window; Baseline the average
	// per window over the horizon before it.
	Count    int64   `json:"count"`
	Baseline float64 `json:"baseline"`
	// Window and Horizon are the spans compared.
	Window  risk.Duration `json:"window"`
	Horizon risk.Duration `json:"baseline_horizon"`
	// Rule is the floor and factor the count passed.
	Rule risk.SpikeRule `json:"rule"`
	// Mode is the automatic-blocking mode in force.
	Mode risk.BlockMode `json:"mode"`
	// Action is what was done: none, would_block, blocked,
	// already_listed or block_failed.
	Action string `json:"action"`
	// List is the deny list blocked, or that would have been.
	List risk.List `json:"list,omitempty"`
	// Until is when the block ends, or would have.
	Until time.Time `json:"until,omitzero"`
	// Error says why a block failed.
	Error string `json:"error,omitempty"`
	// Lifted says who lifted the block, and when; read, not stored.
	Lifted string `json:"lifted,omitempty"`
}

// Text is the alert in one line, for people and chat webhooks.
func (a Alert) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tollgate spike: %s %s had %d requests in %s (baseline %.1f).",
		a.Dimension, a.Value, a.Count, time.Duration(a.Window), a.Baseline)
	switch a.Action {
	case ActionBlocked:
		fmt.Fprintf(&b, " Blocked in %s until %s.", a.List, a.Until.UTC().Format(time.RFC3339))
	case ActionWouldBlock:
		fmt.Fprintf(&b, " Monitor mode: would have blocked it in %s.", a.List)
	case ActionAlreadyListed:
		fmt.Fprintf(&b, " Already in %s.", a.List)
	case ActionBlockFailed:
		fmt.Fprintf(&b, " Blocking it failed: %s.", a.Error)
	}
	return b.String()
}

// Reason is the reason of the deny entry the alert adds.
func (a Alert) Reason() string {
	return fmt.Sprintf("spike alert %s: %d requests in %s, baseline %.1f", a.ID, a.Count, time.Duration(a.Window), a.Baseline)
}

// newID returns a random alert id.
func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ErrUnknownAlert means no alert with that id is in the log.
var ErrUnknownAlert = errors.New("spike: unknown alert")

// ErrNothingToLift means the alert has no block in force: it blocked
// nothing, or its block was lifted or ended.
var ErrNothingToLift = errors.New("spike: the alert has no block to lift")

// Lists is the part of the lists the alerts block with;
// *risk.ListStore satisfies it.
type Lists interface {
	// AddEntries adds deny entries.
	AddEntries(ctx context.Context, l risk.List, entries []risk.Entry) ([]risk.Entry, error)
	// RemoveEntry removes one.
	RemoveEntry(ctx context.Context, l risk.List, value string) error
	// LookupEntry reads one.
	LookupEntry(ctx context.Context, l risk.List, value string) (risk.Entry, bool, error)
}

var _ Lists = (*risk.ListStore)(nil)

// Store keeps the alerts in Redis and lifts their blocks.
type Store struct {
	rdb   redis.UniversalClient
	lists Lists
	now   func() time.Time
}

// NewStore returns the alert store on rdb, blocking through lists.
func NewStore(rdb redis.UniversalClient, lists Lists) *Store {
	return &Store{rdb: rdb, lists: lists, now: time.Now}
}

// add appends a to the log.
func (s *Store) add(ctx context.Context, a Alert) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	err = s.rdb.XAdd(ctx, &redis.XAddArgs{Stream: logKey, MaxLen: MaxAlerts, Approx: true, Values: []any{"id", a.ID, "alert", b}}).Err()
	if err != nil {
		return fmt.Errorf("spike: logging alert: %w", err)
	}
	return nil
}

// Recent returns up to n of the newest alerts, newest first, each with
// who lifted its block, if anyone did.
func (s *Store) Recent(ctx context.Context, n int64) ([]Alert, error) {
	msgs, err := s.rdb.XRevRangeN(ctx, logKey, "+", "-", n).Result()
	if err != nil {
		return nil, fmt.Errorf("spike: reading alerts: %w", err)
	}
	out := make([]Alert, 0, len(msgs))
	ids := make([]string, 0, len(msgs))
	for _, m := range msgs {
		var a Alert
		raw, _ := m.Values["alert"].(string)
		if json.Unmarshal([]byte(raw), &a) != nil {
			continue
		}
		out = append(out, a)
		ids = append(ids, a.ID)
	}
	if len(ids) == 0 {
		return out, nil
	}
	lifted, err := s.rdb.HMGet(ctx, liftedKey, ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("spike: reading alerts: %w", err)
	}
	for i, v := range lifted {
		out[i].Lifted, _ = v.(string)
	}
	return out, nil
}

// Get returns the alert id, if the log still holds it.
func (s *Store) Get(ctx context.Context, id string) (Alert, error) {
	all, err := s.Recent(ctx, MaxAlerts*2)
	if err != nil {
		return Alert{}, err
	}
	for _, a := range all {
		if a.ID == id {
			return a, nil
		}
	}
	return Alert{}, ErrUnknownAlert
}

// Lift removes the deny entry alert id added, when it is still the one
// the alert added, and notes who lifted it. It returns the alert and the
// entry removed; ErrUnknownAlert or ErrNothingToLift when there is none.
func (s *Store) Lift(ctx context.Context, id, actor string) (Alert, risk.Entry, error) {
	a, err := s.Get(ctx, id)
	if err != nil {
		return Alert{}, risk.Entry{}, err
	}
	if a.Action != ActionBlocked || a.Lifted != "" {
		return a, risk.Entry{}, ErrNothingToLift
	}
	en, found, err := s.lists.LookupEntry(ctx, a.List, a.Value)
	if err != nil {
		return a, risk.Entry{}, err
	}
	if !found || en.Author != Author || !strings.Contains(en.Reason, a.ID) || !en.Active(s.now()) {
		return a, risk.Entry{}, ErrNothingToLift
	}
	if err := s.lists.RemoveEntry(ctx, a.List, a.Value); err != nil {
		return a, risk.Entry{}, err
	}
	a.Lifted = actor + " at " + s.now().UTC().Format(time.RFC3339)
	f := field(a.Dimension, a.Value)
	cur, _ := s.rdb.HGet(ctx, openKey, f).Result()
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, liftedKey, a.ID, a.Lifted)
		p.Expire(ctx, liftedKey, stateKeep)
		// While the spike lasts it stays open, with no block to renew.
		if strings.HasPrefix(cur, a.ID+"|") {
			p.HSet(ctx, openKey, f, a.ID+"|0")
		}
		return nil
	})
	if err != nil {
		return a, en, fmt.Errorf("spike: noting the lift: %w", err)
	}
	return a, en, nil
}

// Author is the author of the deny entries spikes add.
const Author = "auto-block"
