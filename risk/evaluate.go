package risk

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk/geo"
)

// distinctCap bounds a distinct-count set: enough to see the critical
// threshold, never unbounded.
func distinctCap(l Limit) int { return max(2*l.Critical, 64) }

// plan holds the commands of one decision, all sent in one pipeline.
type plan struct {
	own                     ownCounts
	number, prefix, country *counter
	spend                   spendReads
	budget                  *budgetHold
	budgetRead              *budgetRead
	account                 accountReads
	ipsPerNumber            *redis.IntCmd
	nearby                  nearbyReads
	ring                    ringReads
	lock                    *redis.BoolCmd
}

// exec sends what queue adds and the MGETs of rd (nil for none) in one
// pipeline; go-redis splits it per node, concurrently, on a Cluster.
func (e *Engine) exec(ctx context.Context, rd *reads, queue func(redis.Pipeliner)) error {
	cmds, err := e.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		queue(p)
		rd.queue(ctx, p)
		return nil
	})
	if !errors.Is(err, redis.Nil) {
		return err
	}
	// A missing key (GET of a counter not yet written) is not a failure.
	for _, c := range cmds {
		if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
	}
	return nil
}

// queueDistinct counts distinct members seen in the window l. The set
// keeps the newest members: every trimEvery-th request on average, at
// random, drops those older than the window and all but the newest
// distinctCap(l); the count itself reads only the window, so it does not
// wait for a trim. (Trimming on every request cost two of the decision's
// commands per set.)
func queueDistinct(ctx context.Context, p redis.Pipeliner, key, member string, l Limit, now time.Time) *redis.IntCmd {
	ms := now.UnixMilli()
	p.ZAdd(ctx, key, redis.Z{Score: float64(ms), Member: member})
	if rand.IntN(trimEvery) == 0 {
		p.ZRemRangeByScore(ctx, key, "-inf", "("+windowStart(l, now))
		p.ZRemRangeByRank(ctx, key, 0, int64(-distinctCap(l)-1))
	}
	card := p.ZCount(ctx, key, "("+windowStart(l, now), "+inf")
	p.PExpire(ctx, key, time.Duration(l.Window))
	return card
}

// trimEvery is how many requests a distinct-count set takes, on average,
// between trims: at random, so no visitor can choose members that avoid
// them.
const trimEvery = 8

// windowStart is the score (Unix milliseconds) from which a member is in
// the window l at now, exclusive.
func windowStart(l Limit, now time.Time) string {
	return strconv.FormatInt(now.UnixMilli()-time.Duration(l.Window).Milliseconds(), 10)
}

// queueSeen counts the members of the distinct-count set key seen in the
// window l, without adding one: queueDistinct's read for a request whose
// own source already refuses it.
func queueSeen(ctx context.Context, p redis.Pipeliner, key string, l Limit, now time.Time) *redis.IntCmd {
	return p.ZCount(ctx, key, "("+windowStart(l, now), "+inf")
}

// beforeCounting reports whether a request's source's own signals, known
// before any counting (its address's anonymity and hosting flags, the
// handler's reasons: form friction, a bad visitor token), already deflect
// or block it. Such a request is counted against its own source but adds
// nothing to the counts other visitors are judged by (the number's, its
// block's, nearby numbers', the country's), so a flood of junk cannot
// deflect real customers; nor does it take the number's lock or reserve
// the budget.
func beforeCounting(s *compiled, req Request, info geo.Info) (sourceRefused bool) {
	var d Decision
	sc := scorer{s: s, d: &d}
	sc.anonymity(info)
	sc.reasons(req.Extra)
	return tallyOf(d.Reasons).action(s) != Allow
}

// queueAddress adds the counters of requests from ip's subscriber and its
// network to p.
func queueAddress(ctx context.Context, p redis.Pipeliner, rd *reads, x *expiring, s *compiled, ip netip.Addr, now time.Time) (sub, net *counter) {
	return queueCounter(ctx, p, rd, x, ipTag(subscriber(ip, s.Velocity.IPv6Prefix)), s.Velocity.IP, now),
		queueCounter(ctx, p, rd, x, netTag(ipNetwork(ip)), s.Velocity.Network, now)
}

// countInvalid counts a request with a number that cannot be valid
// against its address, as every request is: a script sending junk numbers
// runs into its address's velocity like any other.
func (e *Engine) countInvalid(ctx context.Context, s *compiled, ip netip.Addr, now time.Time) {
	if !ip.IsValid() {
		return
	}
	rd := newReads(e.cluster)
	var sub, net *counter
	err := e.exec(ctx, rd, func(p redis.Pipeliner) { sub, net = queueAddress(ctx, p, rd, e.expiring, s, ip, now) })
	if err != nil {
		e.log.Warn("invalid-number attempt not counted", "err", err)
		return
	}
	e.settle(ctx, now, sub, net)
}

// Evaluate decides one request in a single Redis round trip (one per node,
// concurrently, on a Cluster). A number that cannot be valid returns a
// *NumberError after the attempt is counted against the client IP. A
// request that what the instance holds already refuses is decided before
// anything but its own source is counted (refuseEarly).
func (e *Engine) Evaluate(ctx context.Context, req Request) (Decision, error) {
	start := time.Now()
	pace := paceBucket(e.inFlight.Add(1) - e.paces.pacing.Load())
	defer e.inFlight.Add(-1)
	s := e.settings.active.Load()
	now := e.now()
	ip := req.IP.Unmap()
	d := Decision{ID: newID(), IP: ip, Flow: req.Flow, FlowBound: req.FlowBound, At: now}

	region := req.Region
	if region == "" {
		region = e.region
	}
	num, numErr := e.numbers.parse(req.Phone, region)
	if numErr != nil {
		e.countInvalid(ctx, s, ip, now)
		return Decision{}, numErr
	}
	d.Number, d.NumberCountry, d.NumberType = num.e164, num.country, typeNames[num.kind]
	info, gaps := e.geo.Lookup(ip), e.geoGaps
	if req.Geo != nil {
		info, gaps = *req.Geo, nil
	}
	d.IPCountry, d.ASN = info.Country, info.ASN

	x := request{gaps: gaps, req: req, num: num, info: info, ip: ip, sub: subscriber(ip, s.Velocity.IPv6Prefix), addr: "unknown", source: "unknown", pace: pace}
	if ip.IsValid() {
		x.addr, x.source = subscriberID(x.sub), sharedSource(ip, x.sub)
	}
	lk, mirrored := e.lists.mirrored(listQuery{e164: num.e164, ip: ip, country: info.Country, asn: info.ASN}, now)
	if mirrored && req.Visitor == nil {
		if early, refused := e.knownRefusal(s, x, d, lk, now); refused {
			return e.refuseEarly(ctx, s, x, early, start, now)
		}
	}
	d, err := e.decide(ctx, s, x, d, lk, mirrored, now)
	if err == nil {
		e.paces.observe(pace, time.Since(start))
	}
	return d, err
}

// request is what Evaluate knows of a request before Redis: the number,
// the address's GeoIP facts, its subscriber (sub), and the ids it is
// counted by: addr its own, source the one others' counts hold.
type request struct {
	req          Request
	num          parsedNumber
	info         geo.Info
	ip           netip.Addr
	sub          netip.Prefix
	addr, source string
	// pace is the paces bucket of the engine's load when it started.
	pace int
	// gaps are the reasons of the GeoIP databases the engine lacks.
	gaps []Reason
}

// decide is a decision's whole round trip: the request counted against
// its source, its number, its block, nearby numbers and its country, the
// lock, the budget, the caps, the recombination reads, the account of a
// visitor token, and the lists unless the mirror answered them (lk).
func (e *Engine) decide(ctx context.Context, s *compiled, x request, d Decision, lk lookups, mirrored bool, now time.Time) (Decision, error) {
	req, num, info, ip := x.req, x.num, x.info, x.ip
	nt := numberTag(num.e164)
	fits := e.tokenFits(req.Visitor, num)
	// A request its own source refuses cannot be allowed (unless an allow
	// list waives that, below): it counts against its source only, takes
	// no lock and reserves nothing.
	sourceRefused := beforeCounting(s, req, info) || e.hot.hot(x.addr, now)
	shared, lock := !sourceRefused, !sourceRefused
	reserve := s.Spend.DailyBudget > 0 && !sourceRefused
	var pl plan
	rd := newReads(e.cluster)
	err := e.exec(ctx, rd, func(p redis.Pipeliner) {
		pl.own = queueOwn(ctx, p, rd, e.expiring, s, ip, x.sub, num.e164, now)
		// What many visitors share counts distinct sources, not requests
		// (see queueSources).
		pl.number = queueSources(ctx, p, e.expiring, nt, x.source, shared, s.Velocity.Number, now)
		pl.prefix = queueSources(ctx, p, e.expiring, prefixTag(numberPrefix(num.e164)), x.source, shared, s.Velocity.Prefix, now)
		if num.country != "" {
			pl.country = queueSources(ctx, p, e.expiring, countryTag(num.country), x.source, shared, s.Velocity.Country, now)
		}
		pl.nearby = queueNearby(ctx, p, num.e164, x.source, shared, s.Velocity.NearbyNumbers, now)
		if lock {
			pl.lock = p.SetNX(ctx, lockKey(num.e164), d.ID, e.dupTTL)
		}
		pl.spend = queueSpend(rd, s.Spend, num.e164, now)
		if reserve {
			pl.budget = queueReserve(ctx, p, s.Spend, d.ID, num.country, now)
		} else {
			pl.budgetRead = queueBudgetRead(rd, s.Spend, num.country, now)
		}
		if req.Visitor != nil {
			pl.account = queueAccount(ctx, p, rd, e.expiring, s, req.Visitor, num.e164, now)
		}
		pl.account.refusedSource = sourceRefused
		if !mirrored {
			lk = queueLookups(ctx, p, listQuery{e164: num.e164, ip: ip, country: info.Country, asn: info.ASN})
		}
		if ip.IsValid() {
			if shared {
				pl.ipsPerNumber = queueDistinct(ctx, p, ipsKey(num.e164), x.source, s.Velocity.IPsPerNumber, now)
			} else {
				pl.ipsPerNumber = queueSeen(ctx, p, ipsKey(num.e164), s.Velocity.IPsPerNumber, now)
			}
			pl.ring = queueRing(ctx, p, rd, num.e164, x.addr)
		}
	})
	if err != nil {
		// A pipeline cut short by the deadline may still have run and
		// taken the number's lock for d.ID: free it if it did.
		e.releaseIfHeld(num.e164, d.ID, err)
		if reserve {
			e.releaseLater(num.e164, d.ID, false, true)
		}
		e.forgetSkipped(pl.own.ip, pl.own.net, pl.number, pl.prefix, pl.country, pl.account.velocity)
		return Decision{}, fmt.Errorf("risk: evaluate: %w", err)
	}

	e.settle(ctx, now, pl.own.ip, pl.own.net, pl.number, pl.prefix, pl.country, pl.account.velocity)
	sc := scorer{s: s, d: &d, now: now}
	d.FlowBound = flowBound(req, pl.account.vouched(req, fits))
	byIP, byNumber := sc.known(x.gaps, req, d.FlowBound, num, info, lk)
	sharedASN := s.shared[info.ASN]
	ring := pl.ring.sighting(rd, pl.own.numbersPerIP, shareable(pl.ipsPerNumber, shared), sharedASN)
	// The volume of an address many people share counts only with other
	// evidence, up to a ceiling.
	byIP.volume(pl.own, sharedAddress(s, info.ASN, sharedASN, ip.Is4(), pl, ring))
	if ring.detail != "" {
		if ring.byAddress {
			byIP.add(CodeRecombined, ring.detail)
		} else {
			byNumber.add(CodeRecombined, ring.detail)
		}
	}
	if ring.live && !ring.marked {
		// Only the number of a shared address: its other numbers are
		// other people's.
		e.markRing(x.addr, num.e164, !sharedASN, time.Duration(s.Velocity.IPsPerNumber.Window))
	}
	byNumber.velocity(pl.number, CodeVelocityNumberWarning, CodeVelocityNumberCritical, "addresses asking for this number")
	byNumber.velocity(pl.prefix, CodeVelocityPrefixWarning, CodeVelocityPrefixCritical, "addresses asking for this number block")
	byNumber.distinct(pl.ipsPerNumber, s.Velocity.IPsPerNumber, CodeIPsPerNumberWarning, CodeIPsPerNumberCritical, "IPs for this number")
	byNumber.distinct(pl.nearby.count(), s.Velocity.NearbyNumbers, CodeNearbyNumbersWarning, CodeNearbyNumbersCritical, "numbers from as many addresses within 100 of this one")
	sc.velocity(pl.country, CodeVelocityCountryWarning, CodeVelocityCountryCritical, "addresses asking for numbers in "+num.country)
	locked := lock && pl.lock.Val()
	if lock && !locked {
		byNumber.add(CodeDuplicate, "a callback to this number is already outstanding")
	}
	sc.visitor(req, fits, pl.account)
	sc.spend(pl.spend)
	held, spentOut := false, pl.budgetRead.spentOut()
	if pl.budget != nil {
		if held = sc.budget(pl.budget, num.country); !held {
			spentOut = true
			e.alertBudget(now, sc.d.Reasons[len(sc.d.Reasons)-1].Detail)
		}
	}
	sc.reasons(req.Extra)
	d.Action = sc.action()
	d.Visible = e.shown(s, x, d.FlowBound, fits, pl.own, pl.account, spentOut, now)
	if d.Action == Allow && !lock {
		// An allow list waived what its source refused: the lock is taken
		// now, in a round trip of its own.
		if locked, err = e.rdb.SetNX(ctx, lockKey(num.e164), d.ID, e.dupTTL).Result(); err != nil {
			return Decision{}, fmt.Errorf("risk: evaluate: %w", err)
		}
		if !locked {
			byNumber.add(CodeDuplicate, "a callback to this number is already outstanding")
			d.Action = sc.action()
		}
	}

	switch {
	case d.Action == Allow && held:
		d.Reserved = pl.budget.cost
	case d.Action != Allow && (locked || held):
		e.releaseLater(num.e164, d.ID, locked, held)
	}
	return d, nil
}
