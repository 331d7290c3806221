package handlers

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate/tollgate/risk"
)

// Visitor tokens let a host site vouch for a signed-in visitor. Two
// formats are read; base64url is unpadded (RFC 4648 §5):
//
//	v1.<base64url(user id)>.<expiry, Unix seconds>.<base64url(HMAC-SHA256(secret, "v1.<base64url(user id)>.<expiry>"))>
//	v2.<base64url(claims JSON)>.<base64url(HMAC-SHA256(secret, "v2.<base64url(claims JSON)>"))>
//
// v2's claims (VisitorClaims) can bind the token to one number, to a flow,
// and make it single-use. A token is valid until its expiry, which may be
// at most maxVisitorTokenLife ahead.
const (
	maxVisitorTokenLife = time.Hour
	maxVisitorTokenLen  = 512
)

// VisitorClaims are what a v2 visitor token says of the visitor.
type VisitorClaims struct {
	// User is the host site's id of the signed-in account. Required.
	User string `json:"sub"`
	// Expiry is when the token stops being valid, Unix seconds. Required,
	// at most an hour ahead.
	Expiry int64 `json:"exp"`
	// Number, when set, is the only number the token vouches for: the
	// account's verified number, as the visitor would type it or in
	// E.164. A request for another number is not vouched for.
	Number string `json:"num,omitempty"`
	// Flow, when set, binds the request to that flow, whose policy may
	// then loosen the account's (see risk.Settings.CountryMode).
	Flow string `json:"flow,omitempty"`
	// Once makes the token single-use: a second request with it is not
	// vouched for. ID must then be set, unique per token.
	Once bool `json:"once,omitempty"`
	// ID identifies the token, for Once.
	ID string `json:"jti,omitempty"`
}

// SignVisitorToken returns a v1 visitor token for user, valid until
// expiry, signed with secret: what a host site's back end computes.
func SignVisitorToken(secret []byte, user string, expiry time.Time) string {
	payload := "v1." + base64.RawURLEncoding.EncodeToString([]byte(user)) + "." + strconv.FormatInt(expiry.Unix(), 10)
	return payload + "." + base64.RawURLEncoding.EncodeToString(visitorMAC(secret, payload))
}

// SignVisitorClaims returns a v2 visitor token carrying c, signed with
// secret.
func SignVisitorClaims(secret []byte, c VisitorClaims) string {
	b, _ := json.Marshal(c)
	payload := "v2." + base64.RawURLEncoding.EncodeToString(b)
	return payload + "." + base64.RawURLEncoding.EncodeToString(visitorMAC(secret, payload))
}

func visitorMAC(secret []byte, payload string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// verifyVisitorToken returns the claims of a valid token, or why it is not
// valid.
func verifyVisitorToken(secret []byte, token string, now time.Time) (VisitorClaims, error) {
	if len(token) > maxVisitorTokenLen {
		return VisitorClaims{}, errors.New("too long")
	}
	parts := strings.Split(token, ".")
	var c VisitorClaims
	switch {
	case len(parts) == 4 && parts[0] == "v1":
		if !validMAC(secret, strings.Join(parts[:3], "."), parts[3]) {
			return VisitorClaims{}, errors.New("bad signature")
		}
		user, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			return VisitorClaims{}, errors.New("no user id")
		}
		exp, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil {
			return VisitorClaims{}, errors.New("bad expiry")
		}
		c = VisitorClaims{User: string(user), Expiry: exp}
	case len(parts) == 3 && parts[0] == "v2":
		if !validMAC(secret, strings.Join(parts[:2], "."), parts[2]) {
			return VisitorClaims{}, errors.New("bad signature")
		}
		b, err := base64.RawURLEncoding.DecodeString(parts[1])
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err != nil || dec.Decode(&c) != nil {
			return VisitorClaims{}, errors.New("claims are not the JSON object of v2")
		}
		if c.Once && c.ID == "" {
			return VisitorClaims{}, errors.New("single-use without a jti")
		}
		if c.Flow != "" && !risk.ValidFlowName(c.Flow) {
			return VisitorClaims{}, errors.New("bad flow name")
		}
	default:
		return VisitorClaims{}, errors.New("not a v1 or v2 token")
	}
	if c.User == "" {
		return VisitorClaims{}, errors.New("no user id")
	}
	switch t := time.Unix(c.Expiry, 0); {
	case !now.Before(t):
		return VisitorClaims{}, fmt.Errorf("expired at %s", t.UTC().Format(time.RFC3339))
	case t.Sub(now) > maxVisitorTokenLife:
		return VisitorClaims{}, fmt.Errorf("expiry more than %s ahead", maxVisitorTokenLife)
	}
	return c, nil
}

// validMAC reports whether sig is the base64url HMAC of payload.
func validMAC(secret []byte, payload, sig string) bool {
	b, err := base64.RawURLEncoding.DecodeString(sig)
	return err == nil && hmac.Equal(b, visitorMAC(secret, payload))
}

// visitor reads a request's visitor token into in: a valid one names the
// signed-in account the engine counts and vouches for (in.Visitor), one
// that is present but not valid is a reason. Without a configured secret
// no token is believed and none is scored: the field is ignored.
func (s *server) visitor(in *callbackInput) {
	token := in.VisitorToken
	if token == "" || len(s.VisitorSecret) == 0 {
		return
	}
	c, err := verifyVisitorToken(s.VisitorSecret, token, s.now())
	if err != nil {
		in.Extra = append(in.Extra, risk.Reason{Code: risk.CodeVisitorTokenInvalid, Detail: "visitor token " + err.Error()})
		return
	}
	in.Visitor = &risk.Visitor{Account: c.User, Number: c.Number, Flow: c.Flow, Expiry: time.Unix(c.Expiry, 0)}
	if c.Once {
		in.Visitor.Once = c.ID
	}
}
