package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/risk/redistest"
)

// TestAPITokensFollowTheirCreator: a token acts with at most its creator's
// current role, and stops working when its creator is deleted or changes
// password, or at its expiry; the tokens page shows each token's expiry
// and last use, and an admin revokes anyone's token.
func TestAPITokensFollowTheirCreator(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := newStackOn(t, rdb, nil, &dispatch.Simulator{})
		ctx := context.Background()
		adm := st.signIn(t, auth.RoleAdmin)
		tokenOf := map[string]string{}
		for _, name := range []string{"bob", "cat", "dan", "eve"} {
			if _, err := st.users.CreateUser(ctx, name, testPassword, auth.RoleAdmin); err != nil {
				t.Fatal(err)
			}
			secret, _, err := st.users.CreateToken(ctx, auth.NewToken{Label: name + "'s sync", Role: auth.RoleAdmin, CreatedBy: name})
			if err != nil {
				t.Fatal(err)
			}
			tokenOf[name] = secret
		}
		whoamiOf := func(secret string) (int, admin.Whoami) {
			var who admin.Whoami
			status := st.api(t, http.MethodGet, admin.APIPrefix+"/whoami", secret, "", "", &who)
			return status, who
		}
		if status, who := whoamiOf(tokenOf["bob"]); status != http.StatusOK || who.Role != auth.RoleAdmin {
			t.Fatalf("bob's token: got %d %+v, want 200 as admin", status, who)
		}

		// Demoted, bob's admin token reads and no longer writes.
		adm.post(t, admin.UsersPath+"/bob/role", url.Values{"role": {"viewer"}})
		if status, who := whoamiOf(tokenOf["bob"]); status != http.StatusOK || who.Role != auth.RoleViewer {
			t.Errorf("bob demoted: got %d %+v, want 200 as viewer", status, who)
		}
		if status := st.api(t, http.MethodPost, admin.APIPrefix+"/tokens", tokenOf["bob"], "application/json", `{"label":"x","role":"admin"}`, nil); status != http.StatusForbidden {
			t.Errorf("bob demoted, creating a token: got %d, want 403", status)
		}
		// Deleted, or with a new password, the creator's tokens are refused.
		adm.post(t, admin.UsersPath+"/cat/delete", nil)
		if status, _ := whoamiOf(tokenOf["cat"]); status != http.StatusUnauthorized {
			t.Errorf("cat deleted: got %d, want 401", status)
		}
		adm.post(t, admin.UsersPath+"/dan/password", url.Values{"password": {"a brand new password"}})
		if status, _ := whoamiOf(tokenOf["dan"]); status != http.StatusUnauthorized {
			t.Errorf("dan's password changed: got %d, want 401", status)
		}

		// An expiring token made through the API, by the token's creator.
		var made struct {
			Secret string     `json:"secret"`
			Token  auth.Token `json:"token"`
		}
		expires := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
		body := `{"label":"nightly","role":"viewer","expires":"` + expires.Format(time.RFC3339) + `"}`
		if status := st.api(t, http.MethodPost, admin.APIPrefix+"/tokens", tokenOf["eve"], "application/json", body, &made); status != http.StatusCreated {
			t.Fatalf("create a token through the API: status %d", status)
		}
		if made.Token.CreatedBy != "eve" || !made.Token.Expires.Equal(expires) {
			t.Errorf("token made by eve's token: got %+v, want created by eve, expiring %v", made.Token, expires)
		}
		if status := st.api(t, http.MethodPost, admin.APIPrefix+"/tokens", tokenOf["eve"], "application/json", `{"label":"old","role":"viewer","expires":"2001-01-01"}`, nil); status != http.StatusUnprocessableEntity {
			t.Errorf("an expiry in the past: got %d, want 422", status)
		}

		// The page shows the expiry, and the last use once used.
		id := made.Token.ID
		_, _, page := adm.get(t, admin.TokensPath)
		if got := strings.TrimSpace(between(page, `data-testid="token-last-used-`+id+`">`, "<")); got != "never" {
			t.Errorf("last used before any use: got %q, want never", got)
		}
		if got, want := strings.TrimSpace(between(page, `data-testid="token-expires-`+id+`">`, "<")), expires.Format("2006-01-02 15:04 UTC"); got != want {
			t.Errorf("expires: got %q, want %q", got, want)
		}
		if status, who := whoamiOf(made.Secret); status != http.StatusOK || who.Role != auth.RoleViewer {
			t.Fatalf("the new token: got %d %+v, want 200 as viewer", status, who)
		}
		_, _, page = adm.get(t, admin.TokensPath)
		if got := strings.TrimSpace(between(page, `data-testid="token-last-used-`+id+`">`, "<")); got == "never" || got == "" {
			t.Errorf("last used after a use: got %q, want a time", got)
		}
		for _, gone := range []string{"cat", "dan"} {
			if strings.Contains(page, gone+"&#39;s sync") {
				t.Errorf("the tokens page lists %s's ended token", gone)
			}
		}

		// An admin revokes another user's token.
		bobID := tokenID(t, st, tokenOf["bob"])
		if status := st.api(t, http.MethodDelete, admin.APIPrefix+"/tokens/"+bobID, tokenOf["eve"], "", "", nil); status != http.StatusNoContent {
			t.Errorf("revoke bob's token: got %d, want 204", status)
		}
		if status, _ := whoamiOf(tokenOf["bob"]); status != http.StatusUnauthorized {
			t.Errorf("bob's revoked token: got %d, want 401", status)
		}

		// Past its expiry, the token is refused.
		st.clockSkew.Store(int64(2 * time.Hour))
		if status, _ := whoamiOf(made.Secret); status != http.StatusUnauthorized {
			t.Errorf("past its expiry: got %d, want 401", status)
		}
	})
}

// tokenID is the ID of the token with this secret.
func tokenID(t *testing.T, st *stack, secret string) string {
	t.Helper()
	tok, err := st.users.VerifyToken(context.Background(), secret)
	if err != nil {
		t.Fatal(err)
	}
	return tok.ID
}

// A token a token mints never outlives it: a leaked or short-lived token
// cannot make a lasting one.
func TestAPITokenMintedByTokenEndsWithIt(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	parent := st.token(t, auth.RoleAdmin)
	var child struct {
		Secret string     `json:"secret"`
		Token  auth.Token `json:"token"`
	}
	if status := st.api(t, "POST", "/api/v1/admin/tokens", parent, "application/json", `{"label":"persist","role":"admin"}`, &child); status != 201 {
		t.Fatalf("POST /api/v1/admin/tokens with a token: %d, want 201", status)
	}
	if child.Token.Parent != tokenID(t, st, parent) {
		t.Errorf("the minted token's parent: got %q, want the token that made it", child.Token.Parent)
	}
	if status := st.api(t, "DELETE", "/api/v1/admin/tokens/"+tokenID(t, st, parent), parent, "", "", nil); status != 204 {
		t.Fatalf("revoking the parent: %d, want 204", status)
	}
	if status := st.api(t, "GET", "/api/v1/admin/whoami", child.Secret, "", "", nil); status != 401 {
		t.Errorf("the minted token after its parent was revoked: %d, want 401", status)
	}
}
