package admin

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/web"
)

const TokensPath = Prefix + "/tokens"

// HandleTokensShow lists the API tokens.
func (s *Handlers) HandleTokensShow(c echo.Context) error {
	tokens, err := s.Users.Tokens(c.Request().Context())
	if err != nil {
		return respond.Failed(err)
	}
	return respond.Render(c, http.StatusOK, web.TokensPage(s.frame(c, web.SectionTokens), tokenRows(tokens), ""))
}

// HandleTokenCreate makes a token and answers with the tokens page showing
// its secret, this once: the secret is never stored, not even in the
// session.
func (s *Handlers) HandleTokenCreate(c echo.Context) error {
	ctx := c.Request().Context()
	secret, t, err := s.createToken(c, c.FormValue("label"), c.FormValue("role"), c.FormValue("expires"))
	if ae := (*respond.Error)(nil); errors.As(err, &ae) && ae.Code == respond.CodeInvalidToken {
		return s.redirectBack(c, TokensPath, flashError, ae.Message)
	}
	if err != nil {
		return s.refusal(c, TokensPath, err)
	}
	tokens, err := s.Users.Tokens(ctx)
	if err != nil {
		return respond.Failed(err)
	}
	f := s.frame(c, web.SectionTokens)
	f.Flash, f.FlashKind = "Token "+t.ID+" created. Copy its secret now: it is not shown again.", flashOK
	return respond.Render(c, http.StatusCreated, web.TokensPage(f, tokenRows(tokens), secret))
}

// createToken makes a token for the request's user (a token's creator when
// a token calls) and records it in the audit log. expires is empty, a date
// (the token works through that day, UTC) or an RFC 3339 time.
//
// A token a token makes never outlives it: it expires no later, and is
// revoked with it (auth.NewToken.Parent), so a leaked or short-lived
// token cannot mint a lasting one.
func (s *Handlers) createToken(c echo.Context, label, role, expires string) (string, auth.Token, error) {
	r, err := auth.ParseRole(role)
	if err != nil {
		return "", auth.Token{}, err
	}
	until, err := parseTokenExpiry(expires)
	if err != nil {
		return "", auth.Token{}, err
	}
	secret, t, err := s.Users.CreateToken(c.Request().Context(), auth.NewToken{Label: label, Role: r, CreatedBy: actorOf(c).User, Expires: until, Parent: actorOf(c).Token})
	if err != nil {
		return "", auth.Token{}, err
	}
	s.record(c, "token.create", "token "+t.ID, nil, t)
	return secret, t, nil
}

// parseTokenExpiry reads a token's expiry: "" for none, a date meaning the
// end of that day (UTC), or an RFC 3339 time.
func parseTokenExpiry(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.AddDate(0, 0, 1), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, respond.FieldError(respond.CodeInvalidToken, "expires", "expires: give a date (2026-12-31, the token works through that day, UTC) or an RFC 3339 time, or leave it empty")
}

// HandleTokenRevoke deletes a token.
func (s *Handlers) HandleTokenRevoke(c echo.Context) error {
	t, err := s.Users.RevokeToken(c.Request().Context(), c.Param("id"))
	if err != nil {
		return s.refusal(c, TokensPath, err)
	}
	s.record(c, "token.revoke", "token "+t.ID, t, nil)
	return s.redirectBack(c, TokensPath, flashOK, "Token "+t.ID+" revoked.")
}

// HandleAPITokens lists the tokens as JSON.
func (s *Handlers) HandleAPITokens(c echo.Context) error {
	tokens, err := s.Users.Tokens(c.Request().Context())
	if err != nil {
		return respond.Failed(err)
	}
	return c.JSON(http.StatusOK, map[string]any{"tokens": tokens})
}

// tokenInput is the body of POST /api/v1/admin/tokens.
type tokenInput struct {
	Label   string `json:"label"`
	Role    string `json:"role"`
	Expires string `json:"expires"`
}

// HandleAPITokenCreate makes a token from {"label","role","expires"}; the
// answer holds its secret, this once.
func (s *Handlers) HandleAPITokenCreate(c echo.Context) error {
	var in tokenInput
	if err := respond.DecodeJSON(c.Request(), &in, "label, role and expires"); err != nil {
		return err
	}
	secret, t, err := s.createToken(c, in.Label, in.Role, in.Expires)
	var ae *respond.Error
	switch {
	case errors.As(err, &ae):
		return ae
	case auth.IsRefusal(err):
		return respond.FieldError(respond.CodeInvalidToken, "", err.Error())
	case err != nil:
		return respond.Failed(err)
	}
	return c.JSON(http.StatusCreated, map[string]any{"secret": secret, "token": t})
}

// HandleAPITokenRevoke deletes a token: 204, or 404 when there is none.
func (s *Handlers) HandleAPITokenRevoke(c echo.Context) error {
	t, err := s.Users.RevokeToken(c.Request().Context(), c.Param("id"))
	if err != nil {
		return respond.Failed(err)
	}
	s.record(c, "token.revoke", "token "+t.ID, t, nil)
	return c.NoContent(http.StatusNoContent)
}

func tokenRows(tokens []auth.Token) []web.TokenRow {
	rows := make([]web.TokenRow, len(tokens))
	for i, t := range tokens {
		rows[i] = web.TokenRow{ID: t.ID, Label: t.Label, Role: string(t.Role), CreatedBy: t.CreatedBy, Created: t.Created,
			Expires: t.Expires, LastUsed: t.LastUsed}
	}
	return rows
}
