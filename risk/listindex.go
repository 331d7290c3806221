package risk

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// rebuildIndexScript replaces the index KEYS[2] with the fields of the
// list hash KEYS[1], atomically, and returns how many it indexed.
var rebuildIndexScript = redis.NewScript(`
local values = redis.call('HKEYS', KEYS[1])
redis.call('DEL', KEYS[2])
for i = 1, #values, 1000 do
  local args = {}
  for j = i, math.min(i + 999, #values) do
    args[#args + 1] = 0
    args[#args + 1] = values[j]
  end
  redis.call('ZADD', KEYS[2], unpack(args))
end
return #values
`)

// EnsureListIndex rebuilds the index of every list whose index is missing
// or out of step with it (its size differs from the list's), as after
// entries written by a version without indexes. It returns the lists it
// rebuilt. Call it at start, after LoadSettings.
func (ls *ListStore) EnsureListIndex(ctx context.Context) ([]List, error) {
	type sizes struct{ list, index *redis.IntCmd }
	got := make([]sizes, len(Lists()))
	_, err := ls.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, l := range Lists() {
			got[i] = sizes{p.HLen(ctx, listKey(l)), p.ZCard(ctx, indexKey(l))}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("check list indexes: %w", err)
	}
	var rebuilt []List
	for i, l := range Lists() {
		if got[i].list.Val() == got[i].index.Val() {
			continue
		}
		if err := rebuildIndexScript.Run(ctx, ls.rdb, []string{listKey(l), indexKey(l)}).Err(); err != nil {
			return rebuilt, fmt.Errorf("rebuild the index of %s: %w", l, err)
		}
		rebuilt = append(rebuilt, l)
	}
	return rebuilt, nil
}
