package dispatch

import (
	"context"
	"fmt"
	"hash/crc32"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
)

// The dashboard's counters share the queue's {calls} hash tag, so Record
// writes them in the transaction that logs the decision. Each key holds
// one UTC hour or day and expires statsKeep after it was last written; the
// top sets, which hold numbers and addresses, DecisionRetention after if
// that is sooner.
//
//	tg:{calls}:stats:h:<YYYYMMDDHH>       hash allow, deflect, block
//	tg:{calls}:stats:d:<YYYYMMDD>         hash allow, deflect, block, placed
//	tg:{calls}:stats:top:<dim>:<YYYYMMDD> sorted set of refused requests by
//	                                      number country, IP country,
//	                                      number prefix, IP and number
const (
	statsKeep = 8 * 24 * time.Hour
	// topKeep is about how many members a day's top set keeps: every
	// topTrimEvery-th refused request, by its id's checksum, trims the set
	// to its topKeep highest. Members rarer than that may be dropped, so
	// the counts of rare values are approximate; the leaders' are not.
	topKeep      = 1000
	topTrimEvery = 64
	// prefixLen is how many characters of an E.164 number make its prefix,
	// e.g. "+44207".
	prefixLen = 6
)

// Dimensions of the top sets.
const (
	topNumberCountry = "ncountry"
	topIPCountry     = "ipcountry"
	topPrefix        = "prefix"
	topIP            = "ip"
	topNumber        = "number"
)

var topDims = []string{topNumberCountry, topIPCountry, topPrefix, topIP, topNumber}

func statsHourKey(t time.Time) string { return "tg:{calls}:stats:h:" + t.UTC().Format("2006010215") }

func statsDayKey(t time.Time) string { return "tg:{calls}:stats:d:" + t.UTC().Format("20060102") }

func statsTopKey(dim string, t time.Time) string {
	return "tg:{calls}:stats:top:" + dim + ":" + t.UTC().Format("20060102")
}

// countDecision adds d to the hour's and the day's counters and, when d
// was not allowed, to the day's top sets, on p.
func (l *DecisionLog) countDecision(ctx context.Context, p redis.Pipeliner, d risk.Decision, now time.Time, renewed *[]string) {
	at := d.At
	if at.IsZero() {
		at = now
	}
	action := string(d.Action)
	for _, k := range []string{statsHourKey(at), statsDayKey(at)} {
		p.HIncrBy(ctx, k, action, 1)
		if l.renew(k, now, renewed) {
			p.Expire(ctx, k, statsKeep)
		}
	}
	if d.Action == risk.Allow {
		return
	}
	trim := crc32.ChecksumIEEE([]byte(d.ID))%topTrimEvery == 0
	for _, dim := range topDims {
		v := topValue(d, dim)
		if v == "" {
			continue
		}
		k := statsTopKey(dim, at)
		p.ZIncrBy(ctx, k, 1, v)
		if l.renew(k, now, renewed) {
			p.Expire(ctx, k, min(statsKeep, l.retention))
		}
		if trim {
			p.ZRemRangeByRank(ctx, k, 0, -topKeep-1)
		}
	}
}

// topValue is what d counts under in dimension dim; "" for nothing.
func topValue(d risk.Decision, dim string) string {
	switch dim {
	case topNumberCountry:
		return d.NumberCountry
	case topIPCountry:
		return d.IPCountry
	case topPrefix:
		if len(d.Number) > prefixLen {
			return d.Number[:prefixLen]
		}
		return d.Number
	case topIP:
		if d.IP.IsValid() {
			return d.IP.String()
		}
	case topNumber:
		return d.Number
	}
	return ""
}

// countPlaced adds a placed call to the day's counters, on p.
func countPlaced(ctx context.Context, p redis.Pipeliner, now time.Time) {
	k := statsDayKey(now)
	p.HIncrBy(ctx, k, "placed", 1)
	p.Expire(ctx, k, statsKeep)
}

// Bucket is what happened in one UTC hour or day.
type Bucket struct {
	// Start is when the hour or day began.
	Start time.Time `json:"start"`
	// Allow, Deflect and Block count the decisions of each action.
	Allow   int64 `json:"allow"`
	Deflect int64 `json:"deflect"`
	Block   int64 `json:"block"`
	// Placed counts the calls a provider accepted; days only.
	Placed int64 `json:"placed"`
}

// Total is the number of decisions in b.
func (b Bucket) Total() int64 { return b.Allow + b.Deflect + b.Block }

// Ranked is one value of a top list and how many refused requests it had.
type Ranked struct {
	// Value is a country code, a number prefix, an IP or an E.164 number.
	Value string `json:"value"`
	// Count is its deflected and blocked requests.
	Count int64 `json:"count"`
}

// Top lists the values with the most deflected or blocked requests, most
// first.
type Top struct {
	NumberCountries []Ranked `json:"number_countries"`
	IPCountries     []Ranked `json:"ip_countries"`
	Prefixes        []Ranked `json:"prefixes"`
	IPs             []Ranked `json:"ips"`
	Numbers         []Ranked `json:"numbers"`
}

// Stats is what the dashboard shows.
type Stats struct {
	// Hours are the last 24 UTC hours, oldest first; the last is the
	// current, partial hour.
	Hours []Bucket `json:"hours"`
	// Days are the last 7 UTC days, oldest first; the last is today.
	Days []Bucket `json:"days"`
	// Top covers the TopDays UTC days ending today.
	Top Top `json:"top"`
	// TopDays is how many days Top covers: 1 (today) or 7.
	TopDays int `json:"top_days"`
	// RefusedByCountry counts the deflected and blocked requests of the
	// last 7 days per number country, the calls that were not paid for.
	RefusedByCountry map[string]int64 `json:"refused_by_country"`
}

// Stats reads the counters as of now: 24 hours, 7 days, each top list's
// first n values over topDays days (1 or 7) and the refused requests per
// number country over 7 days, in one transaction.
func (l *DecisionLog) Stats(ctx context.Context, now time.Time, topDays, n int) (Stats, error) {
	if topDays != 1 && topDays != 7 {
		return Stats{}, fmt.Errorf("dispatch: stats over %d days: want 1 or 7", topDays)
	}
	now = now.UTC()
	hour, day := now.Truncate(time.Hour), time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	st := Stats{Hours: make([]Bucket, 24), Days: make([]Bucket, 7), TopDays: topDays}
	hours := make([]*redis.MapStringStringCmd, 24)
	days := make([]*redis.MapStringStringCmd, 7)
	tops := make([]*redis.ZSliceCmd, len(topDims))
	var refused *redis.ZSliceCmd
	_, err := l.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for i := range hours {
			st.Hours[i].Start = hour.Add(time.Duration(i-23) * time.Hour)
			hours[i] = p.HGetAll(ctx, statsHourKey(st.Hours[i].Start))
		}
		for i := range days {
			st.Days[i].Start = day.AddDate(0, 0, i-6)
			days[i] = p.HGetAll(ctx, statsDayKey(st.Days[i].Start))
		}
		for i, dim := range topDims {
			k := topUnion(ctx, p, dim, day, topDays)
			tops[i] = p.ZRevRangeWithScores(ctx, k, 0, int64(n)-1)
		}
		k := topUnion(ctx, p, topNumberCountry, day, 7)
		refused = p.ZRangeWithScores(ctx, k, 0, -1)
		p.Del(ctx, unionKey)
		return nil
	})
	if err != nil {
		return Stats{}, fmt.Errorf("dispatch: reading stats: %w", err)
	}
	for i, c := range hours {
		fill(&st.Hours[i], c.Val())
	}
	for i, c := range days {
		fill(&st.Days[i], c.Val())
	}
	lists := []*[]Ranked{&st.Top.NumberCountries, &st.Top.IPCountries, &st.Top.Prefixes, &st.Top.IPs, &st.Top.Numbers}
	for i, c := range tops {
		*lists[i] = ranked(c.Val())
	}
	st.RefusedByCountry = map[string]int64{}
	for _, r := range ranked(refused.Val()) {
		st.RefusedByCountry[r.Value] = r.Count
	}
	return st, nil
}

// unionKey holds a union of top sets inside the transaction of Stats,
// which deletes it before it ends.
const unionKey = "tg:{calls}:stats:union"

// topUnion returns a key holding dim's counts over the days days ending
// on day: the day's own set, or unionKey written on p.
func topUnion(ctx context.Context, p redis.Pipeliner, dim string, day time.Time, days int) string {
	if days == 1 {
		return statsTopKey(dim, day)
	}
	keys := make([]string, days)
	for i := range keys {
		keys[i] = statsTopKey(dim, day.AddDate(0, 0, -i))
	}
	p.ZUnionStore(ctx, unionKey, &redis.ZStore{Keys: keys})
	return unionKey
}

func fill(b *Bucket, m map[string]string) {
	n := func(k string) int64 { v, _ := strconv.ParseInt(m[k], 10, 64); return v }
	b.Allow, b.Deflect, b.Block, b.Placed = n(string(risk.Allow)), n(string(risk.Deflect)), n(string(risk.Block)), n("placed")
}

func ranked(zs []redis.Z) []Ranked {
	out := make([]Ranked, 0, len(zs))
	for _, z := range zs {
		v, _ := z.Member.(string)
		out = append(out, Ranked{Value: v, Count: int64(z.Score)})
	}
	return out
}
