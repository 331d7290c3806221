package risk

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// Recombination rings: a fraudster pumping a few numbers from a few
// addresses recombines them, each address asking for several numbers and
// each number asked for from several addresses. A customer asks for their
// own number, from an address or two: the pattern is rare for them.
//
// A request shows the pattern live when its address asked for other
// numbers within the distinct-numbers window and its number was asked for
// from other sources within the distinct-addresses window (both counts the
// engine keeps anyway). The first requests of a ring look like new
// customers, so a live sighting marks, for the distinct-addresses window,
// the ring's members: the address, when at least half its numbers were
// asked for from other sources too, and every other IPv4 address that
// asked for the number and for another number; the number, when such
// another address asked for it, and every number the address asked for
// that three sources asked for (in its block's ring set). A later request
// for a marked number, for a number in a block with two marked numbers,
// or from a marked address shows the pattern too. An address that asked
// for one number is never marked, nor a number only its owner and one
// other address asked for, so one address asking for a victim's number
// marks neither the victim nor their address. The marks are written off
// the request path; the decision reads them in its one round trip. The
// reason is hidden (ReasonInfo.Hidden): it rests on what other visitors
// asked for, which the answer must not tell.

// maxRingMarksInFlight bounds the ring markings running at once; a sighting
// past it is not marked (the next one is).
const maxRingMarksInFlight = 64

// ringReads are a decision's reads of the ring marks.
type ringReads struct {
	queued bool
	number *redis.BoolCmd
	block  *redis.IntCmd
	source int
}

// queueRing reads the marks of e164, its block and the subscriber subID.
func queueRing(ctx context.Context, p redis.Pipeliner, rd *reads, e164, subID string) ringReads {
	k := ringBlockKey(numberPrefix(e164))
	return ringReads{queued: true, number: p.SIsMember(ctx, k, e164), block: p.SCard(ctx, k), source: rd.add(ringSourceKey(subID))}
}

// ringSighting is what a decision saw of a ring.
type ringSighting struct {
	// live is set when the request itself shows the pattern.
	live bool
	// detail explains the strongest evidence, "" for none.
	detail string
	// byAddress is set when the only evidence is the source's mark.
	byAddress bool
	// marked is set when the number and the source are already marked.
	marked bool
}

// sighting weighs the ring evidence of a request: numbers distinct
// numbers from its address and sources distinct sources for its number
// (nil when not counted), and the marks. A source on the shared list
// (sharedASN) is not judged by its own mark, which all its users share.
func (r ringReads) sighting(rd *reads, numbers, sources *redis.IntCmd, sharedASN bool) ringSighting {
	var s ringSighting
	if !r.queued {
		return s
	}
	numMarked, srcMarked := r.number.Val(), rd.str(r.source) != ""
	s.marked = numMarked && srcMarked
	switch {
	case numbers != nil && sources != nil && numbers.Val() >= 2 && sources.Val() >= 2:
		s.live = true
		s.detail = fmt.Sprintf("this address asked for %d numbers and %d addresses asked for this one", numbers.Val(), sources.Val())
	case numMarked:
		s.detail = "number seen in a recombination ring"
	case r.block.Val() >= 2:
		s.detail = fmt.Sprintf("%d numbers of this block seen in recombination rings", r.block.Val())
	case srcMarked && !sharedASN:
		s.detail, s.byAddress = "address seen in a recombination ring", true
	}
	return s
}

// markRing marks, off the request path and for window, the ring a live
// sighting showed: the subscriber subID (as the per-address counts key it)
// asking for e164. With all unset (an address on the shared list) the
// address's other numbers are not looked at: they are other people's.
func (e *Engine) markRing(subID, e164 string, all bool, window time.Duration) {
	select {
	case e.ringSlots <- struct{}{}:
	default:
		if n := e.ringsDropped.Add(1); n&(n-1) == 0 {
			e.log.Warn("recombination ring not marked: too many markings in flight", "in_flight", maxRingMarksInFlight, "dropped_so_far", n)
		}
		return
	}
	e.releases.Add(1)
	go func() {
		defer func() { <-e.ringSlots; e.releases.Done() }()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := e.writeRing(ctx, subID, e164, all, window); err != nil {
			e.log.Warn("recombination ring not marked", "err", err)
		}
	}()
}

// ringAdd adds numbers to a block's ring set and sets its expiry in one
// step, so a set never outlives its window.
var ringAdd = redis.NewScript(`redis.call("SADD", KEYS[1], unpack(ARGV, 2))
return redis.call("PEXPIRE", KEYS[1], ARGV[1])`)

// writeRing finds and writes the marks of markRing in three round trips.
func (e *Engine) writeRing(ctx context.Context, subID, e164 string, all bool, window time.Duration) error {
	// The distinct-count sets are trimmed now and then (queueDistinct):
	// only the members within their windows count.
	v, now := e.settings.active.Load().Velocity, e.now()
	inNumbers := &redis.ZRangeBy{Min: "(" + windowStart(v.NumbersPerIP, now), Max: "+inf"}
	inSources := &redis.ZRangeBy{Min: "(" + windowStart(v.IPsPerNumber, now), Max: "+inf"}
	var numbers, sources *redis.StringSliceCmd
	if _, err := e.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if all {
			numbers = p.ZRangeByScore(ctx, numbersKey(ipTagOf(subID)), inNumbers)
		}
		sources = p.ZRangeByScore(ctx, ipsKey(e164), inSources)
		return nil
	}); err != nil {
		return err
	}
	// The candidates: the address's other numbers, and the number's other
	// IPv4 sources (an IPv6 source is a /48, many subscribers).
	var otherNumbers, otherSources []string
	if numbers != nil {
		otherNumbers = slices.DeleteFunc(numbers.Val(), func(n string) bool { return n == e164 })
	}
	for _, src := range sources.Val() {
		if a, err := netip.ParseAddr(src); err == nil && a.Is4() && src != subID {
			otherSources = append(otherSources, src)
		}
	}
	cards := make([]*redis.IntCmd, 0, len(otherNumbers)+len(otherSources))
	if _, err := e.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, n := range otherNumbers {
			cards = append(cards, p.ZCount(ctx, ipsKey(n), inSources.Min, inSources.Max))
		}
		for _, src := range otherSources {
			cards = append(cards, p.ZCount(ctx, numbersKey(ipTagOf(src)), inNumbers.Min, inNumbers.Max))
		}
		return nil
	}); err != nil {
		return err
	}
	// A number is a ring's when addresses of the ring asked for it: the
	// number sighted when another address that asked for two numbers did
	// too, another of the address's numbers when three sources did. The
	// owner of a number an attacker asks for, who asked for it alone, is no
	// such address.
	blocks := map[string][]any{}
	var others []string
	reused := 1 // e164, asked for from another source too
	for i, c := range cards {
		switch {
		case i >= len(otherNumbers):
			if c.Val() >= 2 {
				others = append(others, otherSources[i-len(otherNumbers)])
			}
		case c.Val() >= 2:
			reused++
			if c.Val() >= 3 {
				b := numberPrefix(otherNumbers[i])
				blocks[b] = append(blocks[b], otherNumbers[i])
			}
		}
	}
	if len(others) > 0 {
		b := numberPrefix(e164)
		blocks[b] = append(blocks[b], e164)
	}
	// The address is a ring's when at least half its numbers are asked
	// for from other sources too. One whose numbers are mostly its own is
	// many people behind one address, one of whom also asked for their
	// number from elsewhere: marking it would refuse them all. An address
	// on the shared list (all unset) is never judged by its mark.
	subs := others
	if all && 2*reused >= len(otherNumbers)+1 {
		subs = append(subs, subID)
	}
	ms := window.Milliseconds()
	_, err := e.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for b, ns := range blocks {
			ringAdd.Eval(ctx, p, []string{ringBlockKey(b)}, append([]any{ms}, ns...)...)
		}
		for _, sub := range subs {
			p.Set(ctx, ringSourceKey(sub), "1", window)
		}
		return nil
	})
	return err
}
