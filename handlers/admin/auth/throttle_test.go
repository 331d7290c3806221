package auth

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk/redistest"
)

// Failed sign-ins from the addresses of one IPv6 /64, a home subscriber's
// network, add up to the per-address limit; other networks are apart.
func TestThrottleCountsIPv6PerNetwork(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := NewStore(rdb, Throttle{AccountFailures: 100, IPFailures: 5, Window: time.Minute, Lockout: time.Hour})
		if _, err := s.CreateUser(ctx, "ann", "correct horse battery", RoleAdmin); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			ip := fmt.Sprintf("2001:db8:aa:1:%x::%x", i*0x101, i+1)
			if _, err := s.Authenticate(ctx, "ann", "wrong", ip); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("failure %d from %s: got %v, want ErrBadCredentials", i+1, ip, err)
			}
		}
		if _, err := s.Authenticate(ctx, "ann", "correct horse battery", "2001:db8:aa:1:ffff::9"); err != ErrThrottled {
			t.Errorf("another address of the /64 past its limit: got %v, want ErrThrottled", err)
		}
		if ttl := rdb.PTTL(ctx, failIPKey("2001:db8:aa:1::/64")).Val(); ttl <= 0 || ttl > time.Minute {
			t.Errorf("the /64's failure count expires in %v, want within the window", ttl)
		}
		for _, ip := range []string{"2001:db8:aa:2::1", "192.0.2.1"} {
			if _, err := s.Authenticate(ctx, "ann", "correct horse battery", ip); err != nil {
				t.Errorf("sign-in from %s: got %v, want it let in", ip, err)
			}
		}

		perAddress := NewStore(rdb, Throttle{AccountFailures: 100, IPFailures: 5, Window: time.Minute, Lockout: time.Hour, IPv6Prefix: 128})
		for i := range 5 {
			perAddress.Authenticate(ctx, "ann", "wrong", fmt.Sprintf("2001:db8:aa:3::%x", i+1))
		}
		if _, err := perAddress.Authenticate(ctx, "ann", "correct horse battery", "2001:db8:aa:3::99"); err != nil {
			t.Errorf("IPv6Prefix 128, a fresh address of the /64: got %v, want it let in", err)
		}
	})
}

func TestThrottleClient(t *testing.T) {
	th := NewStore(nil, Throttle{}).throttle
	for _, tt := range []struct{ ip, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:aa:1:2:3:4:5", "2001:db8:aa:1::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"invalid IP", "invalid IP"},
	} {
		if got := th.client(tt.ip); got != tt.want {
			t.Errorf("client(%q): got %q, want %q", tt.ip, got, tt.want)
		}
	}
}

// Every attempt counts against the address before its password is
// checked, so a burst of them at once cannot pass the limit; a successful
// sign-in is given back, so signing in often is never refused.
func TestThrottleCountsBeforeHashing(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := NewStore(rdb, Throttle{AccountFailures: 3, IPFailures: 5, Window: time.Minute, Lockout: time.Hour})
		if _, err := s.CreateUser(ctx, "ann", "correct horse battery", RoleAdmin); err != nil {
			t.Fatal(err)
		}
		for i := range 8 {
			if _, err := s.Authenticate(ctx, "ann", "correct horse battery", "192.0.2.1"); err != nil {
				t.Fatalf("sign-in %d: got %v, want it let in", i+1, err)
			}
		}
		if n := rdb.Exists(ctx, failIPKey("192.0.2.1")).Val(); n != 0 {
			t.Errorf("the address's count after successful sign-ins: got %d keys, want none", n)
		}
		for range 3 {
			s.Authenticate(ctx, "ann", "wrong", "192.0.2.2")
		}
		errs := make(chan error, 40)
		for range cap(errs) {
			go func() {
				_, err := s.Authenticate(ctx, "ann", "correct horse battery", "192.0.2.3")
				errs <- err
			}()
		}
		counted := map[error]int{}
		for range cap(errs) {
			counted[<-errs]++
		}
		if got := counted[ErrLocked] + counted[ErrBusy]; got > 5 || counted[ErrThrottled] < cap(errs)-5 {
			t.Errorf("40 attempts at once on a locked name: got %v, want at most 5 past the address's limit", counted)
		}
		if got, want := s.PeakHashes(), cap(s.hashes.free); got > want {
			t.Errorf("hashes at once: got %d, want at most %d", got, want)
		}
	})
}
