package contactflows

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func newTestFallback(t *testing.T, now *time.Time, secret string) *FallbackChallenges {
	t.Helper()
	f, err := NewFallbackChallenges(FallbackOptions{
		Secret: []byte(secret), Window: time.Minute, MaxAttempts: 3,
		Now: func() time.Time { return *now },
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

const testFallbackSecret = "0123456789abcdef0123456789abcdef"

func TestFallbackChallengeVerifiesStatelessly(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 30, 0, time.UTC)
	issuer := newTestFallback(t, &now, testFallbackSecret)
	ch, err := issuer.Issue("ivr", "contact-1")
	if err != nil {
		t.Fatal(err)
	}
	if !IsFallbackID(ch.ID) || len(ch.Code) != 4 || trivialCode(ch.Code) {
		t.Fatalf("challenge = %+v, want a fallback id and a 4-digit code that is not trivial", ch)
	}
	if strings.Trim(ch.ID, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
		t.Errorf("id %q holds characters other than letters, digits, - and _", ch.ID)
	}
	if got, want := ch.ExpiresAt, time.Date(2026, 11, 22, 10, 2, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("expires at %v, want %v", got, want)
	}
	// Another instance with the same secret verifies it, in the next
	// window too.
	now = now.Add(time.Minute)
	other := newTestFallback(t, &now, testFallbackSecret)
	v := other.Verify(ch.ID, ch.Code+"#")
	if got, want := v.Result, VerifyPass; got != want {
		t.Fatalf("result = %s, want %s", got, want)
	}
	if v.Flow != "ivr" || v.ContactID != "contact-1" {
		t.Errorf("verification = %+v, want flow ivr and contact contact-1", v)
	}
	if got, want := other.Verify(ch.ID, ch.Code).Result, VerifySpent; got != want {
		t.Errorf("replay result = %s, want %s", got, want)
	}
	// Another secret does not.
	if got, want := newTestFallback(t, &now, strings.Repeat("x", 32)).Verify(ch.ID, ch.Code).Result, VerifyRetry; got != want {
		t.Errorf("other secret: result = %s, want %s", got, want)
	}
	// Two windows on, it is expired.
	now = now.Add(time.Minute)
	if got, want := newTestFallback(t, &now, testFallbackSecret).Verify(ch.ID, ch.Code).Result, VerifyExpired; got != want {
		t.Errorf("two windows on: result = %s, want %s", got, want)
	}
}

func TestFallbackChallengeAttempts(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f := newTestFallback(t, &now, testFallbackSecret)
	ch, _ := f.Issue("ivr", "contact-2")
	wrong := "0000"
	if ch.Code == wrong {
		wrong = "1111"
	}
	for i, want := range []VerifyResult{VerifyRetry, VerifyRetry, VerifyFail, VerifyFail} {
		v := f.Verify(ch.ID, wrong)
		if got := v.Result; got != want {
			t.Errorf("attempt %d: result = %s, want %s", i+1, got, want)
		}
		// Only the attempt that used the last one ends the challenge.
		if got, want := v.Ended, i == 2; got != want {
			t.Errorf("attempt %d: Ended = %v, want %v", i+1, got, want)
		}
	}
	if v := f.Verify(ch.ID, ch.Code); v.Result != VerifyFail || v.Ended {
		t.Errorf("right code after the attempts: got %s, Ended %v; want %s, not Ended", v.Result, v.Ended, VerifyFail)
	}
}

func TestFallbackChallengeIDs(t *testing.T) {
	now := time.Now()
	f := newTestFallback(t, &now, testFallbackSecret)
	for _, id := range []string{"", "fallback-", "fallback-!!", "fallback-AA", "abcdefghijklmnopqrstuv", "fallback-" + strings.Repeat("A", 800)} {
		if got, want := f.Verify(id, "1234").Result, VerifyUnknown; got != want {
			t.Errorf("Verify(%q) = %s, want %s", id, got, want)
		}
	}
	if _, err := NewFallbackChallenges(FallbackOptions{Secret: []byte("short")}); err == nil {
		t.Error("a 5-byte secret was accepted")
	}
	if _, err := f.Issue("", "c"); err == nil {
		t.Error("a challenge without a flow was issued")
	}
}

func TestFallbackChallengeTrackingBound(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f, err := NewFallbackChallenges(FallbackOptions{Secret: []byte(testFallbackSecret), Window: time.Minute, MaxTracked: 1, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := f.Issue("ivr", "a")
	b, _ := f.Issue("ivr", "b")
	if got, want := f.Verify(a.ID, a.Code).Result, VerifyPass; got != want {
		t.Fatalf("first: %s, want %s", got, want)
	}
	if got, want := f.Verify(b.ID, b.Code).Result, VerifyFail; got != want {
		t.Errorf("with the tracking full: %s, want %s", got, want)
	}
	now = now.Add(2 * time.Minute)
	b, _ = f.Issue("ivr", "b")
	if got, want := f.Verify(b.ID, b.Code).Result, VerifyPass; got != want {
		t.Errorf("after the first expired: %s, want %s", got, want)
	}
}

// TestFallbackChallengeIDAliases checks that only the id Issue wrote
// verifies: an alias of its payload (other unused trailing bits, a line
// break inside) would get attempts and a spent flag of its own.
func TestFallbackChallengeIDAliases(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f := newTestFallback(t, &now, testFallbackSecret)
	ch, _ := f.Issue("ivr", "contact-3") // 13 bytes: the last character carries 4 unused bits
	if len(ch.ID[len(fallbackPrefix):])%4 == 0 {
		t.Fatalf("id %q has no unused trailing bits; pick another contact", ch.ID)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, ch.ID[len(ch.ID)-1])
	aliases := []string{ch.ID[:len(fallbackPrefix)+4] + "\n" + ch.ID[len(fallbackPrefix)+4:], ch.ID + "\r"}
	for i := 1; i < 4; i++ { // same high bits, other low bits
		aliases = append(aliases, ch.ID[:len(ch.ID)-1]+string(alphabet[last^i]))
	}
	for _, id := range aliases {
		if got, want := f.Verify(id, ch.Code).Result, VerifyUnknown; got != want {
			t.Errorf("alias %q: result = %s, want %s", id, got, want)
		}
	}
	if got, want := f.Verify(ch.ID, ch.Code).Result, VerifyPass; got != want {
		t.Errorf("the id issued: result = %s, want %s", got, want)
	}
}

// TestFallbackChallengeRecordsExpire checks that a record is forgotten
// when its codes expire, not only when the tracking is full, so a
// contact challenged again later passes with its new code.
func TestFallbackChallengeRecordsExpire(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f := newTestFallback(t, &now, testFallbackSecret)
	ch, _ := f.Issue("ivr", "contact-4")
	if got, want := f.Verify(ch.ID, ch.Code).Result, VerifyPass; got != want {
		t.Fatalf("first code: result = %s, want %s", got, want)
	}
	// Challenged again in the next window: a new code, which passes once.
	now = now.Add(time.Minute)
	again, _ := f.Issue("ivr", "contact-4")
	if again.Code == ch.Code {
		t.Fatalf("the next window's code %s is the first one; pick another contact", again.Code)
	}
	if got, want := f.Verify(again.ID, again.Code).Result, VerifyPass; got != want {
		t.Errorf("new code in the next window: result = %s, want %s", got, want)
	}
	if got, want := f.Verify(again.ID, again.Code).Result, VerifySpent; got != want {
		t.Errorf("new code replayed: result = %s, want %s", got, want)
	}
	if got, want := f.Verify(ch.ID, ch.Code).Result, VerifySpent; got != want {
		t.Errorf("first code replayed: result = %s, want %s", got, want)
	}
	// Two windows after the record was made, a lookup forgets it.
	now = now.Add(time.Minute)
	other, _ := f.Issue("ivr", "contact-5")
	f.Verify(other.ID, other.Code)
	f.mu.Lock()
	_, kept := f.tracked[ch.ID]
	n, q := len(f.tracked), len(f.expiry)
	f.mu.Unlock()
	if kept || n != 1 || q != 1 {
		t.Errorf("after the first record expired: kept %v, %d records, %d queued; want false, 1, 1", kept, n, q)
	}
}

// BenchmarkFallbackVerifyFull verifies new challenges while the tracking
// is full of live records: each Verify must not scan them.
func BenchmarkFallbackVerifyFull(b *testing.B) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f, err := NewFallbackChallenges(FallbackOptions{Secret: []byte(testFallbackSecret), Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	for i := range DefaultFallbackTracked {
		ch, _ := f.Issue("ivr", "c"+strconv.Itoa(i))
		f.Verify(ch.ID, "0000")
	}
	ch, _ := f.Issue("ivr", "new")
	b.ResetTimer()
	for range b.N {
		if got := f.Verify(ch.ID, ch.Code).Result; got != VerifyFail {
			b.Fatalf("result = %s, want %s with the tracking full", got, VerifyFail)
		}
	}
}
