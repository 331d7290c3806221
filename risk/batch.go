package risk

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// batchScript runs the reads and writes of one decision. ARGV lists
// operations, each its name and then its arguments; they take their keys
// from KEYS in the same order, and each adds one element to the reply.
// Every key and argument is built in Go: Lua string building is slow on
// Redis 7.0, and a script that builds no key names declares every key.
//
//	c m ttl1..ttlm      KEYS cur1..curm prev1..prevm: sliding-window counter;
//	                    INCR each current bucket (PEXPIRE ttl when the INCR
//	                    created it), MGET the previous ones; reply
//	                    {cur1..curm, prev1..prevm}
//	d score member min cap ttl
//	                    KEYS set: distinct count; ZADD, drop members scored
//	                    below min, keep the newest cap, PEXPIRE; reply the count
//	l value ttl         KEYS key: SET NX PX; reply 1 when set, else 0
//	h n field1..fieldn  KEYS hash: HMGET
//	m n                 KEYS key1..keyn: MGET
//	g                   KEYS key: GET
var batchScript = redis.NewScript(`
local out, k, a = {}, 1, 1
while a <= #ARGV do
  local op = ARGV[a]
  if op == 'c' then
    local m = tonumber(ARGV[a + 1])
    local r = {}
    for i = 0, m - 1 do
      local n = redis.call('INCR', KEYS[k + i])
      if n == 1 then
        redis.call('PEXPIRE', KEYS[k + i], ARGV[a + 2 + i])
      end
      r[i + 1] = n
    end
    local prev = redis.call('MGET', unpack(KEYS, k + m, k + 2 * m - 1))
    for i = 1, m do
      r[m + i] = prev[i]
    end
    out[#out + 1] = r
    k, a = k + 2 * m, a + 2 + m
  elseif op == 'd' then
    redis.call('ZADD', KEYS[k], ARGV[a + 1], ARGV[a + 2])
    redis.call('ZREMRANGEBYSCORE', KEYS[k], '-inf', ARGV[a + 3])
    local n = redis.call('ZCARD', KEYS[k])
    local cap = tonumber(ARGV[a + 4])
    if n > cap then
      redis.call('ZREMRANGEBYRANK', KEYS[k], 0, n - cap - 1)
      n = cap
    end
    redis.call('PEXPIRE', KEYS[k], ARGV[a + 5])
    out[#out + 1] = n
    k, a = k + 1, a + 6
  elseif op == 'l' then
    if redis.call('SET', KEYS[k], ARGV[a + 1], 'NX', 'PX', ARGV[a + 2]) then
      out[#out + 1] = 1
    else
      out[#out + 1] = 0
    end
    k, a = k + 1, a + 3
  elseif op == 'h' then
    local n = tonumber(ARGV[a + 1])
    out[#out + 1] = redis.call('HMGET', KEYS[k], unpack(ARGV, a + 2, a + 1 + n))
    k, a = k + 1, a + 2 + n
  elseif op == 'm' then
    local n = tonumber(ARGV[a + 1])
    out[#out + 1] = redis.call('MGET', unpack(KEYS, k, k + n - 1))
    k, a = k + n, a + 2
  elseif op == 'g' then
    out[#out + 1] = redis.call('GET', KEYS[k])
    k, a = k + 1, a + 1
  else
    return redis.error_reply('tollgate batch: unknown operation ' .. tostring(op))
  end
end
return out
`)

// batch collects the Redis operations of one decision and runs them as
// batchScript: one EVALSHA on a single Redis; on a Cluster one per hash
// tag, so no call crosses slots, sent to their nodes concurrently. Each
// operation's result lands in the go-redis command it returned once run
// succeeded.
type batch struct {
	cluster bool
	groups  []*batchGroup
	byTag   map[string]*batchGroup
}

// batchGroup is one script call: the operations on keys of one hash tag
// (every operation, on a single Redis).
type batchGroup struct {
	keys  []string
	args  []any
	fills []func(any)
}

func newBatch(cluster bool) *batch { return &batch{cluster: cluster} }

// add appends one operation: its keys, its arguments starting with its
// name, and what to do with its element of the reply.
func (b *batch) add(keys []string, args []any, fill func(any)) {
	g := b.group(keys[0])
	g.keys = append(g.keys, keys...)
	g.args = append(g.args, args...)
	g.fills = append(g.fills, fill)
}

func (b *batch) group(key string) *batchGroup {
	if !b.cluster {
		if len(b.groups) == 0 {
			b.groups = []*batchGroup{{}}
		}
		return b.groups[0]
	}
	tag := hashTag(key)
	if g, ok := b.byTag[tag]; ok {
		return g
	}
	if b.byTag == nil {
		b.byTag = map[string]*batchGroup{}
	}
	g := &batchGroup{}
	b.byTag[tag] = g
	b.groups = append(b.groups, g)
	return g
}

// hashTag is the part of key Redis Cluster hashes: the text between the
// first '{' and the next '}' when not empty, else the whole key.
func hashTag(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key[i+1 : i+1+j]
		}
	}
	return key
}

// hmget adds an HMGET of fields of hash.
func (b *batch) hmget(hash string, fields ...string) *redis.SliceCmd {
	cmd := redis.NewSliceCmd(context.Background())
	args := make([]any, 0, 2+len(fields))
	args = append(args, "h", len(fields))
	for _, f := range fields {
		args = append(args, f)
	}
	b.add([]string{hash}, args, func(v any) { fillSlice(cmd, v) })
	return cmd
}

// mget adds an MGET of keys, which must share a hash tag.
func (b *batch) mget(keys ...string) *redis.SliceCmd {
	cmd := redis.NewSliceCmd(context.Background())
	b.add(keys, []any{"m", len(keys)}, func(v any) { fillSlice(cmd, v) })
	return cmd
}

// get adds a GET of key; a missing key leaves the command's error
// redis.Nil and its value empty.
func (b *batch) get(key string) *redis.StringCmd {
	cmd := redis.NewStringCmd(context.Background())
	b.add([]string{key}, []any{"g"}, func(v any) {
		if s, ok := v.(string); ok {
			cmd.SetVal(s)
		} else {
			cmd.SetErr(redis.Nil)
		}
	})
	return cmd
}

// setNX adds a SET NX with a TTL in milliseconds; the command is true when
// the key was set.
func (b *batch) setNX(key, value string, ttlMS int64) *redis.BoolCmd {
	cmd := redis.NewBoolCmd(context.Background())
	b.add([]string{key}, []any{"l", value, ttlMS}, func(v any) { n, _ := v.(int64); cmd.SetVal(n == 1) })
	return cmd
}

func fillSlice(cmd *redis.SliceCmd, v any) {
	vs, _ := v.([]any)
	cmd.SetVal(vs)
}

// run sends the batch: one EVALSHA per group in one pipeline, and the
// groups Redis did not know the script for again as EVAL.
func (b *batch) run(ctx context.Context, rdb redis.Cmdable) error {
	if len(b.groups) == 0 {
		return nil
	}
	cmds := make([]*redis.Cmd, len(b.groups))
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, g := range b.groups {
			cmds[i] = batchScript.EvalSha(ctx, p, g.keys, g.args...)
		}
		return nil
	})
	if err != nil && !noScript(err) {
		return err
	}
	var retry []int
	for i, c := range cmds {
		if noScript(c.Err()) {
			retry = append(retry, i)
		}
	}
	if len(retry) > 0 {
		_, err = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, i := range retry {
				cmds[i] = batchScript.Eval(ctx, p, b.groups[i].keys, b.groups[i].args...)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for i, c := range cmds {
		if err := c.Err(); err != nil {
			return err
		}
		reply, ok := c.Val().([]any)
		g := b.groups[i]
		if !ok || len(reply) != len(g.fills) {
			return fmt.Errorf("batch script: got %d results, want %d", len(reply), len(g.fills))
		}
		for j, fill := range g.fills {
			fill(reply[j])
		}
	}
	return nil
}

func noScript(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && strings.HasPrefix(re.Error(), "NOSCRIPT")
}
