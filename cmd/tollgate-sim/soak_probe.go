package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// soakProbe reads Tollgate's metrics and Redis's memory.
type soakProbe struct {
	rdb     *redis.Client
	metrics string
}

// sample reads one soakSample's gauges.
func (p *soakProbe) sample(ctx context.Context) (soakSample, error) {
	var s soakSample
	m, err := p.scrape(ctx)
	if err != nil {
		return s, err
	}
	s.heapInuse, s.goroutines, s.queued = m["go_memstats_heap_inuse_bytes"], m["go_goroutines"], m[`tollgate_queue_calls{state="queued"}`]
	if gogc := m["go_gc_gogc_percent"]; gogc > 0 {
		s.liveHeap = m["go_memstats_next_gc_bytes"] / (1 + gogc/100)
	} else {
		s.liveHeap = m["go_memstats_heap_alloc_bytes"]
	}
	mem, err := p.rdb.Info(ctx, "memory").Result()
	if err != nil {
		return s, fmt.Errorf("redis INFO memory: %w", err)
	}
	s.redisUsed, _ = strconv.ParseInt(infoField(mem, "used_memory"), 10, 64)
	if s.keys, err = p.rdb.DBSize(ctx).Result(); err != nil {
		return s, err
	}
	space, err := p.rdb.Info(ctx, "keyspace").Result()
	if err != nil {
		return s, err
	}
	db := map[string]int64{}
	for kv := range strings.SplitSeq(infoField(space, "db"+strconv.Itoa(p.rdb.Options().DB)), ",") {
		k, v, _ := strings.Cut(kv, "=")
		db[k], _ = strconv.ParseInt(v, 10, 64)
	}
	s.persistent = db["keys"] - db["expires"]
	return s, nil
}

// scrape reads the unlabelled and labelled samples of the Prometheus text
// format into a map keyed as written, e.g. go_goroutines or
// tollgate_queue_calls{state="queued"}.
func (p *soakProbe) scrape(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.metrics, nil)
	if err != nil {
		return nil, err
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading metrics: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("reading metrics: status %d", res.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); i > 0 && err == nil {
			out[line[:i]] = v
		}
	}
	return out, sc.Err()
}

// persistentKeys SCANs every key and returns those without an expiry, with
// their type, length and MEMORY USAGE.
func (p *soakProbe) persistentKeys(ctx context.Context) ([]persistentKey, error) {
	var out []persistentKey
	iter := p.rdb.Scan(ctx, 0, "*", 1000).Iterator()
	var batch []string
	flush := func() error {
		pipe := p.rdb.Pipeline()
		ttls := make([]*redis.DurationCmd, len(batch))
		for i, k := range batch {
			ttls[i] = pipe.PTTL(ctx, k)
		}
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		for i, k := range batch {
			// PTTL answers -1 for a key without an expiry.
			if ttls[i].Val() != -1 && ttls[i].Val() != -time.Millisecond {
				continue
			}
			pk, err := p.describe(ctx, k)
			if err != nil {
				return err
			}
			out = append(out, pk)
		}
		batch = batch[:0]
		return nil
	}
	for iter.Next(ctx) {
		if batch = append(batch, iter.Val()); len(batch) == 1000 {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return nil, err
	}
	return out, flush()
}

// describe reads one key's type, length and memory.
func (p *soakProbe) describe(ctx context.Context, key string) (persistentKey, error) {
	k := persistentKey{name: key}
	var err error
	if k.kind, err = p.rdb.Type(ctx, key).Result(); err != nil {
		return k, err
	}
	k.bytes, _ = p.rdb.MemoryUsage(ctx, key, 0).Result()
	switch k.kind {
	case "stream":
		k.length, err = p.rdb.XLen(ctx, key).Result()
	case "hash":
		k.length, err = p.rdb.HLen(ctx, key).Result()
	case "set":
		k.length, err = p.rdb.SCard(ctx, key).Result()
	case "zset":
		k.length, err = p.rdb.ZCard(ctx, key).Result()
	case "list":
		k.length, err = p.rdb.LLen(ctx, key).Result()
	case "string":
		k.length, err = p.rdb.StrLen(ctx, key).Result()
	}
	return k, err
}

// infoField returns field's value in an INFO answer.
func infoField(info, field string) string {
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	return ""
}
