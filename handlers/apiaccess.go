package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/respond"
)

// APIAccessMode says who may call the JSON callback API. The API has none
// of the form's bot friction (form token, fill time, honeypot), so the
// mode is what stands between it and a script.
type APIAccessMode string

// The access modes, weakest first.
const (
	// APIOpen lets anyone call the API: the engine's scoring is the only
	// defence. For trials and existing integrations without a key.
	APIOpen APIAccessMode = "open"
	// APIVisitorToken asks for a valid visitor token in the body's
	// visitor_token: only visitors a host site signed in can call.
	APIVisitorToken APIAccessMode = "visitor-token"
	// APIKeyRequired asks for one of the configured site keys, sent as
	// Authorization: Bearer <key>: for a site's server calling Tollgate.
	APIKeyRequired APIAccessMode = "key"
	// APIOff removes the API: its path answers 404 as if it never existed.
	APIOff APIAccessMode = "off"
)

// APIAccessModes are the modes, in the order the configuration lists them.
var APIAccessModes = []APIAccessMode{APIOpen, APIKeyRequired, APIVisitorToken, APIOff}

// APIAccess is who may call the JSON callback API.
type APIAccess struct {
	// Mode is the access mode; empty is APIOpen.
	Mode APIAccessMode
	// Keys are the site keys APIKeyRequired accepts, any of them: two keys
	// let a site move to a new one without downtime.
	Keys []APIKeyConfig
}

// APIKeyConfig is one configured site key: who holds it and its secret.
type APIKeyConfig struct {
	// Name names the key in logs and the console; never the secret.
	Name string
	// Secret is what the site sends as its bearer token. Never log it.
	Secret string
	// Flows are the flows the key binds: a request with this key naming
	// one of them may have that flow's policy loosen the account's
	// (risk.Request.FlowBound); other flows stay stricter-only.
	Flows []string
}

// String names the key and leaves its secret out, so that printing a
// configuration cannot leak it.
func (k APIKeyConfig) String() string {
	return fmt.Sprintf("{Name:%s Secret:[redacted] Flows:%v}", k.Name, k.Flows)
}

// APIKey is the site key a request to the callback API authenticated
// with, as later handlers see it: apiKeyOf returns it.
type APIKey struct {
	// Name is the key's name, for logs.
	Name string
	// Flows are the flows the key binds: a request with this key naming
	// one of them may have that flow's policy loosen the account's
	// (risk.Request.FlowBound); other flows stay stricter-only.
	Flows []string
}

// apiKeyContextKey is the context key an authenticated request's APIKey
// is stored under.
type apiKeyContextKey struct{}

// apiKeyOf returns the key the request authenticated with, when the API
// asks for one.
func apiKeyOf(c echo.Context) (APIKey, bool) {
	return apiKeyFrom(c.Request().Context())
}

// apiKeyFrom returns the key a request's context carries.
func apiKeyFrom(ctx context.Context) (APIKey, bool) {
	k, ok := ctx.Value(apiKeyContextKey{}).(APIKey)
	return k, ok
}

// apiKeyHash is a configured key with its secret's SHA-256.
type apiKeyHash struct {
	key  APIKey
	hash [sha256.Size]byte
}

// apiAccessSettings is APIAccess as the server checks it.
type apiAccessSettings struct {
	mode APIAccessMode
	keys []apiKeyHash
}

// newAPIAccess checks a and hashes its keys. A mode that cannot work (key
// without keys, visitor-token without a secret, an unknown one) panics:
// configuration is validated before.
func newAPIAccess(a APIAccess, visitorSecret []byte) apiAccessSettings {
	st := apiAccessSettings{mode: a.Mode}
	if st.mode == "" {
		st.mode = APIOpen
	}
	switch st.mode {
	case APIOpen, APIOff:
	case APIKeyRequired:
		if len(a.Keys) == 0 {
			panic("handlers: API access mode key needs at least one key")
		}
	case APIVisitorToken:
		if len(visitorSecret) == 0 {
			panic("handlers: API access mode visitor-token needs Deps.VisitorSecret")
		}
	default:
		panic(fmt.Sprintf("handlers: unknown API access mode %q", a.Mode))
	}
	for _, k := range a.Keys {
		st.keys = append(st.keys, apiKeyHash{key: APIKey{Name: k.Name, Flows: k.Flows}, hash: sha256.Sum256([]byte(k.Secret))})
	}
	return st
}

// requireAPIAccess admits the callback API's requests as the access mode
// says; the others get 401 and never reach the engine. It reads the body
// in visitor-token mode, so it goes after respond.LimitBody.
func (s *server) requireAPIAccess(next echo.HandlerFunc) echo.HandlerFunc {
	switch s.api.mode {
	case APIKeyRequired:
		return func(c echo.Context) error {
			key, err := s.api.authenticate(c.Request().Header.Get(echo.HeaderAuthorization))
			if err != nil {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="tollgate-api"`)
				return err
			}
			r := c.Request()
			c.SetRequest(r.WithContext(context.WithValue(r.Context(), apiKeyContextKey{}, key)))
			return next(c)
		}
	case APIVisitorToken:
		return func(c echo.Context) error {
			if err := s.checkVisitorToken(c); err != nil {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `VisitorToken realm="tollgate-api"`)
				return err
			}
			return next(c)
		}
	default:
		return next
	}
}

// authenticate returns the key an Authorization header's bearer token is.
// Both sides are hashed before the constant-time comparison, so neither
// the length of a key nor how much of it matched shows in the timing, and
// every key is compared, so neither does which one matched.
func (a apiAccessSettings) authenticate(authorization string) (APIKey, error) {
	token, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok || token == "" {
		return APIKey{}, &respond.Error{Code: respond.CodeInvalidAPIKey, Message: "This API needs the site's API key: send Authorization: Bearer <key>."}
	}
	sum := sha256.Sum256([]byte(token))
	match := -1
	for i, k := range a.keys {
		if subtle.ConstantTimeCompare(sum[:], k.hash[:]) == 1 {
			match = i
		}
	}
	if match < 0 {
		return APIKey{}, &respond.Error{Code: respond.CodeInvalidAPIKey, Message: "The API key is not valid: check it against the one configured for the site."}
	}
	return a.keys[match].key, nil
}

// checkVisitorToken reports why a request carries no valid visitor token,
// or nil. The body is read and put back for the handler, which decodes it
// strictly.
func (s *server) checkVisitorToken(c echo.Context) error {
	r := c.Request()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return respond.BodyReadError(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var peek struct {
		VisitorToken string `json:"visitor_token"`
	}
	// A body that is not JSON carries no token; the handler would refuse
	// it anyway.
	_ = json.Unmarshal(body, &peek)
	if peek.VisitorToken == "" {
		return &respond.Error{Code: respond.CodeInvalidVisitorToken, Field: "visitor_token", Err: errors.New("no visitor token"),
			Message: "This API needs a visitor token in visitor_token, which the site signs for each signed-in visitor."}
	}
	if _, err := verifyVisitorToken(s.VisitorSecret, peek.VisitorToken, s.now()); err != nil {
		return &respond.Error{Code: respond.CodeInvalidVisitorToken, Field: "visitor_token", Err: err,
			Message: "The visitor token is not valid: it expired or was not signed with this server's secret. Get a fresh one from the site."}
	}
	return nil
}
