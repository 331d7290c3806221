// Package auth keeps the admin console's users, API tokens and sessions
// in Redis, and throttles sign-in attempts.
package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Role is what a user or token may do.
type Role string

// The roles.
const (
	// RoleAdmin reads and edits everything.
	RoleAdmin Role = "admin"
	// RoleViewer reads everything and edits nothing.
	RoleViewer Role = "viewer"
)

// ParseRole reads "admin" or "viewer".
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleAdmin, RoleViewer:
		return r, nil
	}
	return "", invalidf("role %q is not admin or viewer", s)
}

// CanEdit reports whether the role may change things.
func (r Role) CanEdit() bool { return r == RoleAdmin }

// User is an admin console account.
type User struct {
	// Name signs in; lower-case letters, digits, '.', '_', '-' and '@'.
	Name string `json:"name"`
	// Role is admin or viewer.
	Role Role `json:"role"`
	// Created is when the user was created.
	Created time.Time `json:"created"`
	// LockedUntil is set while sign-in is locked after failed attempts.
	LockedUntil time.Time `json:"locked_until,omitzero"`
	// Stamp changes with the password: a session signed in under an older
	// stamp has ended.
	Stamp string `json:"-"`
}

// Errors of the user store.
var (
	// ErrBadCredentials is a wrong name or password; which is not said.
	ErrBadCredentials = errors.New("the user name or password is wrong, or the account is locked after repeated failures; try again later or ask an admin")
	// ErrLocked is an account locked after too many failed sign-ins. An
	// unknown name locks as a real one does, so a lockout says nothing of
	// whether the user exists.
	ErrLocked = errors.New("this account is locked after too many failed sign-ins; try later or ask an admin to unlock it")
	// ErrLockedNow is the failure that locked the account; it is ErrLocked.
	ErrLockedNow = fmt.Errorf("%w", ErrLocked)
	// ErrThrottled is an address that tried too often.
	ErrThrottled = errors.New("too many failed sign-ins from this address; try again in a few minutes")
	// ErrUserExists is a create with a taken name.
	ErrUserExists = errors.New("a user with this name exists")
	// ErrNoUser is an unknown user name.
	ErrNoUser = errors.New("no such user")
	// ErrLastAdmin refuses to remove or demote the only admin.
	ErrLastAdmin = errors.New("the last admin cannot be removed or made a viewer")
	// ErrNoToken is an unknown, revoked or expired API token, or one whose
	// creator is gone or changed password since.
	ErrNoToken = errors.New("the API token is unknown, revoked or expired")
)

// InvalidError is input the store refuses, with a message fit to show.
type InvalidError struct{ msg string }

func (e *InvalidError) Error() string { return e.msg }

func invalidf(format string, args ...any) error {
	return &InvalidError{msg: fmt.Sprintf(format, args...)}
}

// IsRefusal reports whether err is the store refusing the input (bad
// input, a taken or unknown name, the last admin) rather than failing.
func IsRefusal(err error) bool {
	var ie *InvalidError
	return errors.As(err, &ie) || errors.Is(err, ErrUserExists) || errors.Is(err, ErrNoUser) ||
		errors.Is(err, ErrLastAdmin) || errors.Is(err, ErrNoToken)
}

var userNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{0,63}$`)

// CheckUserName says what is wrong with a user name, or nil.
func CheckUserName(name string) error {
	if !userNamePattern.MatchString(name) {
		return invalidf("user name %q: use 1 to 64 lower-case letters, digits, '.', '_', '-' or '@', starting with a letter or digit", name)
	}
	return nil
}

// Store keeps users, tokens and sign-in failures in Redis. All its keys
// share the {admin} hash tag, so its transactions work on a Cluster.
type Store struct {
	rdb      redis.UniversalClient
	throttle Throttle
	hashes   *hashSlots
	now      func() time.Time
}

// NewStore returns a store on rdb; a zero throttle means DefaultThrottle.
// It panics when t.IPv6Prefix is neither 0 nor 32 to 128: a wiring mistake.
func NewStore(rdb redis.UniversalClient, t Throttle) *Store {
	return &Store{rdb: rdb, throttle: t.withDefaults(), hashes: newHashSlots(), now: time.Now}
}

// SetClock makes the store read the time from now instead of time.Now, for
// token expiry, last use and lockouts; call it before the store is used.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

const (
	usersKey   = "tg:{admin}:users"
	lockPrefix = "tg:{admin}:locked:"
)

func userKey(name string) string     { return "tg:{admin}:user:" + name }
func failUserKey(name string) string { return "tg:{admin}:fail:u:" + name }
func failIPKey(client string) string { return "tg:{admin}:fail:ip:" + client }

// CreateUser adds a user with a new password.
func (s *Store) CreateUser(ctx context.Context, name, password string, role Role) (User, error) {
	if err := CheckUserName(name); err != nil {
		return User{}, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return User{}, err
	}
	return s.createWithHash(ctx, name, hash, role)
}

// CreateUserWithHash adds a user whose password hash (argon2id or bcrypt)
// was made elsewhere.
func (s *Store) CreateUserWithHash(ctx context.Context, name, hash string, role Role) (User, error) {
	if err := CheckUserName(name); err != nil {
		return User{}, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return User{}, err
	}
	if _, err := VerifyPassword(hash, "x"); errors.Is(err, errHashFormat) {
		return User{}, invalidf("the password hash is neither argon2id ($argon2id$...) nor bcrypt ($2a$/$2b$/$2y$...)")
	}
	return s.createWithHash(ctx, name, hash, role)
}

func (s *Store) createWithHash(ctx context.Context, name, hash string, role Role) (User, error) {
	u := User{Name: name, Role: role, Created: s.now().UTC().Truncate(time.Second)}
	err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
		n, err := tx.Exists(ctx, userKey(name)).Result()
		if err != nil {
			return err
		}
		if n > 0 {
			return ErrUserExists
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, userKey(name), "hash", hash, "role", string(role), "created", u.Created.Unix(), "stamp", newStamp())
			p.SAdd(ctx, usersKey, name)
			return nil
		})
		return err
	}, userKey(name))
	if errors.Is(err, redis.TxFailedErr) {
		return User{}, ErrUserExists
	}
	if err != nil && !errors.Is(err, ErrUserExists) {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, err
}

// User returns one user.
func (s *Store) User(ctx context.Context, name string) (User, error) {
	u, _, err := s.load(ctx, name)
	return u, err
}

func (s *Store) load(ctx context.Context, name string) (User, string, error) {
	var hash, role, created, stamp *redis.StringCmd
	var locked *redis.DurationCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		hash = p.HGet(ctx, userKey(name), "hash")
		role = p.HGet(ctx, userKey(name), "role")
		created = p.HGet(ctx, userKey(name), "created")
		stamp = p.HGet(ctx, userKey(name), "stamp")
		locked = p.PTTL(ctx, lockPrefix+name)
		return nil
	})
	if errors.Is(hash.Err(), redis.Nil) || errors.Is(role.Err(), redis.Nil) {
		return User{}, "", ErrNoUser
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		return User{}, "", fmt.Errorf("load user: %w", err)
	}
	u := User{Name: name, Role: Role(role.Val()), Stamp: stamp.Val()}
	if sec, err := strconv.ParseInt(created.Val(), 10, 64); err == nil {
		u.Created = time.Unix(sec, 0).UTC()
	}
	if d := locked.Val(); d > 0 {
		u.LockedUntil = s.now().Add(d).UTC().Truncate(time.Second)
	}
	return u, hash.Val(), nil
}

// Users lists every user by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	names, err := s.rdb.SMembers(ctx, usersKey).Result()
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	slices.Sort(names)
	out := make([]User, 0, len(names))
	for _, n := range names {
		u, err := s.User(ctx, n)
		if errors.Is(err, ErrNoUser) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// HasUsers reports whether any user exists.
func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	n, err := s.rdb.SCard(ctx, usersKey).Result()
	return n > 0, err
}

// SetPassword replaces a user's password, ending the sessions signed in
// with the old one and revoking the user's API tokens.
func (s *Store) SetPassword(ctx context.Context, name, password string) error {
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	if _, err := s.User(ctx, name); err != nil {
		return err
	}
	if err := s.rdb.HSet(ctx, userKey(name), "hash", hash, "stamp", newStamp()).Err(); err != nil {
		return err
	}
	return s.revokeTokensBy(ctx, name)
}

// newStamp returns a fresh random user stamp.
func newStamp() string { return rand.Text() }

// SetRole changes a user's role; the last admin stays an admin. The user's
// API tokens act with at most the new role.
func (s *Store) SetRole(ctx context.Context, name string, role Role) error {
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	return s.changeKeepingAnAdmin(ctx, name, role != RoleAdmin, func(p redis.Pipeliner) {
		p.HSet(ctx, userKey(name), "role", string(role))
	})
}

// DeleteUser removes a user and revokes its API tokens; the last admin
// stays.
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	err := s.changeKeepingAnAdmin(ctx, name, true, func(p redis.Pipeliner) {
		p.Del(ctx, userKey(name), lockPrefix+name, failUserKey(name))
		p.SRem(ctx, usersKey, name)
	})
	if err != nil {
		return err
	}
	// Were this to fail, the tokens would still be refused: their creator
	// is gone.
	return s.revokeTokensBy(ctx, name)
}

// changeKeepingAnAdmin applies write to the user name in a transaction
// that watches every user, so two admins demoting or deleting each other
// at once cannot leave none: when demote is set and name is the only
// admin, it returns ErrLastAdmin.
func (s *Store) changeKeepingAnAdmin(ctx context.Context, name string, demote bool, write func(p redis.Pipeliner)) error {
	for range 5 {
		names, err := s.rdb.SMembers(ctx, usersKey).Result()
		if err != nil {
			return fmt.Errorf("change user: %w", err)
		}
		keys := []string{usersKey, userKey(name)}
		for _, n := range names {
			keys = append(keys, userKey(n))
		}
		err = s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			role, err := tx.HGet(ctx, userKey(name), "role").Result()
			if errors.Is(err, redis.Nil) {
				return ErrNoUser
			}
			if err != nil {
				return err
			}
			if demote && Role(role) == RoleAdmin {
				others := 0
				for _, n := range names {
					if r, _ := tx.HGet(ctx, userKey(n), "role").Result(); n != name && Role(r) == RoleAdmin {
						others++
					}
				}
				if others == 0 {
					return ErrLastAdmin
				}
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				write(p)
				return nil
			})
			return err
		}, keys...)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil && !IsRefusal(err) {
			return fmt.Errorf("change user: %w", err)
		}
		return err
	}
	return errors.New("auth: the users kept changing; try again")
}

// Authenticate checks a sign-in. Every attempt counts against the address
// ip (an IPv6 address by its network, see Throttle.IPv6Prefix) in one
// atomic step before any password is hashed, and a successful one is given
// back, so a burst cannot slip past the limit; refused ones also count
// against the name. Past the limits it returns ErrThrottled without
// hashing, or ErrLocked after hashing as a wrong password would. Hashes
// run at most one per core (ErrBusy when none came free in time).
func (s *Store) Authenticate(ctx context.Context, name, password, ip string) (User, error) {
	client := s.throttle.client(ip)
	var tries *redis.IntCmd
	var locked *redis.DurationCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		tries = p.Incr(ctx, failIPKey(client))
		p.Expire(ctx, failIPKey(client), s.throttle.Window)
		locked = p.PTTL(ctx, lockPrefix+name)
		return nil
	})
	if err != nil {
		return User{}, fmt.Errorf("sign-in: %w", err)
	}
	if tries.Val() > int64(s.throttle.IPFailures) {
		return User{}, ErrThrottled
	}
	if locked.Val() > 0 {
		if _, err := s.verify(ctx, dummyHash(), password); err != nil {
			return User{}, err
		}
		return User{}, ErrLocked
	}
	if CheckUserName(name) != nil {
		// No key is made from a name no user can have.
		if _, err := s.verify(ctx, dummyHash(), password); err != nil {
			return User{}, err
		}
		return User{}, ErrBadCredentials
	}
	u, hash, err := s.load(ctx, name)
	if errors.Is(err, ErrNoUser) {
		if _, err := s.verify(ctx, dummyHash(), password); err != nil {
			return User{}, err
		}
		return User{}, s.fail(ctx, name, false)
	}
	if err != nil {
		return User{}, err
	}
	ok, err := s.verify(ctx, hash, password)
	if err != nil {
		return User{}, fmt.Errorf("sign-in: user %s: %w", name, err)
	}
	if !ok {
		return User{}, s.fail(ctx, name, true)
	}
	if err := signedIn.Run(ctx, s.rdb, []string{failIPKey(client), failUserKey(name)}).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return User{}, fmt.Errorf("sign-in: %w", err)
	}
	return u, nil
}

// signedIn gives a successful sign-in's attempt back to its address
// (KEYS[1]), deleting the count at zero so no key is left without an
// expiry, and forgets the name's failures (KEYS[2]).
var signedIn = redis.NewScript(`
if redis.call('DECR', KEYS[1]) <= 0 then redis.call('DEL', KEYS[1]) end
redis.call('DEL', KEYS[2])
return 0`)

// verify checks password against hash in one of the store's hash slots.
func (s *Store) verify(ctx context.Context, hash, password string) (ok bool, err error) {
	if busy := s.hashes.run(ctx, func() { ok, err = VerifyPassword(hash, password) }); busy != nil {
		return false, busy
	}
	return ok, err
}

// fail counts a failed sign-in against the name, known or not, and locks
// the name at the limit; the address was counted before the password was
// checked. ErrLockedNow is returned only for a user that exists, so only
// real lockouts are reported.
func (s *Store) fail(ctx context.Context, name string, exists bool) error {
	w := s.throttle.Window
	var userFails *redis.IntCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		userFails = p.Incr(ctx, failUserKey(name))
		p.Expire(ctx, failUserKey(name), w)
		return nil
	})
	if err != nil {
		return fmt.Errorf("sign-in: %w", err)
	}
	if userFails.Val() >= int64(s.throttle.AccountFailures) {
		_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, lockPrefix+name, s.now().Unix(), s.throttle.Lockout)
			p.Del(ctx, failUserKey(name))
			return nil
		})
		if err != nil {
			return fmt.Errorf("sign-in: %w", err)
		}
		if !exists {
			return ErrLocked
		}
		return ErrLockedNow
	}
	return ErrBadCredentials
}

// Unlock lifts a user's lockout and forgets its failures.
func (s *Store) Unlock(ctx context.Context, name string) error {
	if _, err := s.User(ctx, name); err != nil {
		return err
	}
	return s.rdb.Del(ctx, lockPrefix+name, failUserKey(name)).Err()
}
