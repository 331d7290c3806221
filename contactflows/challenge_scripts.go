package contactflows

import (
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Keys of the challenges. Each script touches one key, so in Cluster mode
// no script crosses slots: a challenge has its own hash tag, a contact's
// counter another, and the day's stats a third.

// challengeKey is challenge id's record: a hash of code, flow, contact,
// left (attempts not yet taken), expires_at (Unix ms) and state (open,
// passed, failed or expired). It expires a grace period after expires_at.
func challengeKey(id string) string { return "tg:{challenge:" + id + "}" }

// issuedKey counts the codes issued to contact in flow: a hash of n and
// until (Unix ms, the end of the window). The flow's length comes first,
// so no flow and contact pair can be spelled like another.
func issuedKey(flow, contact string) string {
	return "tg:{contact:" + strconv.Itoa(len(flow)) + ":" + flow + ":" + contact + "}:issued"
}

// issueScript counts one code issued to a contact, unless the contact has
// had its maximum in the current window, which starts with the first code
// issued after the last window ended. It returns the count, or 0 when the
// code is refused. The window is decided by the caller's clock; the key's
// expiry only cleans up.
//
// KEYS[1] the contact's counter; ARGV: maximum, now ms, window ms, key TTL
// ms.
var issueScript = redis.NewScript(`
local now = tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'n', 'until')
local n, untl = tonumber(v[1] or '0'), tonumber(v[2] or '0')
if untl <= now then
  n = 0
  redis.call('HSET', KEYS[1], 'until', now + tonumber(ARGV[3]))
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
if n >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'n', n + 1)
return n + 1
`)

// attemptScript takes one attempt of a challenge before its code is
// compared. It returns {status, code, attempts left, flow, contact}, with
// status "check" when the code is to be compared, "expired_now" when the
// challenge expired and this call was the first to see it, or the
// VerifyResult of a challenge that is spent or out of attempts; nothing
// when there is no record, or when the record was issued to another
// contact than ARGV[2]: a code keyed in another call is unknown, whatever
// its state, and costs no attempt.
//
// KEYS[1] the challenge; ARGV[1] now ms, ARGV[2] the contact keying it.
var attemptScript = redis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 'state', 'code', 'left', 'expires_at', 'flow', 'contact')
local state = r[1]
if not state or r[6] ~= ARGV[2] then return {} end
local flow, contact = r[5] or '', r[6] or ''
if state == 'passed' then return {'spent', '', '0', flow, contact} end
if state == 'failed' then return {'fail', '', '0', flow, contact} end
if state == 'expired' then return {'expired', '', '0', flow, contact} end
if tonumber(ARGV[1]) >= tonumber(r[4]) then
  redis.call('HSET', KEYS[1], 'state', 'expired')
  return {'expired_now', '', '0', flow, contact}
end
if tonumber(r[3]) <= 0 then return {'fail', '', '0', flow, contact} end
local left = redis.call('HINCRBY', KEYS[1], 'left', -1)
return {'check', r[2], tostring(left), flow, contact}
`)

// settleScript ends an open challenge after a comparison: passed for a
// right code, failed for a wrong one that used the last attempt. It
// returns "passed_now" or "failed_now" when it changed the state, and
// otherwise the VerifyResult of the state it found.
//
// KEYS[1] the challenge; ARGV[1] "pass" or "miss".
var settleScript = redis.NewScript(`
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 'unknown' end
if state == 'open' then
  if ARGV[1] == 'pass' then
    redis.call('HSET', KEYS[1], 'state', 'passed')
    return 'passed_now'
  end
  if tonumber(redis.call('HGET', KEYS[1], 'left')) <= 0 then
    redis.call('HSET', KEYS[1], 'state', 'failed')
    return 'failed_now'
  end
  return 'retry'
end
if state == 'passed' then return 'spent' end
if state == 'failed' then return 'fail' end
return 'expired'
`)
