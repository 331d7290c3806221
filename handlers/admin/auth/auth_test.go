package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"
)

func newTestStore(t *testing.T) (*Store, *miniredis.Miniredis) {
	t.Helper()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { rdb.Close() })
	return NewStore(rdb, Throttle{AccountFailures: 3, IPFailures: 5, Window: time.Minute, Lockout: time.Hour}), m
}

func TestPasswordHashes(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not argon2id with the documented parameters", h)
	}
	b, _ := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.MinCost)
	for _, hash := range []string{h, string(b)} {
		if ok, err := VerifyPassword(hash, "correct horse battery"); !ok || err != nil {
			t.Errorf("%.10s: right password refused: %v", hash, err)
		}
		if ok, _ := VerifyPassword(hash, "correct horse batterY"); ok {
			t.Errorf("%.10s: wrong password accepted", hash)
		}
	}
	if _, err := VerifyPassword("$md5$abc", "x"); err == nil {
		t.Error("an unknown hash format was read")
	}
	if _, err := HashPassword("short"); err == nil {
		t.Error("a short password was hashed")
	}
}

func TestAuthenticateThrottles(t *testing.T) {
	s, m := newTestStore(t)
	ctx := context.Background()
	if _, err := s.CreateUser(ctx, "ann", "correct horse battery", RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, "ann", "another password!!", RoleAdmin); !errors.Is(err, ErrUserExists) {
		t.Fatalf("second create: %v", err)
	}
	if u, err := s.Authenticate(ctx, "ann", "correct horse battery", "192.0.2.1"); err != nil || u.Role != RoleAdmin {
		t.Fatalf("sign in: %+v %v", u, err)
	}
	for i := range 2 {
		if _, err := s.Authenticate(ctx, "ann", "wrong", "192.0.2.1"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	if _, err := s.Authenticate(ctx, "ann", "wrong", "192.0.2.1"); err != ErrLockedNow {
		t.Fatalf("third failure: %v, want the account locked now", err)
	}
	if _, err := s.Authenticate(ctx, "ann", "correct horse battery", "192.0.2.9"); err != ErrLocked {
		t.Fatalf("locked account, right password: %v", err)
	}
	if u, _ := s.User(ctx, "ann"); u.LockedUntil.IsZero() {
		t.Fatal("a locked user shows no lock")
	}
	if err := s.Unlock(ctx, "ann"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "ann", "correct horse battery", "192.0.2.9"); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	// Unknown users count against the address only.
	for range 2 {
		s.Authenticate(ctx, "nobody", "x", "192.0.2.1")
	}
	if _, err := s.Authenticate(ctx, "ann", "correct horse battery", "192.0.2.1"); err != ErrThrottled {
		t.Fatalf("address past its limit: %v", err)
	}
	m.FastForward(2 * time.Minute)
	// An unknown name locks like a real one.
	for range 2 {
		s.Authenticate(ctx, "ghost", "x", "192.0.2.2")
	}
	if _, err := s.Authenticate(ctx, "ghost", "x", "192.0.2.2"); err != ErrLocked {
		t.Fatalf("unknown name past its limit: %v, want ErrLocked", err)
	}
	if _, err := s.Authenticate(ctx, "ghost", "x", "192.0.2.3"); err != ErrLocked {
		t.Fatalf("locked unknown name: %v, want ErrLocked", err)
	}
	if _, err := s.Authenticate(ctx, "ann", "correct horse battery", "192.0.2.1"); err != nil {
		t.Fatalf("address after the window: %v", err)
	}
}

func TestLastAdminStays(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	s.CreateUser(ctx, "ann", "correct horse battery", RoleAdmin)
	s.CreateUser(ctx, "bob", "correct horse battery", RoleViewer)
	if err := s.SetRole(ctx, "ann", RoleViewer); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("demote last admin: %v", err)
	}
	if err := s.DeleteUser(ctx, "ann"); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("delete last admin: %v", err)
	}
	if err := s.SetRole(ctx, "bob", RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, "ann"); err != nil {
		t.Fatalf("delete with another admin: %v", err)
	}
	if _, err := s.CreateUser(ctx, "Bad Name", "correct horse battery", RoleAdmin); !IsRefusal(err) {
		t.Fatalf("bad name: %v, want a refusal", err)
	}
}

func TestTokens(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	if _, err := s.CreateUser(ctx, "ann", "correct horse battery", RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateToken(ctx, NewToken{Label: "sync", Role: RoleViewer, CreatedBy: "nobody"}); !errors.Is(err, ErrNoUser) {
		t.Fatalf("token of an unknown user: got %v, want ErrNoUser", err)
	}
	secret, tok, err := s.CreateToken(ctx, NewToken{Label: "sync", Role: RoleViewer, CreatedBy: "ann"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, TokenPrefix) || len(tok.ID) != 12 {
		t.Fatalf("token %q id %q", secret, tok.ID)
	}
	got, err := s.VerifyToken(ctx, secret)
	if err != nil || got.ID != tok.ID || got.Role != RoleViewer || got.LastUsed.IsZero() {
		t.Fatalf("verify: got %+v %v, want %+v used now", got, err, tok)
	}
	if _, err := s.VerifyToken(ctx, secret+"x"); err != ErrNoToken {
		t.Fatalf("altered secret: %v", err)
	}
	if _, err := s.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.VerifyToken(ctx, secret); err != ErrNoToken {
		t.Fatalf("revoked: %v", err)
	}
}

// A token's expiry is checked against the store's clock; its last use is
// written at most once per TokenUseResolution.
func TestTokenExpiryAndLastUse(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	s.CreateUser(ctx, "ann", "correct horse battery", RoleAdmin)
	if _, _, err := s.CreateToken(ctx, NewToken{Label: "old", Role: RoleAdmin, CreatedBy: "ann", Expires: now}); !IsRefusal(err) {
		t.Fatalf("expiry now: got %v, want a refusal", err)
	}
	secret, _, err := s.CreateToken(ctx, NewToken{Label: "sync", Role: RoleAdmin, CreatedBy: "ann", Expires: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := s.VerifyToken(ctx, secret)
	now = now.Add(30 * time.Second)
	if got, _ := s.VerifyToken(ctx, secret); !got.LastUsed.Equal(first.LastUsed) {
		t.Errorf("last used 30 s later: got %v, want it kept at %v", got.LastUsed, first.LastUsed)
	}
	now = now.Add(time.Minute)
	if got, _ := s.VerifyToken(ctx, secret); !got.LastUsed.Equal(now) {
		t.Errorf("last used 90 s later: got %v, want %v", got.LastUsed, now)
	}
	now = now.Add(time.Hour)
	if _, err := s.VerifyToken(ctx, secret); err != ErrNoToken {
		t.Errorf("past its expiry: got %v, want ErrNoToken", err)
	}
}

// Two admins demoting each other at once leave one admin, never none.
func TestConcurrentDemotionsKeepAnAdmin(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	for round := range 20 {
		s.CreateUser(ctx, "ann", "correct horse battery", RoleAdmin)
		s.CreateUser(ctx, "bob", "correct horse battery", RoleAdmin)
		s.SetRole(ctx, "ann", RoleAdmin)
		s.SetRole(ctx, "bob", RoleAdmin)
		done := make(chan error, 2)
		go func() { done <- s.SetRole(ctx, "ann", RoleViewer) }()
		go func() { done <- s.DeleteUser(ctx, "bob") }()
		<-done
		<-done
		users, err := s.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		admins := 0
		for _, u := range users {
			if u.Role == RoleAdmin {
				admins++
			}
		}
		if admins == 0 {
			t.Fatalf("round %d: no admin left: %+v", round, users)
		}
	}
}
