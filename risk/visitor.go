package risk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/redis/go-redis/v9"
)

// A signed-in account (Request.Visitor) is counted like an address: its
// requests per window and its distinct numbers, under a hash tag of its
// own, so one visitor token cannot vouch for an unlimited number of
// requests. A token bound to one number vouches only for that number; a
// single-use token only for its first request (SET NX of its id, kept
// until the token expires).

// accountReads are the commands counting a decision's signed-in account.
type accountReads struct {
	velocity *counter
	numbers  *redis.IntCmd
	// once is nil unless the token is single-use; false when its id was
	// already taken.
	once *redis.BoolCmd
	// refusedSource is true when the request's own source refuses it
	// (see beforeCounting): a token does not whitewash such an address.
	refusedSource bool
}

// queueAccount adds the commands counting v's request for e164 to p.
func queueAccount(ctx context.Context, p redis.Pipeliner, rd *reads, x *expiring, s *compiled, v *Visitor, e164 string, now time.Time) accountReads {
	tag := accountTag(v.Account)
	r := accountReads{velocity: queueCounter(ctx, p, rd, x, tag, s.Velocity.Account, now)}
	if s.Velocity.NumbersPerAccount.Window > 0 {
		r.numbers = queueDistinct(ctx, p, numbersKey(tag), e164, s.Velocity.NumbersPerAccount, now)
	}
	if v.Once != "" {
		sum := sha256.Sum256([]byte(v.Once))
		ttl := min(max(v.Expiry.Sub(now), time.Second), maxTokenLife)
		r.once = p.SetNX(ctx, onceKey(tag, hex.EncodeToString(sum[:12])), 1, ttl)
	}
	return r
}

// maxTokenLife bounds how long a single-use token's id is remembered: no
// visitor token is valid for longer.
const maxTokenLife = time.Hour

// tokenFits reports whether v may vouch for the number num: it is not
// bound to a number, or bound to this one. The bound number is read in the
// engine's default region, never the request's, which the visitor picks.
func (e *Engine) tokenFits(v *Visitor, num parsedNumber) bool {
	if v == nil || v.Number == "" {
		return true
	}
	bound, err := e.numbers.parse(v.Number, e.region)
	return err == nil && bound.e164 == num.e164
}

// vouched reports whether req's visitor token vouches for the request:
// there is one, it fits the number, (a single-use one) was not seen
// before, and it did not come from a source that its own signals refuse.
func (a accountReads) vouched(req Request, fits bool) bool {
	return req.Visitor != nil && fits && a.fresh() && !a.refusedSource
}

// fresh reports whether a single-use token was not seen before; any other
// token is.
func (a accountReads) fresh() bool { return a.once == nil || a.once.Val() }

// flowBound is whether the request is bound to its flow: by what the
// handler established (an API key), or by a visitor token that vouches for
// it and names the flow.
func flowBound(req Request, vouched bool) bool {
	return req.FlowBound || vouched && req.Flow != "" && req.Visitor.Flow == req.Flow
}

// visitor adds whether the host site vouched for the visitor (or why its
// token does not), that it should have, and the account's counts.
func (sc scorer) visitor(req Request, fits bool, a accountReads) {
	v := req.Visitor
	vouched := a.vouched(req, fits)
	switch {
	case vouched:
		sc.add(CodeAuthenticated, "visitor authenticated by the host site")
	case v != nil && !fits:
		sc.add(CodeVisitorTokenWrongNumber, "the visitor token is bound to another number")
	case v != nil && !a.fresh():
		sc.add(CodeVisitorTokenReused, "the single-use visitor token was used before")
	case v != nil:
		sc.add(CodeVisitorTokenRefusedSource, "the visitor token came from an address its own signals refuse")
	}
	if !vouched && sc.s.RequireAuth {
		sc.add(CodeAuthRequired, "the visitor is not authenticated and authentication is required")
	}
	if v == nil {
		return
	}
	sc.velocity(a.velocity, CodeVelocityAccountWarning, CodeVelocityAccountCritical, "requests from this account")
	if a.numbers != nil {
		sc.distinct(a.numbers, sc.s.Velocity.NumbersPerAccount, CodeNumbersPerAccountWarning, CodeNumbersPerAccountCritical, "numbers from this account")
	}
}
