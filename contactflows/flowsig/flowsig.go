// Package flowsig signs and verifies the requests a contact-center bridge
// (such as the Amazon Connect Lambda) sends to Tollgate.
//
// A signed request carries two headers:
//
//	X-Tollgate-Timestamp: <Unix seconds>
//	X-Tollgate-Signature: v1=<hex HMAC-SHA256 of "<timestamp>." + body>
//
// The signature header may hold several comma-separated v1= values, so a
// sender can sign with an old and a new secret while they are rotated.
// Values of other schemes are ignored, which leaves room for a v2, and so
// are malformed v1 values, so long as one well-formed v1 value remains.
package flowsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Header names of a signed request.
const (
	// HeaderTimestamp holds the time of signing in Unix seconds.
	HeaderTimestamp = "X-Tollgate-Timestamp"
	// HeaderSignature holds one or more comma-separated "v1=<hex>" values.
	HeaderSignature = "X-Tollgate-Signature"
)

// DefaultMaxSkew is how far a timestamp may be from the verifier's clock,
// either way, when Verify is given no positive maxSkew.
const DefaultMaxSkew = 5 * time.Minute

// maxSignatures bounds the v1 values one header may carry, and so the work
// one request can cause.
const maxSignatures = 8

// Errors Verify and VerifyAny return. Each is distinct so a server can log
// why a request was refused; none of them should be sent to the client in
// more detail than "unauthorized".
var (
	// ErrMissing means the timestamp or the signature header is empty.
	ErrMissing = errors.New("flowsig: timestamp or signature header missing")
	// ErrMalformed means a header is not of the documented form.
	ErrMalformed = errors.New("flowsig: timestamp or signature header malformed")
	// ErrStale means the timestamp is older than the allowed skew.
	ErrStale = errors.New("flowsig: timestamp too old")
	// ErrFuture means the timestamp is further ahead than the allowed skew.
	ErrFuture = errors.New("flowsig: timestamp in the future")
	// ErrBadSignature means no v1 value matches the body under any secret.
	ErrBadSignature = errors.New("flowsig: signature does not match")
	// ErrNoSecret means the verifier was given no non-empty secret.
	ErrNoSecret = errors.New("flowsig: no secret to verify with")
)

// Timestamp returns the value of HeaderTimestamp for t.
func Timestamp(t time.Time) string {
	return strconv.FormatInt(t.Unix(), 10)
}

// Sign returns the value of HeaderSignature for body signed with secret at
// t: "v1=" and the hex HMAC-SHA256 of Timestamp(t) + "." + body.
func Sign(secret []byte, t time.Time, body []byte) string {
	return "v1=" + hex.EncodeToString(mac(secret, Timestamp(t), body))
}

// Verify checks a request's HeaderTimestamp and HeaderSignature values
// against body and secret. The timestamp must be within maxSkew of now
// (DefaultMaxSkew when maxSkew is not positive). It returns nil or one of
// the package's errors.
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, maxSkew time.Duration) error {
	return VerifyAny([][]byte{secret}, timestamp, signature, body, now, maxSkew)
}

// VerifyAny is Verify accepting a signature made with any of secrets, so a
// server can hold the new and the old secret while senders move over.
// Empty secrets are skipped.
func VerifyAny(secrets [][]byte, timestamp, signature string, body []byte, now time.Time, maxSkew time.Duration) error {
	if timestamp == "" || signature == "" {
		return ErrMissing
	}
	ts, err := parseTimestamp(timestamp)
	if err != nil {
		return err
	}
	sigs, err := parseSignature(signature)
	if err != nil {
		return err
	}
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	skew := int64(maxSkew / time.Second)
	switch n := now.Unix(); {
	case ts < n-skew:
		return ErrStale
	case ts > n+skew:
		return ErrFuture
	}
	keyed := false
	for _, secret := range secrets {
		if len(secret) == 0 {
			continue
		}
		keyed = true
		want := mac(secret, timestamp, body)
		for _, got := range sigs {
			if hmac.Equal(got, want) {
				return nil
			}
		}
	}
	if !keyed {
		return ErrNoSecret
	}
	return ErrBadSignature
}

func mac(secret []byte, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// parseTimestamp accepts decimal Unix seconds: digits only, no sign, no
// leading zero, at most 12 digits (good until the year 33658).
func parseTimestamp(s string) (int64, error) {
	if len(s) > 12 || (len(s) > 1 && s[0] == '0') {
		return 0, ErrMalformed
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, ErrMalformed
		}
	}
	ts, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, ErrMalformed
	}
	return ts, nil
}

// parseSignature returns the decoded v1 values of a signature header.
// Items of other schemes, items without a scheme and v1 values that are not
// 64 hex digits are skipped, so one bad value cannot hide a good one after
// it. A header without a well-formed v1 value, or with more than
// maxSignatures v1 items, is malformed.
func parseSignature(s string) ([][]byte, error) {
	var sigs [][]byte
	v1Items := 0
	for item := range strings.SplitSeq(s, ",") {
		scheme, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || scheme != "v1" {
			continue
		}
		if v1Items++; v1Items > maxSignatures {
			return nil, ErrMalformed
		}
		if len(value) != 2*sha256.Size {
			continue
		}
		b, err := hex.DecodeString(value)
		if err != nil {
			continue
		}
		sigs = append(sigs, b)
	}
	if len(sigs) == 0 {
		return nil, ErrMalformed
	}
	return sigs, nil
}
