package risk

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nyaruka/phonenumbers"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk/geo"
)

// Options configures an Engine.
type Options struct {
	// Redis is a *redis.Client or *redis.ClusterClient; Cluster mode is
	// detected from the type.
	Redis redis.Cmdable
	// GeoIP feeds the IP signals; nil disables them (each decision says so).
	GeoIP *geo.DB
	// DefaultRegion reads numbers typed without +country, e.g. "US".
	DefaultRegion string
	// DuplicateTTL bounds how long an outstanding-callback lock lives when
	// nobody releases it. Default 15 minutes.
	DuplicateTTL time.Duration
	// Settings are used until settings are saved in Redis; nil means
	// DefaultSettings.
	Settings *Settings
	// Logger receives warnings; nil discards them.
	Logger *slog.Logger
	// Now is the clock for decision times and list expiry; nil is time.Now.
	Now func() time.Time
	// Replay makes the engine a replay's, on a store of its own, whose
	// answers no visitor sees: requests refused before counting answer at
	// once instead of as late as a whole decision, and Again may set the
	// store's state to a recorded decision's.
	Replay bool
}

// Engine scores callback requests against the lists, the policy and the
// counters kept in Redis. It is safe for concurrent use.
type Engine struct {
	rdb      redis.Cmdable
	cluster  bool
	geo      *geo.DB
	region   string
	dupTTL   time.Duration
	log      *slog.Logger
	now      func() time.Time
	geoGaps  []Reason
	numbers  *numberCache
	expiring *expiring
	settings *SettingsStore
	releases sync.WaitGroup
	// releaseSlots holds a token per lock release of a failed evaluation
	// in flight; releasesDropped counts those dropped when it was full, and
	// dropLogged is when that was last logged, in Unix nanoseconds.
	releaseSlots chan struct{}
	// ringSlots holds a token per recombination ring marking in flight;
	// ringsDropped counts sightings not marked when it was full.
	ringSlots       chan struct{}
	ringsDropped    atomic.Int64
	releasesDropped atomic.Int64
	dropLogged      atomic.Int64
	// fallbackHolds are the numbers Fallback allowed within the duplicate
	// TTL.
	fallbackHolds fallbackHolds
	// hot are the sources recently past their own critical thresholds.
	hot hotSources
	// paces are how long recent whole decisions took (refuseEarly), and
	// inFlight how many decisions are being made, waits included;
	// replay is Options.Replay.
	paces    paces
	replay   bool
	inFlight atomic.Int32
	// lists are the deny and allow lists.
	lists *ListStore
	// budgetAlerted is the UTC day the budget alert was last logged.
	budgetAlerted atomic.Int64
}

// compiled is a validated Settings with lookups prepared.
type compiled struct {
	Settings
	hosting  map[uint]bool
	shared   map[uint]bool
	highRisk map[string]bool
	highCost costRanges
	monitor  map[string]bool
}

// NewEngine returns an engine. It does not contact Redis; call
// SettingsStore().LoadSettings to pick up settings saved there.
func NewEngine(o Options) (*Engine, error) {
	if o.Redis == nil {
		return nil, errors.New("risk: Options.Redis is required")
	}
	region := strings.ToUpper(o.DefaultRegion)
	if region == "" {
		region = "US"
	}
	if !phonenumbers.GetSupportedRegions()[region] {
		return nil, fmt.Errorf("risk: default region %q is not a supported ISO region", o.DefaultRegion)
	}
	e := &Engine{
		rdb:      o.Redis,
		geo:      o.GeoIP,
		region:   region,
		dupTTL:   o.DuplicateTTL,
		replay:   o.Replay,
		log:      o.Logger,
		now:      o.Now,
		numbers:  newNumberCache(numberCacheSize),
		expiring: newExpiring(expiringCacheSize),

		releaseSlots: make(chan struct{}, maxReleasesInFlight),
		ringSlots:    make(chan struct{}, maxRingMarksInFlight),
	}
	_, e.cluster = o.Redis.(*redis.ClusterClient)
	if e.dupTTL <= 0 {
		e.dupTTL = 15 * time.Minute
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}
	e.lists = &ListStore{rdb: o.Redis, region: e.region, now: e.now, mirror: &listMirror{rdb: o.Redis}}
	for src, why := range o.GeoIP.Disabled() {
		code := map[geo.Source]string{
			geo.SourceCountry:   CodeCountryDBUnavailable,
			geo.SourceASN:       CodeASNDBUnavailable,
			geo.SourceAnonymous: CodeAnonymousDBUnavailable,
		}[src]
		e.geoGaps = append(e.geoGaps, Reason{Code: code, Detail: "signals skipped: " + why})
	}
	slices.SortFunc(e.geoGaps, func(a, b Reason) int { return strings.Compare(a.Code, b.Code) })
	s := DefaultSettings()
	if o.Settings != nil {
		s = *o.Settings
	}
	e.settings = &SettingsStore{rdb: o.Redis, initial: s}
	if err := e.settings.apply(s); err != nil {
		return nil, fmt.Errorf("risk: settings: %w", err)
	}
	return e, nil
}

// compile validates s, fills weights missing from it with their defaults
// and prepares its lookups, without putting it in force.
func compile(s Settings) (*compiled, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	w := DefaultWeights()
	maps.Copy(w, s.Weights)
	s.Weights = w
	c := &compiled{Settings: s.clone(), hosting: make(map[uint]bool, len(s.HostingASNs)), monitor: make(map[string]bool, len(s.Monitor))}
	for _, a := range s.HostingASNs {
		c.hosting[a] = true
	}
	c.shared = make(map[uint]bool, len(s.SharedASNs))
	for _, a := range s.SharedASNs {
		c.shared[a] = true
	}
	c.highCost = newCostRanges(s.HighCostRanges)
	c.highRisk = make(map[string]bool, len(s.HighRiskCountries))
	for _, cc := range s.HighRiskCountries {
		c.highRisk[cc] = true
	}
	for _, code := range s.Monitor {
		c.monitor[code] = true
	}
	return c, nil
}

// Watch reloads the settings, confirms or reloads the lists' mirror
// (ListStore.LoadMirror) and sweeps expired list entries every interval
// until ctx ends, so changes made by any instance take effect here.
func (e *Engine) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := e.settings.LoadSettings(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("settings not reloaded", "err", err)
		}
		if err := e.lists.LoadMirror(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("lists not mirrored; decisions read them from Redis", "err", err)
		}
		if _, err := e.lists.SweepExpired(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("expired list entries not swept", "err", err)
		}
	}
}

// IPCountry returns the ISO 3166-1 alpha-2 code of the country the GeoIP
// country database places ip in, or "" when it does not know or no
// database is configured.
func (e *Engine) IPCountry(ip netip.Addr) string { return e.geo.Lookup(ip).Country }

// Close waits for background lock releases to finish.
func (e *Engine) Close() { e.releases.Wait() }

// Ping reports whether Redis answers.
func (e *Engine) Ping(ctx context.Context) error {
	if c, ok := e.rdb.(*redis.ClusterClient); ok {
		return c.ForEachShard(ctx, func(ctx context.Context, n *redis.Client) error { return n.Ping(ctx).Err() })
	}
	return e.rdb.Ping(ctx).Err()
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newID returns 128 random bits as 26 lower-case letters and digits.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return idEncoding.EncodeToString(b[:])
}
