package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Token is an API bearer token as stored: never the secret itself. A token
// never acts with more than its creator's current rights: it acts with at
// most the creator's role, and ends when the creator is deleted or changes
// password.
type Token struct {
	// ID is the first 12 hex digits of the secret's SHA-256; it names the
	// token in the console and in the audit log.
	ID string `json:"id"`
	// Label says what the token is for.
	Label string `json:"label"`
	// Role is what the token may do: the role it was created with, capped
	// at its creator's current role.
	Role Role `json:"role"`
	// CreatedBy is the user who created it.
	CreatedBy string `json:"created_by"`
	// Created is when it was created.
	Created time.Time `json:"created"`
	// Expires, unless zero, is when the token stops working.
	Expires time.Time `json:"expires,omitzero"`
	// LastUsed is when the token last authenticated a request, kept to
	// within TokenUseResolution; zero when never.
	LastUsed time.Time `json:"last_used,omitzero"`
	// Parent is the ID of the token that created this one through the
	// API; empty for a token created in the console. A token never
	// outlives its parent: its expiry is capped at the parent's, and
	// revoking the parent revokes it.
	Parent string `json:"parent,omitempty"`
}

// NewToken is what a token is created with.
type NewToken struct {
	// Label says what the token is for: 1 to 100 characters.
	Label string
	// Role is what the token may do, within its creator's role.
	Role Role
	// CreatedBy is the user creating the token; it must exist.
	CreatedBy string
	// Expires, unless zero, is when the token stops working; it must be in
	// the future.
	Expires time.Time
	// Parent, when set, is the token creating this one; the new token
	// expires no later than it and is revoked with it.
	Parent *Token
}

// storedToken is a token as kept in Redis.
type storedToken struct {
	Token
	// CreatorStamp is the creator's User.Stamp at creation: a token made
	// before its creator's last password change has ended. Tokens made
	// before stamps were kept have none, and end when their creator's
	// password changes because SetPassword deletes them.
	CreatorStamp string `json:"creator_stamp,omitempty"`
	// ParentDigest is the parent token's key, for revoking with it.
	ParentDigest string `json:"parent_digest,omitempty"`
}

// TokenUseResolution is how stale a token's LastUsed may be: it is written
// at most once per this long per token, so busy scripts do not write to
// Redis on every request.
const TokenUseResolution = time.Minute

// TokenPrefix starts every token secret, so scanners can spot leaked ones.
const TokenPrefix = "tgk_"

const (
	tokensKey     = "tg:{admin}:tokens"
	tokensUsedKey = "tg:{admin}:tokens:used"
)

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func tokenDigest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateToken makes a token and returns its secret, shown once.
func (s *Store) CreateToken(ctx context.Context, n NewToken) (string, Token, error) {
	label := strings.TrimSpace(n.Label)
	if label == "" || len(label) > 100 {
		return "", Token{}, invalidf("a token needs a label of 1 to 100 characters saying what it is for")
	}
	if _, err := ParseRole(string(n.Role)); err != nil {
		return "", Token{}, err
	}
	now := s.now().UTC()
	if !n.Expires.IsZero() && !n.Expires.After(now) {
		return "", Token{}, invalidf("a token's expiry must be in the future")
	}
	creator, err := s.User(ctx, n.CreatedBy)
	if err != nil {
		return "", Token{}, err
	}
	var parentDigest string
	if n.Parent != nil {
		if parentDigest, err = s.tokenDigestOf(ctx, n.Parent.ID); err != nil {
			return "", Token{}, err
		}
		if pe := n.Parent.Expires; !pe.IsZero() && (n.Expires.IsZero() || n.Expires.After(pe)) {
			n.Expires = pe
		}
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", Token{}, err
	}
	secret := TokenPrefix + strings.ToLower(tokenEncoding.EncodeToString(b[:]))
	digest := tokenDigest(secret)
	st := storedToken{Token: Token{ID: digest[:12], Label: label, Role: n.Role, CreatedBy: creator.Name,
		Created: now.Truncate(time.Second), Expires: n.Expires.UTC().Truncate(time.Second)}, CreatorStamp: creator.Stamp,
		ParentDigest: parentDigest}
	if n.Parent != nil {
		st.Parent = n.Parent.ID
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return "", Token{}, err
	}
	if err := s.rdb.HSet(ctx, tokensKey, digest, raw).Err(); err != nil {
		return "", Token{}, fmt.Errorf("create token: %w", err)
	}
	st.Token.Role = capRole(n.Role, creator.Role)
	return secret, st.Token, nil
}

// VerifyToken returns the token whose secret this is, with its role capped
// at its creator's current role. An expired token, or one whose creator is
// gone or changed password since, is ErrNoToken. It records the use.
func (s *Store) VerifyToken(ctx context.Context, secret string) (Token, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return Token{}, ErrNoToken
	}
	digest := tokenDigest(secret)
	var raw, used *redis.StringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		raw = p.HGet(ctx, tokensKey, digest)
		used = p.HGet(ctx, tokensUsedKey, digest)
		return nil
	})
	if errors.Is(raw.Err(), redis.Nil) {
		return Token{}, ErrNoToken
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		return Token{}, fmt.Errorf("verify token: %w", err)
	}
	var st storedToken
	if err := json.Unmarshal([]byte(raw.Val()), &st); err != nil {
		return Token{}, fmt.Errorf("verify token: %w", err)
	}
	now := s.now()
	t, ok, err := s.valid(ctx, st, now)
	if err != nil || !ok {
		return Token{}, err
	}
	t.LastUsed = unixTime(used.Val())
	if now.Sub(t.LastUsed) >= TokenUseResolution {
		// Best effort: a use that is not recorded does not refuse the request.
		_ = s.rdb.HSet(ctx, tokensUsedKey, digest, now.Unix()).Err()
		t.LastUsed = now.UTC().Truncate(time.Second)
	}
	return t, nil
}

// valid returns st's token with its role capped, or ok false with
// ErrNoToken when it has expired or its creator is gone or changed
// password.
func (s *Store) valid(ctx context.Context, st storedToken, now time.Time) (Token, bool, error) {
	if !st.Expires.IsZero() && !now.Before(st.Expires) {
		return Token{}, false, ErrNoToken
	}
	creator, err := s.User(ctx, st.CreatedBy)
	if errors.Is(err, ErrNoUser) {
		return Token{}, false, ErrNoToken
	}
	if err != nil {
		return Token{}, false, fmt.Errorf("verify token: %w", err)
	}
	if st.CreatorStamp != "" && st.CreatorStamp != creator.Stamp {
		return Token{}, false, ErrNoToken
	}
	t := st.Token
	t.Role = capRole(t.Role, creator.Role)
	return t, true, nil
}

// capRole is role r, lowered to the creator's role c.
func capRole(r, c Role) Role {
	if r == RoleAdmin && c == RoleAdmin {
		return RoleAdmin
	}
	return RoleViewer
}

// unixTime reads a time stored as Unix seconds; zero for anything else.
func unixTime(s string) time.Time {
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil || sec <= 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

// Tokens lists every token still valid, newest first, with its role
// capped and its last use.
func (s *Store) Tokens(ctx context.Context) ([]Token, error) {
	var all, used *redis.MapStringStringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		all = p.HGetAll(ctx, tokensKey)
		used = p.HGetAll(ctx, tokensUsedKey)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	now := s.now()
	out := make([]Token, 0, len(all.Val()))
	for digest, raw := range all.Val() {
		var st storedToken
		if json.Unmarshal([]byte(raw), &st) != nil {
			continue
		}
		t, ok, err := s.valid(ctx, st, now)
		if err != nil && !errors.Is(err, ErrNoToken) {
			return nil, err
		}
		if ok {
			t.LastUsed = unixTime(used.Val()[digest])
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b Token) int { return b.Created.Compare(a.Created) })
	return out, nil
}

// RevokeToken deletes the token with this ID; it returns the token.
func (s *Store) RevokeToken(ctx context.Context, id string) (Token, error) {
	if len(id) != 12 {
		return Token{}, ErrNoToken
	}
	revoked, err := s.revokeTokens(ctx, func(digest string, _ Token) bool { return strings.HasPrefix(digest, id) })
	if err != nil {
		return Token{}, err
	}
	if len(revoked) == 0 {
		return Token{}, ErrNoToken
	}
	return revoked[0], nil
}

// revokeTokensBy deletes every token the user name created.
func (s *Store) revokeTokensBy(ctx context.Context, name string) error {
	_, err := s.revokeTokens(ctx, func(_ string, t Token) bool { return t.CreatedBy == name })
	return err
}

// tokenDigestOf is the key of the token with this ID.
func (s *Store) tokenDigestOf(ctx context.Context, id string) (string, error) {
	digests, err := s.rdb.HKeys(ctx, tokensKey).Result()
	if err != nil {
		return "", fmt.Errorf("find token: %w", err)
	}
	for _, d := range digests {
		if len(id) == 12 && strings.HasPrefix(d, id) {
			return d, nil
		}
	}
	return "", ErrNoToken
}

// revokeTokens deletes the tokens that match, and the tokens they made
// (transitively), and returns them.
func (s *Store) revokeTokens(ctx context.Context, match func(digest string, t Token) bool) ([]Token, error) {
	all, err := s.rdb.HGetAll(ctx, tokensKey).Result()
	if err != nil {
		return nil, fmt.Errorf("revoke token: %w", err)
	}
	stored := make(map[string]storedToken, len(all))
	for digest, raw := range all {
		var st storedToken
		_ = json.Unmarshal([]byte(raw), &st)
		stored[digest] = st
	}
	gone := map[string]bool{}
	var digests []string
	var revoked []Token
	take := func(digest string) {
		gone[digest] = true
		digests = append(digests, digest)
		revoked = append(revoked, stored[digest].Token)
	}
	// The matches first (RevokeToken answers the first), then what they
	// made, and what that made.
	for digest, st := range stored {
		if match(digest, st.Token) {
			take(digest)
		}
	}
	for changed := len(digests) > 0; changed; {
		changed = false
		for digest, st := range stored {
			if !gone[digest] && st.ParentDigest != "" && gone[st.ParentDigest] {
				take(digest)
				changed = true
			}
		}
	}
	if len(digests) == 0 {
		return nil, nil
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HDel(ctx, tokensKey, digests...)
		p.HDel(ctx, tokensUsedKey, digests...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("revoke token: %w", err)
	}
	return revoked, nil
}
