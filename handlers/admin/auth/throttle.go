package auth

import (
	"fmt"
	"net/netip"
	"time"
)

// Throttle limits failed sign-ins.
type Throttle struct {
	// AccountFailures locks an account after this many failures within
	// Window.
	AccountFailures int
	// IPFailures refuses an address after this many sign-ins within Window
	// that were not successful: each attempt is counted before its password
	// is checked, and given back when it succeeds.
	IPFailures int
	// Window is how long failures are counted and an address refused.
	Window time.Duration
	// Lockout is how long an account stays locked unless an admin unlocks it.
	Lockout time.Duration
	// IPv6Prefix is the length, 32 to 128, of the network an IPv6 address
	// is counted by in IPFailures: a home subscriber holds a whole /64 and
	// could otherwise try again from each of its addresses. 0 means 64.
	IPv6Prefix int
}

// DefaultThrottle locks an account after 5 failures in 15 minutes for 30
// minutes, and refuses an address (an IPv6 /64) after 20 failures for 15
// minutes.
var DefaultThrottle = Throttle{AccountFailures: 5, IPFailures: 20, Window: 15 * time.Minute, Lockout: 30 * time.Minute, IPv6Prefix: 64}

// withDefaults returns t with DefaultThrottle for a zero t and 64 for a
// zero IPv6Prefix.
func (t Throttle) withDefaults() Throttle {
	if t == (Throttle{}) {
		return DefaultThrottle
	}
	if t.IPv6Prefix == 0 {
		t.IPv6Prefix = DefaultThrottle.IPv6Prefix
	}
	if t.IPv6Prefix < 32 || t.IPv6Prefix > 128 {
		panic(fmt.Sprintf("auth: Throttle.IPv6Prefix must be 0 or 32 to 128, got %d", t.IPv6Prefix))
	}
	return t
}

// client names the client that failures from the address ip count
// against: an IPv4 address (or an IPv4-mapped IPv6 one) itself, an IPv6
// address's network of IPv6Prefix bits, and anything that is not an
// address as it is.
func (t Throttle) client(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	n := netip.PrefixFrom(a, t.IPv6Prefix).Masked()
	if n.IsSingleIP() {
		return n.Addr().String()
	}
	return n.String()
}
