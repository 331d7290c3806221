package flowsig

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

var (
	testSecret = []byte("0123456789abcdef0123456789abcdef")
	oldSecret  = []byte("fedcba9876543210fedcba9876543210")
	testBody   = []byte(`{"Name":"ContactFlowEvent","Details":{"Parameters":{"action":"screen"}}}`)
	signedAt   = time.Unix(1767225600, 0)
)

// knownMAC is the HMAC-SHA256 of `1767225600.{"a":1}` under testSecret.
const knownMAC = "5a178d9c0a752b5853bf52551646d72a3506620c785b7cfaf493f8b2adddfbdd"

func TestSignKnownValue(t *testing.T) {
	// Computed independently:
	//   printf '1767225600.{"a":1}' | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef
	got := Sign(testSecret, signedAt, []byte(`{"a":1}`))
	want := "v1=" + knownMAC
	if got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
	if got, want := Timestamp(signedAt), "1767225600"; got != want {
		t.Errorf("Timestamp = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	ts := Timestamp(signedAt)
	sig := Sign(testSecret, signedAt, testBody)
	oldSig := Sign(oldSecret, signedAt, testBody)
	hexOf := func(s string) string { return strings.TrimPrefix(s, "v1=") }

	tests := []struct {
		name      string
		secret    []byte
		timestamp string
		signature string
		body      []byte
		now       time.Time
		maxSkew   time.Duration
		want      error
	}{
		{name: "valid", timestamp: ts, signature: sig, want: nil},
		{name: "valid at the edge of the default skew", timestamp: ts, signature: sig, now: signedAt.Add(5 * time.Minute), want: nil},
		{name: "valid with spaces around values", timestamp: ts, signature: " " + sig + " ", want: nil},
		{name: "valid among rotated values", timestamp: ts, signature: oldSig + "," + sig, want: nil},
		{name: "unknown scheme skipped", timestamp: ts, signature: "v2=abc," + sig, want: nil},
		{name: "tampered body", timestamp: ts, signature: sig, body: []byte(`{"Name":"ContactFlowEvent","Details":{"Parameters":{"action":"allow"}}}`), want: ErrBadSignature},
		{name: "wrong secret", secret: oldSecret, timestamp: ts, signature: sig, want: ErrBadSignature},
		{name: "timestamp changed", timestamp: Timestamp(signedAt.Add(time.Second)), signature: sig, want: ErrBadSignature},
		{name: "hex in upper case", timestamp: ts, signature: "v1=" + strings.ToUpper(hexOf(sig)), want: nil},
		{name: "stale", timestamp: ts, signature: sig, now: signedAt.Add(5*time.Minute + time.Second), want: ErrStale},
		{name: "future", timestamp: ts, signature: sig, now: signedAt.Add(-5*time.Minute - time.Second), want: ErrFuture},
		{name: "stale under a tighter skew", timestamp: ts, signature: sig, now: signedAt.Add(31 * time.Second), maxSkew: 30 * time.Second, want: ErrStale},
		{name: "missing timestamp", timestamp: "", signature: sig, want: ErrMissing},
		{name: "missing signature", timestamp: ts, signature: "", want: ErrMissing},
		{name: "timestamp not a number", timestamp: "yesterday", signature: sig, want: ErrMalformed},
		{name: "negative timestamp", timestamp: "-" + ts, signature: sig, want: ErrMalformed},
		{name: "timestamp with leading zero", timestamp: "0" + ts, signature: sig, want: ErrMalformed},
		{name: "timestamp in milliseconds", timestamp: ts + "000", signature: sig, want: ErrMalformed},
		{name: "timestamp with spaces", timestamp: " " + ts, signature: sig, want: ErrMalformed},
		{name: "signature without scheme", timestamp: ts, signature: hexOf(sig), want: ErrMalformed},
		{name: "signature without v1", timestamp: ts, signature: "v0=" + hexOf(sig), want: ErrMalformed},
		{name: "signature not hex", timestamp: ts, signature: "v1=" + strings.Repeat("zz", 32), want: ErrMalformed},
		{name: "signature too short", timestamp: ts, signature: sig[:len(sig)-2], want: ErrMalformed},
		{name: "empty item skipped", timestamp: ts, signature: sig + ",", want: nil},
		{name: "malformed v1 skipped before a valid one", timestamp: ts, signature: "v1=zz," + sig, want: nil},
		{name: "short v1 skipped before a valid one", timestamp: ts, signature: sig[:len(sig)-2] + "," + sig, want: nil},
		{name: "malformed v1 values only", timestamp: ts, signature: "v1=zz,v1=" + strings.Repeat("gg", 32), want: ErrMalformed},
		{name: "too many values, malformed ones counted", timestamp: ts, signature: strings.Repeat("v1=zz,", maxSignatures) + sig, want: ErrMalformed},
		{name: "too many values", timestamp: ts, signature: strings.Repeat(oldSig+",", maxSignatures) + sig, want: ErrMalformed},
		{name: "empty secret", secret: []byte{}, timestamp: ts, signature: sig, want: ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret, body, now := tt.secret, tt.body, tt.now
			if secret == nil {
				secret = testSecret
			}
			if body == nil {
				body = testBody
			}
			if now.IsZero() {
				now = signedAt
			}
			got := Verify(secret, tt.timestamp, tt.signature, body, now, tt.maxSkew)
			if !errors.Is(got, tt.want) {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestVerifyAnyRotation(t *testing.T) {
	ts := Timestamp(signedAt)
	tests := []struct {
		name    string
		secrets [][]byte
		signer  []byte
		want    error
	}{
		{name: "signed with the new secret", secrets: [][]byte{testSecret, oldSecret}, signer: testSecret, want: nil},
		{name: "signed with the old secret", secrets: [][]byte{testSecret, oldSecret}, signer: oldSecret, want: nil},
		{name: "old secret retired", secrets: [][]byte{testSecret}, signer: oldSecret, want: ErrBadSignature},
		{name: "empty secrets skipped", secrets: [][]byte{nil, oldSecret}, signer: oldSecret, want: nil},
		{name: "no secrets", secrets: nil, signer: testSecret, want: ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig := Sign(tt.signer, signedAt, testBody)
			got := VerifyAny(tt.secrets, ts, sig, testBody, signedAt, 0)
			if !errors.Is(got, tt.want) {
				t.Errorf("VerifyAny = %v, want %v", got, tt.want)
			}
		})
	}
}

func ExampleSign() {
	secret := []byte("0123456789abcdef0123456789abcdef")
	body := []byte(`{"a":1}`)
	at := time.Unix(1767225600, 0)

	// The sender sets both headers.
	timestamp, signature := Timestamp(at), Sign(secret, at, body)

	// The receiver checks them against the body exactly as it arrived.
	err := Verify(secret, timestamp, signature, body, at.Add(10*time.Second), 0)
	fmt.Println(timestamp, err)
	// Output: 1767225600 <nil>
}
