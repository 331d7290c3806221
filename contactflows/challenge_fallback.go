package contactflows

import (
	"cmp"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// fallbackPrefix starts every fallback challenge id. A Redis challenge id
// is exactly 22 characters, a fallback one always longer, so the two never
// meet.
const fallbackPrefix = "fallback-"

// maxFallbackIDLen bounds a fallback id: the prefix and the base64 of a
// length byte, a flow of at most 255 bytes and a contact id of at most 255.
const maxFallbackIDLen = len(fallbackPrefix) + 683

// DefaultFallbackTracked is how many fallback challenges' attempts a
// FallbackChallenges remembers when MaxTracked is zero.
const DefaultFallbackTracked = 100_000

// FallbackOptions configure FallbackChallenges; zero values take the
// defaults named.
type FallbackOptions struct {
	// Secret keys the codes' HMAC. Every instance that may verify a code
	// another issued needs the same one; at least 32 bytes. Required.
	Secret []byte
	// CodeLength is the number of digits in a code, 3 to 8; 4.
	CodeLength int
	// Window is the length of the time windows codes are derived for; a
	// code verifies in its window and the next, so for at least Window and
	// at most twice that; 5 minutes.
	Window time.Duration
	// MaxAttempts is how many codes a caller may key in for one challenge,
	// counted in this process's memory; 3.
	MaxAttempts int
	// MaxTracked bounds the challenges whose attempts are remembered;
	// DefaultFallbackTracked. When it is reached and none has expired,
	// Verify fails every new challenge rather than forget attempts.
	MaxTracked int
	// Now is the clock windows are read from; time.Now.
	Now func() time.Time
}

// FallbackChallenges issues and verifies IVR codes without Redis, for when
// the store is down: a code is the HMAC of the flow, the contact id and the
// time window, so any instance with the secret can check it. Its id starts
// with "fallback-" and carries the flow and contact id. Attempts and spent
// codes are remembered in this process only: behind a load balancer a
// caller may get MaxAttempts tries on each instance within the code's life.
type FallbackChallenges struct {
	o       FallbackOptions
	mu      sync.Mutex
	tracked map[string]*fallbackUse
	// expiry holds every record of tracked in the order they expire: each
	// lives two windows from the one it was made in, so the order they
	// are made in. Verify drops the expired ones at its head.
	expiry []trackedID
}

// fallbackUse is what Verify remembers of one fallback challenge.
type fallbackUse struct {
	wrong int
	// spent are the windows whose codes passed; a code of a later window,
	// issued to the same contact, still passes.
	spent   []int64
	expires time.Time
}

// trackedID is one record in FallbackChallenges.expiry.
type trackedID struct {
	id  string
	use *fallbackUse
}

// NewFallbackChallenges returns FallbackChallenges for o, or an error
// naming the option that is wrong.
func NewFallbackChallenges(o FallbackOptions) (*FallbackChallenges, error) {
	o.CodeLength = cmp.Or(o.CodeLength, 4)
	o.Window = cmp.Or(o.Window, 5*time.Minute)
	o.MaxAttempts = cmp.Or(o.MaxAttempts, 3)
	o.MaxTracked = cmp.Or(o.MaxTracked, DefaultFallbackTracked)
	switch {
	case len(o.Secret) < 32:
		return nil, fmt.Errorf("contactflows: FallbackOptions.Secret must be at least 32 bytes, got %d", len(o.Secret))
	case o.CodeLength < 3 || o.CodeLength > 8:
		return nil, fmt.Errorf("contactflows: FallbackOptions.CodeLength must be 3 to 8 digits, got %d", o.CodeLength)
	case o.Window < time.Second:
		return nil, fmt.Errorf("contactflows: FallbackOptions.Window must be at least 1s, got %s", o.Window)
	case o.MaxAttempts < 1:
		return nil, fmt.Errorf("contactflows: FallbackOptions.MaxAttempts must be at least 1, got %d", o.MaxAttempts)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &FallbackChallenges{o: o, tracked: make(map[string]*fallbackUse)}, nil
}

// RandomFallbackSecret returns 32 random bytes, a secret good for one
// process: codes it keys verify on no other instance and not after a
// restart.
func RandomFallbackSecret() ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("contactflows: reading random bits: %w", err)
	}
	return b, nil
}

// IsFallbackID reports whether id names a fallback challenge.
func IsFallbackID(id string) bool {
	return strings.HasPrefix(id, fallbackPrefix) && len(id) > len(fallbackPrefix)
}

// Issue returns the fallback challenge of contactID in flow for the
// current window: the same id and code for every Issue in one window.
func (f *FallbackChallenges) Issue(flow, contactID string) (Challenge, error) {
	if flow == "" || contactID == "" {
		return Challenge{}, errors.New("contactflows: a challenge needs a flow and a contact id")
	}
	if len(flow) > 255 || len(contactID) > 255 {
		return Challenge{}, errors.New("contactflows: flow and contact id must be at most 255 bytes")
	}
	payload := append([]byte{byte(len(flow))}, flow...)
	payload = append(payload, contactID...)
	w := f.window(f.o.Now())
	return Challenge{
		ID:        fallbackPrefix + base64.RawURLEncoding.EncodeToString(payload),
		Code:      f.code(payload, w),
		Flow:      flow,
		ContactID: contactID,
		Attempts:  f.o.MaxAttempts,
		ExpiresAt: time.Unix(0, (w+2)*int64(f.o.Window)),
	}, nil
}

// Verify checks digits, as the caller keyed them, against fallback
// challenge id: the code of the current window or of the one before
// passes, that of the window before them is expired. Codes are compared
// in constant time. Attempts and spent codes are counted as Challenges
// counts them, in this process's memory, until the codes the challenge
// was first checked against expire. A code passes once; a contact
// challenged again in a later window gets a new code that passes (within
// one window, Issue gives a contact the same code).
func (f *FallbackChallenges) Verify(id, digits string) Verification {
	flow, contact, payload, ok := parseFallbackID(id)
	if !ok {
		return Verification{Result: VerifyUnknown}
	}
	v := Verification{Flow: flow, ContactID: contact}
	now := f.o.Now()
	w := f.window(now)
	keyed := []byte(normalizeDigits(digits))
	cur := subtle.ConstantTimeCompare(keyed, []byte(f.code(payload, w)))
	prev := subtle.ConstantTimeCompare(keyed, []byte(f.code(payload, w-1)))
	old := subtle.ConstantTimeCompare(keyed, []byte(f.code(payload, w-2)))

	f.mu.Lock()
	defer f.mu.Unlock()
	f.expire(now)
	u, known := f.tracked[id]
	passed := w
	if cur == 0 {
		passed = w - 1
	}
	switch {
	case cur|prev == 1 && known && slices.Contains(u.spent, passed):
		v.Result = VerifySpent
		return v
	case known && u.wrong >= f.o.MaxAttempts:
		v.Result = VerifyFail
		return v
	case cur|prev == 1:
		if u = f.track(id, w); u == nil {
			v.Result = VerifyFail
			return v
		}
		u.spent = append(u.spent, passed)
		v.Result, v.AttemptsLeft, v.Ended = VerifyPass, f.o.MaxAttempts-u.wrong-1, true
		return v
	case old == 1:
		v.Result = VerifyExpired
		return v
	}
	if u = f.track(id, w); u == nil {
		v.Result = VerifyFail
		return v
	}
	u.wrong++
	if left := f.o.MaxAttempts - u.wrong; left > 0 {
		v.Result, v.AttemptsLeft = VerifyRetry, left
		return v
	}
	v.Result, v.Ended = VerifyFail, true
	return v
}

// expire forgets the records that expired by now, from the head of the
// expiry queue: no more work than there are records to forget. f.mu is
// held.
func (f *FallbackChallenges) expire(now time.Time) {
	for len(f.expiry) > 0 && !now.Before(f.expiry[0].use.expires) {
		head := f.expiry[0]
		if f.tracked[head.id] == head.use {
			delete(f.tracked, head.id)
		}
		f.expiry[0] = trackedID{}
		f.expiry = f.expiry[1:]
	}
}

// track returns the record of id, creating it in window w to expire when
// the codes it can see do; nil when MaxTracked records are live. f.mu is
// held and expire has run.
func (f *FallbackChallenges) track(id string, w int64) *fallbackUse {
	if u, ok := f.tracked[id]; ok {
		return u
	}
	if len(f.tracked) >= f.o.MaxTracked {
		return nil
	}
	u := &fallbackUse{expires: time.Unix(0, (w+2)*int64(f.o.Window))}
	f.tracked[id] = u
	f.expiry = append(f.expiry, trackedID{id, u})
	return u
}

// window is the number of the window t falls in.
func (f *FallbackChallenges) window(t time.Time) int64 { return t.UnixNano() / int64(f.o.Window) }

// code derives the code of payload (flow and contact) for window w: digits
// of HMAC-SHA256(secret, payload, w, n) for the first n that gives a code
// that is not trivial.
func (f *FallbackChallenges) code(payload []byte, w int64) string {
	mod := uint64(1)
	for range f.o.CodeLength {
		mod *= 10
	}
	var code string
	for n := range byte(16) {
		m := hmac.New(sha256.New, f.o.Secret)
		m.Write([]byte("tollgate ivr fallback v1\x00"))
		m.Write(payload)
		var tail [9]byte
		binary.BigEndian.PutUint64(tail[:8], uint64(w))
		tail[8] = n
		m.Write(tail[:])
		sum := m.Sum(nil)
		code = fmt.Sprintf("%0*d", f.o.CodeLength, binary.BigEndian.Uint64(sum[:8])%mod)
		if !trivialCode(code) {
			break
		}
	}
	return code
}

// ParseFallbackID returns the flow and contact id fallback challenge id
// names; ok is false when id is not a well-formed fallback id. It checks
// no code.
func ParseFallbackID(id string) (flow, contactID string, ok bool) {
	flow, contactID, _, ok = parseFallbackID(id)
	return flow, contactID, ok
}

// parseFallbackID returns the flow and contact id a fallback id carries
// and its payload; ok is false when id is not a well-formed fallback id.
func parseFallbackID(id string) (flow, contact string, payload []byte, ok bool) {
	if !IsFallbackID(id) || len(id) > maxFallbackIDLen {
		return "", "", nil, false
	}
	// Only the canonical encoding Issue writes is accepted: a lax decoder
	// maps several ids (other trailing bits, CR or LF inside) to one
	// payload, each with attempts and a spent code of its own.
	enc := id[len(fallbackPrefix):]
	payload, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil || len(payload) < 1 || base64.RawURLEncoding.EncodeToString(payload) != enc {
		return "", "", nil, false
	}
	n := int(payload[0])
	if n == 0 || len(payload) < 2+n {
		return "", "", nil, false
	}
	return string(payload[1 : 1+n]), string(payload[1+n:]), payload, true
}
