package contactflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// A signed telephony request (a Connect event within its clock skew, a
// Twilio webhook at any time) can be sent again by anyone who saw it, and
// Twilio itself retries. Claim and Keep let a transport answer such a
// replay with the answer the first request got, without doing its work a
// second time: no second screening, code or failed attempt counted.

// replayKey is the claim of the request whose digest is digest: an empty
// string while the first request is being answered, then its answer. Each
// digest is its own hash tag.
func replayKey(digest string) string { return "tg:{replay:" + digest + "}" }

// Claim records that the request with digest (a hash of everything its
// signature covers) is being answered, for ttl. The first Claim of a
// digest gets first true. A later one gets the answer Keep stored, or nil
// while the first request is still being answered.
func (c *Challenges) Claim(ctx context.Context, digest string, ttl time.Duration) (first bool, answer []byte, err error) {
	key := replayKey(digest)
	ok, err := c.o.Redis.SetNX(ctx, key, "", ttl).Result()
	if err != nil {
		return false, nil, fmt.Errorf("contactflows: claiming request %s: %w", digest, err)
	}
	if ok {
		return true, nil, nil
	}
	b, err := c.o.Redis.Get(ctx, key).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		// Expired between the two calls: the claim is gone, so this
		// request is as good as a first one, but another may have taken
		// it meanwhile; claim again once.
		ok, err = c.o.Redis.SetNX(ctx, key, "", ttl).Result()
		if err != nil {
			return false, nil, fmt.Errorf("contactflows: claiming request %s: %w", digest, err)
		}
		return ok, nil, nil
	case err != nil:
		return false, nil, fmt.Errorf("contactflows: reading the answer of request %s: %w", digest, err)
	}
	if len(b) == 0 {
		return false, nil, nil
	}
	return false, b, nil
}

// Keep stores answer, not empty, for the request Claim gave first to,
// keeping the claim's expiry; nothing is stored once the claim expired.
func (c *Challenges) Keep(ctx context.Context, digest string, answer []byte) error {
	if len(answer) == 0 {
		return errors.New("contactflows: an empty answer cannot be kept")
	}
	err := c.o.Redis.SetArgs(ctx, replayKey(digest), answer, redis.SetArgs{Mode: "XX", KeepTTL: true}).Err()
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("contactflows: keeping the answer of request %s: %w", digest, err)
	}
	return nil
}

// Release drops the claim of digest, so the request is answered afresh
// when it comes again: for a first request that failed and changed
// nothing.
func (c *Challenges) Release(ctx context.Context, digest string) error {
	if err := c.o.Redis.Del(ctx, replayKey(digest)).Err(); err != nil {
		return fmt.Errorf("contactflows: releasing request %s: %w", digest, err)
	}
	return nil
}
