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
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Token is an API bearer token as stored: never the secret itself.
type Token struct {
	// ID is the first 12 hex digits of the secret's SHA-256; it names the
	// token in the console and in the audit log.
	ID string `json:"id"`
	// Label says what the token is for.
	Label string `json:"label"`
	// Role is what the token may do.
	Role Role `json:"role"`
	// CreatedBy is the user who created it.
	CreatedBy string `json:"created_by"`
	// Created is when it was created.
	Created time.Time `json:"created"`
}

// TokenPrefix starts every token secret, so scanners can spot leaked ones.
const TokenPrefix = "tgk_"

const tokensKey = "tg:{admin}:tokens"

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func tokenDigest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateToken makes a token and returns its secret, shown once.
func (s *Store) CreateToken(ctx context.Context, label string, role Role, by string) (string, Token, error) {
	label = strings.TrimSpace(label)
	if label == "" || len(label) > 100 {
		return "", Token{}, invalidf("a token needs a label of 1 to 100 characters saying what it is for")
	}
	if _, err := ParseRole(string(role)); err != nil {
		return "", Token{}, err
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", Token{}, err
	}
	secret := TokenPrefix + strings.ToLower(tokenEncoding.EncodeToString(b[:]))
	digest := tokenDigest(secret)
	t := Token{ID: digest[:12], Label: label, Role: role, CreatedBy: by, Created: s.now().UTC().Truncate(time.Second)}
	raw, err := json.Marshal(t)
	if err != nil {
		return "", Token{}, err
	}
	if err := s.rdb.HSet(ctx, tokensKey, digest, raw).Err(); err != nil {
		return "", Token{}, fmt.Errorf("create token: %w", err)
	}
	return secret, t, nil
}

// VerifyToken returns the token whose secret this is.
func (s *Store) VerifyToken(ctx context.Context, secret string) (Token, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return Token{}, ErrNoToken
	}
	raw, err := s.rdb.HGet(ctx, tokensKey, tokenDigest(secret)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Token{}, ErrNoToken
	}
	if err != nil {
		return Token{}, fmt.Errorf("verify token: %w", err)
	}
	var t Token
	if err := json.Unmarshal(raw, &t); err != nil {
		return Token{}, fmt.Errorf("verify token: %w", err)
	}
	return t, nil
}

// Tokens lists every token, newest first.
func (s *Store) Tokens(ctx context.Context) ([]Token, error) {
	all, err := s.rdb.HGetAll(ctx, tokensKey).Result()
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	out := make([]Token, 0, len(all))
	for _, raw := range all {
		var t Token
		if json.Unmarshal([]byte(raw), &t) == nil {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b Token) int { return b.Created.Compare(a.Created) })
	return out, nil
}

// RevokeToken deletes the token with this ID; it returns the token.
func (s *Store) RevokeToken(ctx context.Context, id string) (Token, error) {
	all, err := s.rdb.HGetAll(ctx, tokensKey).Result()
	if err != nil {
		return Token{}, fmt.Errorf("revoke token: %w", err)
	}
	for digest, raw := range all {
		if strings.HasPrefix(digest, id) && len(id) == 12 {
			var t Token
			_ = json.Unmarshal([]byte(raw), &t)
			if err := s.rdb.HDel(ctx, tokensKey, digest).Err(); err != nil {
				return Token{}, fmt.Errorf("revoke token: %w", err)
			}
			return t, nil
		}
	}
	return Token{}, ErrNoToken
}
