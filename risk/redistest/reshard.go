package redistest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// migrateTimeout is MIGRATE's own timeout, in milliseconds.
const migrateTimeout = 5000

// MoveOptions tune MoveSlot. Zero values take the defaults named.
type MoveOptions struct {
	// Batch is how many keys one MIGRATE moves; 10.
	Batch int
	// Pause is the wait after each MIGRATE, to keep the slot migrating
	// for a while under load; none.
	Pause time.Duration
	// Migrating, when set, is called once the slot is importing on the
	// target and migrating on the source, before any key moves.
	Migrating func()
}

// MoveResult says what MoveSlot did.
type MoveResult struct {
	// From and To index Addrs: the master that served the slot and the one
	// that serves it now.
	From, To int
	// Keys is how many keys MIGRATE moved.
	Keys int
	// Batches is how many MIGRATE commands ran.
	Batches int
}

// SlotOwner returns the index in Addrs of the master serving slot, as that
// master's own CLUSTER SLOTS says.
func (c *Cluster) SlotOwner(ctx context.Context, slot int) (int, error) {
	admin := redis.NewClient(&redis.Options{Addr: c.Addrs[0], MaxRetries: -1})
	defer admin.Close()
	ranges, err := admin.ClusterSlots(ctx).Result()
	if err != nil {
		return 0, fmt.Errorf("redistest: CLUSTER SLOTS: %w", err)
	}
	for _, r := range ranges {
		if int(r.Start) <= slot && slot <= int(r.End) && len(r.Nodes) > 0 {
			for i, a := range c.Addrs {
				if a == r.Nodes[0].Addr {
					return i, nil
				}
			}
			return 0, fmt.Errorf("redistest: slot %d is served by %s, not a master of this cluster", slot, r.Nodes[0].Addr)
		}
	}
	return 0, fmt.Errorf("redistest: slot %d is not served", slot)
}

// MoveSlot moves a slot, with its keys, from the master serving it to
// Addrs[to], as redis-cli --cluster reshard does while clients keep
// working: CLUSTER SETSLOT IMPORTING on the target and MIGRATING on the
// source, MIGRATE the keys in batches, then CLUSTER SETSLOT NODE on the
// target, the source and the other masters. While the slot migrates, the
// source answers ASK for keys it no longer holds and TRYAGAIN for commands
// over several keys of which only some moved. It returns once every master
// names the target as the slot's owner.
func (c *Cluster) MoveSlot(ctx context.Context, slot, to int, o MoveOptions) (MoveResult, error) {
	if slot < 0 || slot >= clusterSlots {
		return MoveResult{}, fmt.Errorf("redistest: slot %d is not in 0..%d", slot, clusterSlots-1)
	}
	if to < 0 || to >= len(c.Addrs) {
		return MoveResult{}, fmt.Errorf("redistest: master %d is not in 0..%d", to, len(c.Addrs)-1)
	}
	if o.Batch <= 0 {
		o.Batch = 10
	}
	from, err := c.SlotOwner(ctx, slot)
	if err != nil {
		return MoveResult{}, err
	}
	res := MoveResult{From: from, To: to}
	if from == to {
		return res, nil
	}
	admins := make([]*redis.Client, len(c.Addrs))
	ids := make([]string, len(c.Addrs))
	for i, a := range c.Addrs {
		admins[i] = redis.NewClient(&redis.Options{Addr: a, MaxRetries: -1})
		defer admins[i].Close()
		if ids[i], err = admins[i].ClusterMyID(ctx).Result(); err != nil {
			return res, fmt.Errorf("redistest: CLUSTER MYID on %s: %w", a, err)
		}
	}
	src, dst := admins[from], admins[to]
	if err := setSlot(ctx, dst, slot, "IMPORTING", ids[from]); err != nil {
		return res, err
	}
	if err := setSlot(ctx, src, slot, "MIGRATING", ids[to]); err != nil {
		return res, err
	}
	if o.Migrating != nil {
		o.Migrating()
	}
	host, port, _ := strings.Cut(c.Addrs[to], ":")
	for {
		keys, err := src.ClusterGetKeysInSlot(ctx, slot, o.Batch).Result()
		if err != nil {
			return res, fmt.Errorf("redistest: CLUSTER GETKEYSINSLOT %d on %s: %w", slot, c.Addrs[from], err)
		}
		if len(keys) == 0 {
			break
		}
		args := []any{"MIGRATE", host, port, "", 0, migrateTimeout, "KEYS"}
		for _, k := range keys {
			args = append(args, k)
		}
		if err := src.Do(ctx, args...).Err(); err != nil && !errors.Is(err, redis.Nil) {
			return res, fmt.Errorf("redistest: MIGRATE %d keys of slot %d to %s: %w", len(keys), slot, c.Addrs[to], err)
		}
		res.Keys += len(keys)
		res.Batches++
		if o.Pause > 0 {
			select {
			case <-ctx.Done():
				return res, ctx.Err()
			case <-time.After(o.Pause):
			}
		}
	}
	// The target first, so it serves the slot before the source stops
	// redirecting to it; then the source; then everyone else.
	order := []int{to, from}
	for i := range admins {
		if i != to && i != from {
			order = append(order, i)
		}
	}
	for _, i := range order {
		if err := setSlot(ctx, admins[i], slot, "NODE", ids[to]); err != nil {
			return res, err
		}
	}
	return res, waitOwner(ctx, admins, slot, c.Addrs[to])
}

func setSlot(ctx context.Context, a *redis.Client, slot int, state, id string) error {
	if err := a.Do(ctx, "CLUSTER", "SETSLOT", slot, state, id).Err(); err != nil {
		return fmt.Errorf("redistest: CLUSTER SETSLOT %d %s %s on %s: %w", slot, state, id, a.Options().Addr, err)
	}
	return nil
}

// waitOwner polls CLUSTER SLOTS on every master until each names owner as
// the slot's master.
func waitOwner(ctx context.Context, admins []*redis.Client, slot int, owner string) error {
	var last string
	for {
		agreed := true
		for _, a := range admins {
			got, err := ownerSeenBy(ctx, a, slot)
			if err != nil || got != owner {
				agreed = false
				last = fmt.Sprintf("%s says %q (%v)", a.Options().Addr, got, err)
				break
			}
		}
		if agreed {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("redistest: masters do not agree slot %d moved to %s: %w; last %s", slot, owner, ctx.Err(), last)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func ownerSeenBy(ctx context.Context, a *redis.Client, slot int) (string, error) {
	ranges, err := a.ClusterSlots(ctx).Result()
	if err != nil {
		return "", err
	}
	for _, r := range ranges {
		if int(r.Start) <= slot && slot <= int(r.End) && len(r.Nodes) > 0 {
			return r.Nodes[0].Addr, nil
		}
	}
	return "", errors.New("slot " + strconv.Itoa(slot) + " not served")
}
