package dispatch

import "github.com/redis/go-redis/v9"

// claimScript moves a call to dialing for its owner, atomically, creating
// its record on the first dial, and says whether to dial: "go" (with the
// attempt number), "done" (already placed, ended or given up), "busy"
// (another live worker is dialing it) or "unknown" (a worker died while
// dialing and the Dialer is not idempotent, so nobody knows whether the
// call was placed).
//
// Leases are in Redis's clock (TIME), so hosts whose clocks disagree
// cannot take a live worker's call.
//
// KEYS[1] call record; ARGV: lease ms, owner, idempotent ("1"/"0"), the
// call as JSON, the record's TTL in ms.
var claimScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local st = redis.call('HMGET', KEYS[1], 'state', 'owner', 'lease', 'attempts')
local state = st[1]
if not state then
  redis.call('HSET', KEYS[1], 'call', ARGV[4], 'state', 'queued', 'attempts', 0)
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
if state == 'placed' or state == 'ended' or state == 'dead' then return {'done', 0} end
if state == 'dialing' then
  if st[2] ~= ARGV[2] and tonumber(st[3] or '0') > now then return {'busy', 0} end
  if ARGV[3] ~= '1' then return {'unknown', tonumber(st[4] or '0')} end
end
local n = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'state', 'dialing', 'owner', ARGV[2], 'lease', now + tonumber(ARGV[1]))
return {'go', n}
`)

// moveDueScript puts calls whose retry time has come back on the stream,
// with the call as their record keeps it. It reads records it is not
// given as keys, which is sound only because every key it touches shares
// the {calls} hash tag and so one slot.
//
// KEYS[1] retry schedule, KEYS[2] stream; ARGV[1] now ms, ARGV[2] the
// prefix of record keys.
var moveDueScript = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 100)
for _, id in ipairs(due) do
  redis.call('ZREM', KEYS[1], id)
  local call = redis.call('HGET', ARGV[2] .. id, 'call')
  if call then redis.call('XADD', KEYS[2], '*', 'id', id, 'call', call) end
end
return #due
`)

// finishScript records a placed call's provider id and, unless a report of
// the call's end came first, its new state and outcome. It returns the
// state it found.
//
// KEYS[1] call record; ARGV: state (placed or ended), provider id, outcome.
var finishScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], 'state')
if cur == 'ended' then
  redis.call('HSET', KEYS[1], 'provider_id', ARGV[2])
else
  redis.call('HSET', KEYS[1], 'state', ARGV[1], 'provider_id', ARGV[2], 'outcome', ARGV[3])
end
return cur or ''
`)

// endScript records that a call ended, once. It returns the state it
// found and the call, or nothing when there is no record.
//
// KEYS[1] call record; ARGV[1] outcome.
var endScript = redis.NewScript(`
local st = redis.call('HMGET', KEYS[1], 'state', 'call')
if not st[2] then return {} end
if st[1] ~= 'ended' then redis.call('HSET', KEYS[1], 'state', 'ended', 'outcome', ARGV[1]) end
return {st[1] or '', st[2]}
`)
