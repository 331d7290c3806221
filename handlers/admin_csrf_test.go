package handlers

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/auth"
)

// A client that sends no Sec-Fetch-Site must post its own session's token:
// a cookie and field it chose itself, or another session's token, are
// refused.
func TestAdminCSRFBoundToSession(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	adm := st.signIn(t, auth.RoleAdmin)
	other := st.signIn(t, auth.RoleAdmin)
	if adm.csrf == "" || adm.csrf == other.csrf {
		t.Fatalf("tokens of two sessions: got %q and %q, want two different tokens", adm.csrf, other.csrf)
	}
	base, _ := url.Parse(st.url + admin.Prefix)
	plant := func(ac *adminClient, value string) {
		ac.http.Jar.SetCookies(base, []*http.Cookie{{Name: "tollgate_csrf", Value: value, Path: admin.Prefix}})
	}
	create := func(ac *adminClient, token string) int {
		status, _, _ := ac.post(t, admin.UsersPath, url.Values{"name": {"eve"}, "password": {testPassword}, "role": {"admin"}, "_csrf": {token}})
		return status
	}

	plant(adm, "a")
	if got, want := create(adm, "a"), http.StatusForbidden; got != want {
		t.Errorf("cookie tollgate_csrf=a with _csrf=a: got status %d, want %d", got, want)
	}
	if got, want := create(adm, other.csrf), http.StatusForbidden; got != want {
		t.Errorf("another session's token: got status %d, want %d", got, want)
	}
	plant(adm, other.csrf)
	if got, want := create(adm, other.csrf), http.StatusForbidden; got != want {
		t.Errorf("another session's token, in the cookie too: got status %d, want %d", got, want)
	}
	if _, err := st.users.User(context.Background(), "eve"); err != auth.ErrNoUser {
		t.Fatalf("a refused request created a user: got %v, want %v", err, auth.ErrNoUser)
	}

	anon := st.newAdminClient(t)
	plant(anon, "a")
	status, _, _ := anon.post(t, admin.SignInPath, url.Values{"name": {"admin"}, "password": {testPassword}, "_csrf": {"a"}})
	if got, want := status, http.StatusForbidden; got != want {
		t.Errorf("sign-in with cookie tollgate_csrf=a and _csrf=a: got status %d, want %d", got, want)
	}

	if got, want := create(adm, adm.csrf), http.StatusSeeOther; got != want {
		t.Fatalf("the session's own token: got status %d, want %d", got, want)
	}
	if _, err := st.users.User(context.Background(), "eve"); err != nil {
		t.Fatalf("the session's own token created no user: %v", err)
	}
}
