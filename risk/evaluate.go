package risk

import (
	"context"
	"errors"
	"fmt"
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
	ip, net, number, prefix, country      *counter
	spend                                 spendReads
	budget                                *budgetHold
	account                               accountReads
	numbersPerIP, ipsPerNumber            *redis.IntCmd
	blocksPerIP                           *redis.IntCmd
	nearby                                nearbyReads
	ring                                  ringReads
	lock                                  *redis.BoolCmd
	denyNumber, allowNumber, denyPrefix   *redis.SliceCmd
	denyIP, allowIP, denyCountry, denyASN *redis.SliceCmd
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

// queueDistinct counts distinct members seen in the window l, keeping at
// most distinctCap(l) of the newest.
func queueDistinct(ctx context.Context, p redis.Pipeliner, key, member string, l Limit, now time.Time) *redis.IntCmd {
	ms := now.UnixMilli()
	p.ZAdd(ctx, key, redis.Z{Score: float64(ms), Member: member})
	p.ZRemRangeByScore(ctx, key, "-inf", "("+strconv.FormatInt(ms-time.Duration(l.Window).Milliseconds(), 10))
	p.ZRemRangeByRank(ctx, key, 0, int64(-distinctCap(l)-1))
	card := p.ZCard(ctx, key)
	p.PExpire(ctx, key, time.Duration(l.Window))
	return card
}

// queueSeen counts the members of the distinct-count set key seen in the
// window l, without adding one: queueDistinct's read for a request whose
// own source already refuses it.
func queueSeen(ctx context.Context, p redis.Pipeliner, key string, l Limit, now time.Time) *redis.IntCmd {
	return p.ZCount(ctx, key, "("+strconv.FormatInt(now.UnixMilli()-time.Duration(l.Window).Milliseconds(), 10), "+inf")
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
// *NumberError after the attempt is counted against the client IP.
func (e *Engine) Evaluate(ctx context.Context, req Request) (Decision, error) {
	s := e.settings.active.Load()
	now := e.now()
	ip := req.IP.Unmap()
	d := Decision{ID: newID(), IP: ip, Flow: req.Flow, FlowBound: req.FlowBound, At: now}

	region := req.Region
	if region == "" {
		region = e.region
	}
	num, numErr := e.numbers.parse(req.Phone, region)

	var pl plan
	rd := newReads(e.cluster)
	sub := subscriber(ip, s.Velocity.IPv6Prefix)
	countIP := func(p redis.Pipeliner) {
		if ip.IsValid() {
			pl.ip, pl.net = queueAddress(ctx, p, rd, e.expiring, s, ip, now)
		}
	}
	if numErr != nil {
		e.countInvalid(ctx, s, ip, now)
		return Decision{}, numErr
	}
	d.Number, d.NumberCountry, d.NumberType = num.e164, num.country, typeNames[num.kind]
	info := e.geo.Lookup(ip)
	d.IPCountry, d.ASN = info.Country, info.ASN

	nt := numberTag(num.e164)
	addr, source := "unknown", "unknown"
	if ip.IsValid() {
		addr, source = subscriberID(sub), sharedSource(ip, sub)
	}
	fits := e.tokenFits(req.Visitor, num)
	// A request its own source refuses cannot be allowed (unless an allow
	// list waives that, below): it counts against its source only, takes
	// no lock and reserves nothing.
	sourceRefused := beforeCounting(s, req, info) || e.hot.hot(addr, now)
	shared, lock := !sourceRefused, !sourceRefused
	reserve := s.Spend.DailyBudget > 0 && !sourceRefused
	err := e.exec(ctx, rd, func(p redis.Pipeliner) {
		countIP(p)
		// What many visitors share counts distinct sources, not requests
		// (see queueSources).
		pl.number = queueSources(ctx, p, e.expiring, nt, source, shared, s.Velocity.Number, now)
		pl.prefix = queueSources(ctx, p, e.expiring, prefixTag(numberPrefix(num.e164)), source, shared, s.Velocity.Prefix, now)
		if num.country != "" {
			pl.country = queueSources(ctx, p, e.expiring, countryTag(num.country), source, shared, s.Velocity.Country, now)
		}
		pl.nearby = queueNearby(ctx, p, num.e164, source, shared, s.Velocity.NearbyNumbers, now)
		if lock {
			pl.lock = p.SetNX(ctx, lockKey(num.e164), d.ID, e.dupTTL)
		}
		pl.spend = queueSpend(rd, s.Spend, num.e164, now)
		if reserve {
			pl.budget = queueReserve(ctx, p, s.Spend, d.ID, num.country, now)
		}
		if req.Visitor != nil {
			pl.account = queueAccount(ctx, p, rd, e.expiring, s, req.Visitor, num.e164, now)
		}
		pl.account.refusedSource = sourceRefused
		pl.denyNumber = p.HMGet(ctx, listKey(DenyNumber), num.e164)
		pl.allowNumber = p.HMGet(ctx, listKey(AllowNumber), num.e164)
		pl.denyPrefix = p.HMGet(ctx, listKey(DenyPrefix), prefixCandidates(num.e164)...)
		if ip.IsValid() {
			it := ipTag(sub)
			if shared {
				pl.ipsPerNumber = queueDistinct(ctx, p, ipsKey(num.e164), source, s.Velocity.IPsPerNumber, now)
			} else {
				pl.ipsPerNumber = queueSeen(ctx, p, ipsKey(num.e164), s.Velocity.IPsPerNumber, now)
			}
			pl.numbersPerIP = queueDistinct(ctx, p, numbersKey(it), num.e164, s.Velocity.NumbersPerIP, now)
			pl.blocksPerIP = queueDistinct(ctx, p, blocksKey(it), numberPrefix(num.e164), s.Velocity.NumbersPerIP, now)
			pl.ring = queueRing(ctx, p, rd, num.e164, addr)
			nets := networkCandidates(ip)
			pl.denyIP = p.HMGet(ctx, listKey(DenyIP), nets...)
			pl.allowIP = p.HMGet(ctx, listKey(AllowIP), nets...)
		}
		if info.Country != "" {
			pl.denyCountry = p.HMGet(ctx, listKey(DenyCountry), info.Country)
		}
		if info.ASN != 0 {
			pl.denyASN = p.HMGet(ctx, listKey(DenyASN), strconv.FormatUint(uint64(info.ASN), 10))
		}
	})
	if err != nil {
		// A pipeline cut short by the deadline may still have run and
		// taken the number's lock for d.ID: free it if it did.
		e.releaseIfHeld(num.e164, d.ID, err)
		if reserve {
			e.releaseLater(num.e164, d.ID, false, true)
		}
		e.forgetSkipped(pl.ip, pl.net, pl.number, pl.prefix, pl.country, pl.account.velocity)
		return Decision{}, fmt.Errorf("risk: evaluate: %w", err)
	}

	e.settle(ctx, now, pl.ip, pl.net, pl.number, pl.prefix, pl.country, pl.account.velocity)
	sc := scorer{s: s, d: &d, now: now}
	sc.reasons(e.geoGaps)
	allowNumber := sc.entry(pl.allowNumber, CodeAllowNumber, "number on the allow list")
	allowIP := sc.entry(pl.allowIP, CodeAllowIP, "network on the allow list")
	sc.entry(pl.denyNumber, CodeDenyNumber, "number on the deny list")
	sc.entry(pl.denyPrefix, CodeDenyPrefix, "prefix on the deny list")
	sc.entry(pl.denyIP, CodeDenyIP, "address on the deny list")
	sc.entry(pl.denyCountry, CodeDenyCountry, "visitor country on the deny list")
	sc.entry(pl.denyASN, CodeDenyASN, "network operator on the deny list")

	d.FlowBound = flowBound(req, pl.account.vouched(req, fits))
	sc.destination(req.Flow, d.FlowBound, num, info)
	// An allow list waives the checks it exempts from rather than
	// skipping them, so what the visitor is shown does not reveal it.
	byIP := sc.waivedIf(allowIP)
	byNumber := sc.waivedIf(allowNumber)
	byIP.anonymity(info)
	sharedASN := s.shared[info.ASN]
	ring := pl.ring.sighting(rd, pl.numbersPerIP, shareable(pl.ipsPerNumber, shared), sharedASN)
	// The volume of an address many people share counts only with other
	// evidence, up to a ceiling.
	vol := byIP
	if why := sharedAddress(s, info.ASN, sharedASN, ip.Is4(), pl, ring); why != "" {
		byIP.add(CodeSharedAddress, why)
		vol.ceiling = s.Velocity.SharedCeiling
	}
	vol.velocity(pl.ip, CodeVelocityIPWarning, CodeVelocityIPCritical, "requests from this IP")
	vol.velocity(pl.net, CodeVelocityNetworkWarning, CodeVelocityNetworkCritical, "requests from this network")
	vol.distinct(pl.numbersPerIP, s.Velocity.NumbersPerIP, CodeNumbersPerIPWarning, CodeNumbersPerIPCritical, "numbers from this IP")
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
		e.markRing(addr, num.e164, !sharedASN, time.Duration(s.Velocity.IPsPerNumber.Window))
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
	held := false
	if pl.budget != nil {
		if held = sc.budget(pl.budget, num.country); !held {
			e.alertBudget(now, sc.d.Reasons[len(sc.d.Reasons)-1].Detail)
		}
	}
	sc.reasons(req.Extra)
	d.Action = sc.action()
	e.hot.mark(addr, &d, now)
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
