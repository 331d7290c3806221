package redistest

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ServerCPU is the CPU time, user and system, the Redis server behind rdb
// used so far, as INFO cpu reports it; 0 when it cannot be read.
// Benchmarks report the difference per operation.
func ServerCPU(rdb *redis.Client) time.Duration {
	info, err := rdb.Info(context.Background(), "cpu").Result()
	if err != nil {
		return 0
	}
	var total float64
	for line := range strings.SplitSeq(info, "\r\n") {
		for _, f := range []string{"used_cpu_user:", "used_cpu_sys:"} {
			if v, ok := strings.CutPrefix(line, f); ok {
				s, _ := strconv.ParseFloat(v, 64)
				total += s
			}
		}
	}
	return time.Duration(total * float64(time.Second))
}

// ServerCommands is how many commands the Redis server behind rdb ran so
// far (INFO stats), the benchmark's own INFO included; 0 when it cannot
// be read.
func ServerCommands(rdb *redis.Client) int64 {
	info, err := rdb.Info(context.Background(), "stats").Result()
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "total_commands_processed:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}
