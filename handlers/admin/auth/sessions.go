package auth

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// SessionStore keeps scs sessions in Redis. Unlike scs's goredisstore it
// takes any go-redis client, a Cluster included.
type SessionStore struct {
	rdb redis.UniversalClient
	now func() time.Time
}

// NewSessionStore returns a session store on rdb.
func NewSessionStore(rdb redis.UniversalClient) *SessionStore {
	return &SessionStore{rdb: rdb, now: time.Now}
}

func sessionKey(token string) string { return "tg:session:" + token }

// FindCtx returns a session's data; found is false for a missing or
// expired session.
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	b, err := s.rdb.Get(ctx, sessionKey(token)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	return b, err == nil, err
}

// CommitCtx stores a session's data until expiry.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	ttl := expiry.Sub(s.now())
	if ttl <= 0 {
		return s.DeleteCtx(ctx, token)
	}
	return s.rdb.Set(ctx, sessionKey(token), b, ttl).Err()
}

// DeleteCtx removes a session.
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	return s.rdb.Del(ctx, sessionKey(token)).Err()
}

// Find is scs.Store's context-free form of FindCtx.
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit is scs.Store's context-free form of CommitCtx.
func (s *SessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Delete is scs.Store's context-free form of DeleteCtx.
func (s *SessionStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}
