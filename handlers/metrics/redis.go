package metrics

import (
	"context"
	"errors"
	"net"

	"github.com/redis/go-redis/v9"
)

// Kinds of Redis error counted in tollgate_redis_errors_total.
const (
	kindTimeout  = "timeout"
	kindCanceled = "canceled"
	kindReply    = "reply"
	kindOther    = "other"
)

// RedisHook is a go-redis hook counting failed commands and pipelines by
// kind. A pipeline counts once, however many of its commands failed. A
// missing key (redis.Nil) is an answer, not an error. Add it with
// client.AddHook(m.RedisHook()).
type RedisHook struct{ m *Metrics }

var _ redis.Hook = RedisHook{}

// RedisHook returns the hook that counts m's Redis errors.
func (m *Metrics) RedisHook() RedisHook { return RedisHook{m: m} }

// DialHook passes dials through: a failed dial fails the command that
// needed it, which is counted there.
func (h RedisHook) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook counts a failed command.
func (h RedisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if !setupCommand(cmd) {
			h.count(err)
		}
		return err
	}
}

// ProcessPipelineHook counts a pipeline or transaction with any failed
// command once.
func (h RedisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		h.count(pipelineFailure(err, cmds))
		return err
	}
}

// pipelineFailure is the first error of cmds that counts, or err when no
// command carries one.
func pipelineFailure(err error, cmds []redis.Cmder) error {
	cmdFailed := false
	for _, c := range cmds {
		e := c.Err()
		if e == nil {
			continue
		}
		cmdFailed = true
		if !errors.Is(e, redis.Nil) && !setupCommand(c) {
			return e
		}
	}
	if cmdFailed {
		return nil
	}
	return err
}

// setupCommand reports whether cmd is one go-redis sends when it opens a
// connection (HELLO, CLIENT SETINFO, ...), whose errors it ignores: an older
// Redis, or the embedded store, refuses some of them on every connection.
func setupCommand(cmd redis.Cmder) bool {
	switch cmd.Name() {
	case "hello", "client":
		return true
	}
	return false
}

// count adds err under its kind; nil and redis.Nil count nothing.
func (h RedisHook) count(err error) {
	if kind := errorKind(err); kind != "" {
		h.m.redisErrors.WithLabelValues(kind).Inc()
	}
}

// errorKind classifies err, or returns "" for no error.
func errorKind(err error) string {
	var ne net.Error
	var re redis.Error
	switch {
	case err == nil || errors.Is(err, redis.Nil):
		return ""
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, redis.ErrPoolTimeout),
		errors.As(err, &ne) && ne.Timeout():
		return kindTimeout
	case errors.Is(err, context.Canceled):
		return kindCanceled
	case errors.As(err, &re):
		return kindReply
	}
	return kindOther
}
