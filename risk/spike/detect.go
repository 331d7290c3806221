package spike

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
)

// Auditor records automatic blocks in the audit log; handlers/admin/audit.Log
// satisfies it.
type Auditor interface {
	// Record appends a change made by actor.
	Record(ctx context.Context, actor, ip, action, target string, before, after any) error
}

// Notifier is told of every new alert, e.g. Webhooks. It must not block.
type Notifier interface {
	// Notify sends a off the caller's path.
	Notify(a Alert)
}

// DetectorOptions configure a Detector.
type DetectorOptions struct {
	// Redis holds the counts and the alerts. Required.
	Redis redis.UniversalClient
	// Store keeps the alerts. Required.
	Store *Store
	// Settings returns the spike settings in force, e.g.
	// (*risk.SettingsStore).SpikeSettings. Required.
	Settings func() risk.Spikes
	// Audit records automatic blocks; nil records nothing.
	Audit Auditor
	// Notify is told of new alerts; nil tells nobody.
	Notify Notifier
	// Interval is how often detection runs, across every instance; 20s.
	Interval time.Duration
	// Logger receives a line per alert and per failure; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Detector compares each counted value's requests over the detection
// window with its baseline, and raises an alert for each new spike. Every
// instance may run one: a lock in Redis lets one pass through per
// interval.
type Detector struct {
	o     DetectorOptions
	log   *slog.Logger
	token string
}

// NewDetector returns a Detector for o.
func NewDetector(o DetectorOptions) (*Detector, error) {
	if o.Redis == nil || o.Store == nil || o.Settings == nil {
		return nil, errors.New("spike: DetectorOptions.Redis, Store and Settings are required")
	}
	if o.Interval <= 0 {
		o.Interval = 20 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	d := &Detector{o: o, log: o.Logger}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	d.token = hex.EncodeToString(b[:])
	return d, nil
}

// Run detects every interval until ctx ends.
func (d *Detector) Run(ctx context.Context) {
	t := time.NewTicker(d.o.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := d.Check(ctx); err != nil && ctx.Err() == nil {
				d.log.Error("spike detection failed", slog.Any("err", err))
			}
		}
	}
}

// ErrLocked means another instance ran detection within the interval.
var ErrLocked = errors.New("spike: another instance is detecting")

// Check runs detection once, if no instance did within the interval, and
// returns the alerts it raised; ErrLocked when another instance holds the
// lock. The lock is not released: it expires with the interval, so the
// instances between them detect once per interval.
func (d *Detector) Check(ctx context.Context) ([]Alert, error) {
	s := d.o.Settings()
	if s.Off() {
		return nil, nil
	}
	ok, err := d.o.Redis.SetNX(ctx, lockKey, d.token, d.o.Interval-d.o.Interval/10).Result()
	if err != nil {
		return nil, fmt.Errorf("spike: taking the lock: %w", err)
	}
	if !ok {
		return nil, ErrLocked
	}
	now := d.o.Now()
	found, err := d.find(ctx, s, now)
	if err != nil {
		return nil, err
	}
	return d.settle(ctx, s, now, found)
}

// spikeAt is one spike found by find.
type spikeAt struct {
	dim      Dimension
	value    string
	count    int64
	baseline float64
}

// find returns the spikes of now's window: the values past their floor,
// then those of them past factor times their baseline.
func (d *Detector) find(ctx context.Context, s risk.Spikes, now time.Time) ([]spikeAt, error) {
	window, horizon := spans(s, now)
	counts := map[string]int64{}
	wkeys := window.keys()
	cmds := make([]*redis.MapStringStringCmd, len(wkeys))
	if _, err := d.o.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range wkeys {
			cmds[i] = p.HGetAll(ctx, k)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("spike: reading the window: %w", err)
	}
	for _, c := range cmds {
		for f, v := range c.Val() {
			n, _ := strconv.ParseInt(v, 10, 64)
			counts[f] += n
		}
	}
	var cands []string
	for f, n := range counts {
		dim, _, ok := splitField(f)
		if r := rule(s, dim); ok && r.Floor > 0 && n >= int64(r.Floor) {
			cands = append(cands, f)
		}
	}
	if len(cands) == 0 {
		return nil, nil
	}
	slices.Sort(cands)
	hkeys := horizon.keys()
	past := make([]*redis.SliceCmd, len(hkeys))
	if _, err := d.o.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range hkeys {
			past[i] = p.HMGet(ctx, k, cands...)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("spike: reading the baseline: %w", err)
	}
	totals := make([]int64, len(cands))
	for _, c := range past {
		for i, v := range c.Val() {
			if str, ok := v.(string); ok {
				n, _ := strconv.ParseInt(str, 10, 64)
				totals[i] += n
			}
		}
	}
	var out []spikeAt
	for i, f := range cands {
		dim, v, _ := splitField(f)
		base := Baseline(totals[i], time.Duration(s.Window), time.Duration(s.Horizon))
		if IsSpike(rule(s, dim), counts[f], base) {
			out = append(out, spikeAt{dim: dim, value: v, count: counts[f], baseline: base})
		}
	}
	return out, nil
}

// settle raises an alert for each spike not already open, or open with a
// block that ended, and closes the open alerts whose spike calmed down.
func (d *Detector) settle(ctx context.Context, s risk.Spikes, now time.Time, found []spikeAt) ([]Alert, error) {
	open, err := d.o.Redis.HGetAll(ctx, openKey).Result()
	if err != nil {
		return nil, fmt.Errorf("spike: reading open alerts: %w", err)
	}
	var raised []Alert
	still := map[string]bool{}
	for _, sp := range found {
		f := field(sp.dim, sp.value)
		still[f] = true
		if cur, ok := open[f]; ok && !blockEnded(cur, now) {
			continue
		}
		a := d.raise(ctx, s, now, sp)
		if err := d.o.Store.add(ctx, a); err != nil {
			return raised, err
		}
		var until int64
		if a.Action == ActionBlocked {
			until = a.Until.Unix()
		}
		if err := d.o.Redis.HSet(ctx, openKey, f, a.ID+"|"+strconv.FormatInt(until, 10)).Err(); err != nil {
			return raised, fmt.Errorf("spike: opening alert: %w", err)
		}
		d.log.Warn("ALERT spike", slog.String("alert", a.ID), slog.String("dimension", string(a.Dimension)),
			slog.String("value", a.Value), slog.Int64("count", a.Count), slog.Float64("baseline", a.Baseline), slog.String("action", a.Action))
		if d.o.Notify != nil {
			d.o.Notify.Notify(a)
		}
		raised = append(raised, a)
	}
	var calm []string
	for f := range open {
		if !still[f] {
			calm = append(calm, f)
		}
	}
	_, err = d.o.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
		if len(calm) > 0 {
			p.HDel(ctx, openKey, calm...)
		}
		p.Expire(ctx, openKey, stateKeep)
		return nil
	})
	if err != nil {
		return raised, fmt.Errorf("spike: closing alerts: %w", err)
	}
	return raised, nil
}

// blockEnded reports whether an open alert's value, "<id>|<block end,
// Unix seconds, 0 for none>", holds a block that has ended.
func blockEnded(v string, now time.Time) bool {
	_, until, _ := strings.Cut(v, "|")
	n, _ := strconv.ParseInt(until, 10, 64)
	return n > 0 && now.Unix() >= n
}

// raise builds the alert of sp and takes its action.
func (d *Detector) raise(ctx context.Context, s risk.Spikes, now time.Time, sp spikeAt) Alert {
	a := Alert{
		ID: newID(), At: now.UTC(), Dimension: sp.dim, Value: sp.value, Count: sp.count, Baseline: sp.baseline,
		Window: s.Window, Horizon: s.Horizon, Rule: rule(s, sp.dim), Mode: s.AutoBlock, Action: ActionNone,
	}
	switch sp.dim {
	case Prefix:
		a.List = risk.DenyPrefix
	case Network:
		a.List = risk.DenyIP
	default:
		return a
	}
	a.Until = now.Add(time.Duration(s.BlockFor)).UTC()
	switch s.AutoBlock {
	case risk.BlockOff, "":
		a.List, a.Until = "", time.Time{}
	case risk.BlockMonitor:
		a.Action = ActionWouldBlock
	case risk.BlockOn:
		d.block(ctx, &a)
	}
	return a
}
