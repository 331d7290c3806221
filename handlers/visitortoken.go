package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate/tollgate/risk"
)

// Visitor tokens let a host site vouch for a signed-in visitor:
//
//	v1.<base64url(user id)>.<expiry, Unix seconds>.<base64url(HMAC-SHA256(secret, "v1.<base64url(user id)>.<expiry>"))>
//
// base64url is unpadded (RFC 4648 §5). A token is valid until its expiry,
// which may be at most maxVisitorTokenLife ahead.
const (
	visitorTokenVersion = "v1"
	maxVisitorTokenLife = time.Hour
	maxVisitorTokenLen  = 512
)

// SignVisitorToken returns a visitor token for user, valid until expiry,
// signed with secret: what a host site's back end computes.
func SignVisitorToken(secret []byte, user string, expiry time.Time) string {
	payload := visitorTokenVersion + "." + base64.RawURLEncoding.EncodeToString([]byte(user)) + "." + strconv.FormatInt(expiry.Unix(), 10)
	return payload + "." + base64.RawURLEncoding.EncodeToString(visitorMAC(secret, payload))
}

func visitorMAC(secret []byte, payload string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// verifyVisitorToken returns the user a valid token names, or why it is not
// valid.
func verifyVisitorToken(secret []byte, token string, now time.Time) (string, error) {
	if len(token) > maxVisitorTokenLen {
		return "", errors.New("too long")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 4 || parts[0] != visitorTokenVersion {
		return "", errors.New("not a v1 token")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[3])
	if err != nil || !hmac.Equal(sig, visitorMAC(secret, strings.Join(parts[:3], "."))) {
		return "", errors.New("bad signature")
	}
	user, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || len(user) == 0 {
		return "", errors.New("no user id")
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return "", errors.New("bad expiry")
	}
	switch t := time.Unix(exp, 0); {
	case !now.Before(t):
		return "", fmt.Errorf("expired at %s", t.UTC().Format(time.RFC3339))
	case t.Sub(now) > maxVisitorTokenLife:
		return "", fmt.Errorf("expiry more than %s ahead", maxVisitorTokenLife)
	}
	return string(user), nil
}

// visitor reads a request's visitor token into in: a valid one marks the
// visitor authenticated, one that is present but not valid is a reason.
// Without a configured secret no token is believed.
func (s *server) visitor(in *callbackInput) {
	token := in.VisitorToken
	if token == "" {
		return
	}
	if len(s.VisitorSecret) == 0 {
		in.Extra = append(in.Extra, risk.Reason{Code: risk.CodeVisitorTokenInvalid, Detail: "visitor token sent but no secret is configured"})
		return
	}
	if _, err := verifyVisitorToken(s.VisitorSecret, token, s.now()); err != nil {
		in.Extra = append(in.Extra, risk.Reason{Code: risk.CodeVisitorTokenInvalid, Detail: "visitor token " + err.Error()})
		return
	}
	in.Authenticated = true
}
