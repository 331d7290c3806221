package contactflows

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// newChallengeID returns 128 random bits from r, URL-safe base64 without
// padding.
func newChallengeID(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("contactflows: reading random bits: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// newCode returns a code of length digits drawn uniformly from r over
// every code, or every code that is not trivial unless allowTrivial:
// uniform over all codes, and a trivial draw drawn again.
func newCode(r io.Reader, length int, allowTrivial bool) (string, error) {
	n := uint64(1)
	for range length {
		n *= 10
	}
	for {
		v, err := uniform(r, n)
		if err != nil {
			return "", err
		}
		code := fmt.Sprintf("%0*d", length, v)
		if allowTrivial || !trivialCode(code) {
			return code, nil
		}
	}
}

// uniform returns a number in [0, n) read from r without modulo bias: a
// 64-bit draw below 2^64 mod n is drawn again, so the draws kept span a
// multiple of n.
func uniform(r io.Reader, n uint64) (uint64, error) {
	threshold := -n % n // 2^64 mod n
	var b [8]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, fmt.Errorf("contactflows: reading random bits: %w", err)
		}
		v := binary.BigEndian.Uint64(b[:])
		if v >= threshold {
			return v % n, nil
		}
	}
}

// trivialCode reports whether code is all one digit, or a run where each
// digit is one more than the one before, or each one less, 0 following 9:
// 0000, 1234, 7890, 8901, 9876, 1098.
func trivialCode(code string) bool {
	same, up, down := true, true, true
	for i := 1; i < len(code); i++ {
		d := (int(code[i]) - int(code[i-1]) + 10) % 10
		same = same && d == 0
		up = up && d == 1
		down = down && d == 9
	}
	return same || up || down
}

// normalizeDigits returns what a caller keyed with spaces and a trailing
// '#' terminator removed. Anything else is kept, so that it cannot match.
func normalizeDigits(s string) string {
	s = strings.ReplaceAll(s, " ", "")
	return strings.TrimSuffix(s, "#")
}
