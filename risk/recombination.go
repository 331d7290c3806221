package risk

import (
	"context"
	"fmt"
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
// every number the address asked for (in its block's ring set) and every
// source that asked for the number: a later request for a marked number,
// for a number in a block with two marked numbers, or from a marked source
// shows the pattern too. The marks are written off the request path; the
// decision reads them in its one round trip.

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

// queueRing reads the marks of e164, its block and source.
func queueRing(ctx context.Context, p redis.Pipeliner, rd *reads, e164, source string) ringReads {
	k := ringBlockKey(numberPrefix(e164))
	return ringReads{queued: true, number: p.SIsMember(ctx, k, e164), block: p.SCard(ctx, k), source: rd.add(ringSourceKey(source))}
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

// markRing marks, off the request path and for window, e164, the numbers
// the subscriber of subKey asked for when all is set, and the sources that
// asked for e164 (source among them).
func (e *Engine) markRing(subKey, source, e164 string, all bool, window time.Duration) {
	select {
	case e.ringSlots <- struct{}{}:
	default:
		return
	}
	e.releases.Add(1)
	go func() {
		defer func() { <-e.ringSlots; e.releases.Done() }()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var numbers, sources *redis.StringSliceCmd
		if _, err := e.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			if all {
				numbers = p.ZRange(ctx, key(subKey, "numbers"), 0, -1)
			}
			sources = p.ZRange(ctx, key(numberTag(e164), "ips"), 0, -1)
			return nil
		}); err != nil {
			e.log.Warn("recombination ring not marked", "err", err)
			return
		}
		blocks := map[string][]any{}
		var own []string
		if all {
			own = numbers.Val()
		}
		for _, n := range append(own, e164) {
			b := numberPrefix(n)
			blocks[b] = append(blocks[b], n)
		}
		if _, err := e.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for b, ns := range blocks {
				p.SAdd(ctx, ringBlockKey(b), ns...)
				p.Expire(ctx, ringBlockKey(b), window)
			}
			for _, s := range append(sources.Val(), source) {
				p.Set(ctx, ringSourceKey(s), "1", window)
			}
			return nil
		}); err != nil {
			e.log.Warn("recombination ring not marked", "err", err)
		}
	}()
}
