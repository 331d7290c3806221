package risk

import (
	"context"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// reads gathers the plain reads of one decision (the counters' previous
// buckets, the placed-call counts, the day's spend) into MGETs sent in the
// decision's pipeline: one MGET on a single Redis, one per hash tag on a
// Cluster, where an MGET may not cross slots. Each MGET saves Redis and
// go-redis a command per key.
type reads struct {
	cluster bool
	groups  []readGroup
	at      []readAt
}

type readGroup struct {
	tag  string
	keys []string
	cmd  *redis.SliceCmd
}

// readAt locates one read: its group and its position in the group's MGET.
type readAt struct{ group, index int }

func newReads(cluster bool) *reads { return &reads{cluster: cluster, at: make([]readAt, 0, 24)} }

// add registers a read of key and returns its handle for str and int.
func (r *reads) add(key string) int {
	g := 0
	switch {
	case r.cluster:
		tag := hashTag(key)
		g = -1
		for i := range r.groups {
			if r.groups[i].tag == tag {
				g = i
				break
			}
		}
		if g < 0 {
			r.groups = append(r.groups, readGroup{tag: tag})
			g = len(r.groups) - 1
		}
	case len(r.groups) == 0:
		r.groups = append(r.groups, readGroup{keys: make([]string, 0, 24)})
	}
	r.groups[g].keys = append(r.groups[g].keys, key)
	r.at = append(r.at, readAt{g, len(r.groups[g].keys) - 1})
	return len(r.at) - 1
}

// queue adds the MGETs to p; r is nil or empty when nothing is read.
func (r *reads) queue(ctx context.Context, p redis.Pipeliner) {
	if r == nil {
		return
	}
	for i := range r.groups {
		r.groups[i].cmd = p.MGet(ctx, r.groups[i].keys...)
	}
}

// str returns the value of read i once the pipeline ran; "" when the key
// is missing.
func (r *reads) str(i int) string {
	at := r.at[i]
	v := r.groups[at.group].cmd.Val()
	if at.index >= len(v) {
		return ""
	}
	s, _ := v[at.index].(string)
	return s
}

// int returns read i as an integer; 0 when the key is missing or holds no
// integer.
func (r *reads) int(i int) int64 {
	s := r.str(i)
	if s == "" {
		return 0 // spares ParseInt's error allocation for every missing key
	}
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// hashTag is the part of key Redis Cluster hashes: the text between the
// first '{' and the next '}' when that is not empty, else the whole key.
func hashTag(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key[i+1 : i+1+j]
		}
	}
	return key
}
