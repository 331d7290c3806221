package respond

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// Form tokens. Each form page carries one token in a hidden field:
//
//	version (1 byte) | issue time, Unix ms (8) | random nonce (16) | HMAC-SHA256 (32)
//
// base64url-encoded. The MAC covers the first three parts and the value
// of the visitor's form cookie, so a token is good only with the cookie it
// was issued beside (a signed double-submit cookie): a page that posts the
// form from another site can send the cookie but cannot read a token for
// it. The issue time cannot be altered without the key, which is what
// makes the too-fast and expired signals trustworthy.
const (
	tokenVersion = 1
	nonceLen     = 16
	macLen       = sha256.Size
	tokenBodyLen = 1 + 8 + nonceLen
	tokenLen     = tokenBodyLen + macLen
)

// BindingLen is how many random bytes a value a token is bound to holds,
// such as the visitor's form cookie, before it is base64url-encoded.
const BindingLen = 32

// FormTokens issues and checks form tokens with one key.
type FormTokens struct {
	key []byte
}

// NewFormTokens derives the MAC key from secret; an empty secret gets a
// random one.
func NewFormTokens(secret []byte) *FormTokens {
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
	}
	key, err := hkdf.Key(sha256.New, secret, nil, "tollgate form token v1", 32)
	if err != nil {
		panic("respond: deriving the form token key: " + err.Error())
	}
	return &FormTokens{key: key}
}

// Issue returns a token issued at issued, bound to the cookie value binding.
func (ft *FormTokens) Issue(binding string, issued time.Time) string {
	b := make([]byte, tokenBodyLen, tokenLen)
	b[0] = tokenVersion
	binary.BigEndian.PutUint64(b[1:9], uint64(issued.UnixMilli()))
	_, _ = rand.Read(b[9:tokenBodyLen])
	b = append(b, ft.mac(binding, b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Verify returns the issue time of token when it is well formed and was
// issued by this key beside the cookie value binding.
func (ft *FormTokens) Verify(binding, token string) (issued time.Time, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != tokenLen || b[0] != tokenVersion {
		return time.Time{}, false
	}
	body, sum := b[:tokenBodyLen], b[tokenBodyLen:]
	if !hmac.Equal(sum, ft.mac(binding, body)) {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(binary.BigEndian.Uint64(body[1:9]))), true
}

// mac is the HMAC of the token body and the cookie value it is bound to.
func (ft *FormTokens) mac(binding string, body []byte) []byte {
	h := hmac.New(sha256.New, ft.key)
	h.Write(body)
	h.Write([]byte(binding))
	return h.Sum(nil)
}

// ValidBinding reports whether v has the form of a value tokens are bound
// to: BindingLen random bytes, base64url-encoded.
func ValidBinding(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == BindingLen
}
