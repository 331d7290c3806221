package contactflows

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrTooManyChallenges means the contact was already issued
// MaxIssuesPerContact codes in the current window, which starts at its
// first code and lasts TTL.
var ErrTooManyChallenges = errors.New("contactflows: too many challenges for this contact")

// challengeGrace is how long a challenge's record outlives its expiry, so
// that a late Verify is told "expired", or "spent", rather than "unknown".
const challengeGrace = 10 * time.Minute

// ChallengeOptions configure Challenges; zero values take the defaults named.
type ChallengeOptions struct {
	// Redis holds the challenges, the per-contact counters and the stats.
	// Required.
	Redis redis.UniversalClient
	// CodeLength is the number of digits in a code, 3 to 8; 4.
	CodeLength int
	// TTL is how long a code may be verified after it is issued, and the
	// length of the window MaxIssuesPerContact counts in; 5 minutes.
	TTL time.Duration
	// MaxAttempts is how many codes a caller may key in for one challenge;
	// 3.
	MaxAttempts int
	// MaxIssuesPerContact is how many codes one contact of one flow may be
	// issued within a window of TTL from its first; 3.
	MaxIssuesPerContact int
	// AllowTrivial lets codes be trivial: all one digit (0000) or a run
	// where each digit is one more, or each one less, than the one before,
	// 0 following 9 (1234, 9876, 7890, 8901, 1098). False excludes them.
	AllowTrivial bool
	// Now is the clock every expiry is decided by; time.Now.
	Now func() time.Time
	// Logger receives a line when an outcome could not be counted in the
	// stats; nil discards.
	Logger *slog.Logger
}

// Challenges issues DTMF codes for contacts and verifies what callers key
// in. Its state lives in Redis, so any instance sharing the Redis can
// verify a code another issued.
type Challenges struct {
	o    ChallengeOptions
	rand io.Reader
	log  *slog.Logger
}

// NewChallenges returns Challenges for o, or an error naming the option
// that is wrong.
func NewChallenges(o ChallengeOptions) (*Challenges, error) {
	if o.Redis == nil {
		return nil, errors.New("contactflows: ChallengeOptions.Redis is required")
	}
	o.CodeLength = cmp.Or(o.CodeLength, 4)
	o.TTL = cmp.Or(o.TTL, 5*time.Minute)
	o.MaxAttempts = cmp.Or(o.MaxAttempts, 3)
	o.MaxIssuesPerContact = cmp.Or(o.MaxIssuesPerContact, 3)
	switch {
	case o.CodeLength < 3 || o.CodeLength > 8:
		return nil, fmt.Errorf("contactflows: ChallengeOptions.CodeLength must be 3 to 8 digits, got %d", o.CodeLength)
	case o.TTL < time.Second:
		return nil, fmt.Errorf("contactflows: ChallengeOptions.TTL must be at least 1s, got %s", o.TTL)
	case o.MaxAttempts < 1:
		return nil, fmt.Errorf("contactflows: ChallengeOptions.MaxAttempts must be at least 1, got %d", o.MaxAttempts)
	case o.MaxIssuesPerContact < 1:
		return nil, fmt.Errorf("contactflows: ChallengeOptions.MaxIssuesPerContact must be at least 1, got %d", o.MaxIssuesPerContact)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	c := &Challenges{o: o, rand: rand.Reader, log: o.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Challenge is an issued code.
type Challenge struct {
	// ID names the challenge in Verify: 128 random bits, URL-safe base64.
	ID string
	// Code is the digits the caller must key in.
	Code string
	// Flow and ContactID are the flow and the contact it was issued for.
	Flow, ContactID string
	// Attempts is how many codes the caller may key in.
	Attempts int
	// ExpiresAt is when Verify starts answering "expired".
	ExpiresAt time.Time
}

// Issue returns a fresh challenge for contactID in flow, or
// ErrTooManyChallenges when the contact has had MaxIssuesPerContact codes
// in the current window. Earlier codes of the contact stay valid.
func (c *Challenges) Issue(ctx context.Context, flow, contactID string) (Challenge, error) {
	if flow == "" || contactID == "" {
		return Challenge{}, errors.New("contactflows: a challenge needs a flow and a contact id")
	}
	id, err := newChallengeID(c.rand)
	if err != nil {
		return Challenge{}, err
	}
	code, err := newCode(c.rand, c.o.CodeLength, c.o.AllowTrivial)
	if err != nil {
		return Challenge{}, err
	}
	now := c.o.Now()
	ttl, grace := c.o.TTL.Milliseconds(), challengeGrace.Milliseconds()

	n, err := issueScript.Run(ctx, c.o.Redis, []string{issuedKey(flow, contactID)},
		c.o.MaxIssuesPerContact, now.UnixMilli(), ttl, ttl+grace).Int()
	if err != nil {
		return Challenge{}, fmt.Errorf("contactflows: counting challenges of contact %s: %w", contactID, err)
	}
	if n == 0 {
		return Challenge{}, fmt.Errorf("%w: %s in flow %s", ErrTooManyChallenges, contactID, flow)
	}

	ch := Challenge{ID: id, Code: code, Flow: flow, ContactID: contactID, Attempts: c.o.MaxAttempts, ExpiresAt: now.Add(c.o.TTL)}
	_, err = c.o.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, challengeKey(id), "code", code, "flow", flow, "contact", contactID,
			"left", c.o.MaxAttempts, "expires_at", ch.ExpiresAt.UnixMilli(), "state", "open")
		p.PExpire(ctx, challengeKey(id), c.o.TTL+challengeGrace)
		return nil
	})
	if err != nil {
		return Challenge{}, fmt.Errorf("contactflows: storing a challenge for contact %s: %w", contactID, err)
	}
	c.count(ctx, now, flow, StatIssued)
	return ch, nil
}

// VerifyResult is the outcome of one Verify.
type VerifyResult string

// Verify results.
const (
	// VerifyPass: the code was right. The challenge is spent.
	VerifyPass VerifyResult = "pass"
	// VerifyRetry: the code was wrong and attempts remain.
	VerifyRetry VerifyResult = "retry"
	// VerifyFail: the code was wrong and no attempts remain, or an earlier
	// Verify used the last one. The challenge is spent.
	VerifyFail VerifyResult = "fail"
	// VerifyExpired: the challenge's TTL has passed. Its record is kept for
	// a while after, so an expired challenge is told from an unknown one.
	VerifyExpired VerifyResult = "expired"
	// VerifySpent: the challenge was already passed; this is a replay.
	// Nothing is compared and no attempt is used.
	VerifySpent VerifyResult = "spent"
	// VerifyUnknown: no challenge has that id, its record is gone, or it
	// was issued to another contact than the one keying it.
	VerifyUnknown VerifyResult = "unknown"
)

// Verification is what Verify found.
type Verification struct {
	// Result is the outcome.
	Result VerifyResult
	// AttemptsLeft is how many more codes the caller may key in; 0 unless
	// Result is VerifyRetry or VerifyPass.
	AttemptsLeft int
	// Flow and ContactID are those the challenge was issued for; empty
	// when Result is VerifyUnknown.
	Flow, ContactID string
	// Ended is true when this Verify ended the challenge: passed it, or
	// used its last attempt on a wrong code. A VerifyFail that is not
	// Ended found the challenge failed already, so it counts nothing.
	Ended bool
}

// Verify checks digits, as the caller keyed them in contactID, against
// challenge id. A challenge issued to another contact is VerifyUnknown,
// telling nothing of it and costing it no attempt, so a code read out in
// one call verifies in no other. Spaces and a '#' terminator are ignored; anything else that is not a
// digit makes the attempt wrong, not an error. Each Verify of a live
// challenge uses one attempt, taken atomically before the code is compared
// in constant time, so concurrent Verifies of one challenge compare at
// most MaxAttempts codes and at most one of them passes.
func (c *Challenges) Verify(ctx context.Context, id, contactID, digits string) (Verification, error) {
	if id == "" || len(id) > 64 || contactID == "" {
		return Verification{Result: VerifyUnknown}, nil
	}
	now := c.o.Now()
	res, err := attemptScript.Run(ctx, c.o.Redis, []string{challengeKey(id)}, now.UnixMilli(), contactID).StringSlice()
	if err != nil {
		return Verification{}, fmt.Errorf("contactflows: verifying challenge %s: %w", id, err)
	}
	if len(res) != 5 {
		return Verification{Result: VerifyUnknown}, nil
	}
	status, code, flow, contact := res[0], res[1], res[3], res[4]
	v := Verification{Flow: flow, ContactID: contact}
	switch status {
	case "check":
	case "expired_now":
		c.count(ctx, now, flow, StatExpired)
		v.Result = VerifyExpired
		return v, nil
	default:
		v.Result = VerifyResult(status)
		return v, nil
	}
	left, err := strconv.Atoi(res[2])
	if err != nil {
		return Verification{}, fmt.Errorf("contactflows: challenge %s attempts left %q: %w", id, res[2], err)
	}

	if subtle.ConstantTimeCompare([]byte(normalizeDigits(digits)), []byte(code)) == 1 {
		return c.settle(ctx, now, id, "pass", v, left)
	}
	if left > 0 {
		v.Result, v.AttemptsLeft = VerifyRetry, left
		return v, nil
	}
	return c.settle(ctx, now, id, "miss", v, 0)
}

// settle records a passed challenge, or a failed one whose last attempt
// was wrong, and counts the outcome when this Verify changed the state.
func (c *Challenges) settle(ctx context.Context, now time.Time, id, outcome string, v Verification, left int) (Verification, error) {
	res, err := settleScript.Run(ctx, c.o.Redis, []string{challengeKey(id)}, outcome).Text()
	if err != nil {
		return Verification{}, fmt.Errorf("contactflows: settling challenge %s: %w", id, err)
	}
	switch res {
	case "passed_now":
		c.count(ctx, now, v.Flow, StatPassed)
		v.Result, v.AttemptsLeft, v.Ended = VerifyPass, left, true
	case "failed_now":
		c.count(ctx, now, v.Flow, StatFailed)
		v.Result, v.Ended = VerifyFail, true
	default:
		v.Result = VerifyResult(res)
	}
	return v, nil
}

// count adds one to flow's event for now's day, logging a failure: the
// outcome stands whether or not it was counted.
func (c *Challenges) count(ctx context.Context, now time.Time, flow, event string) {
	if err := c.countAt(ctx, now, flow, event); err != nil {
		c.log.Error("challenge outcome not counted", slog.String("flow", flow), slog.String("event", event), slog.Any("err", err))
	}
}
