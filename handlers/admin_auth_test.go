package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/audit"
	"github.com/tollgate/tollgate/handlers/admin/auth"
)

func TestAdminSignOut(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	viewer := st.signIn(t, auth.RoleViewer)
	if status, _, _ := viewer.get(t, admin.UsersPath); status != http.StatusOK {
		t.Fatalf("before sign-out: status %d", status)
	}
	status, loc, _ := viewer.post(t, admin.SignOutPath, nil)
	if status != http.StatusSeeOther || loc != admin.SignInPath {
		t.Fatalf("sign-out: got %d to %q", status, loc)
	}
	if status, loc, _ := viewer.get(t, admin.UsersPath); status != http.StatusSeeOther || !strings.HasPrefix(loc, admin.SignInPath) {
		t.Fatalf("after sign-out: got %d to %q, want the sign-in page", status, loc)
	}
}

func TestAdminSignInRotatesSession(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	if _, err := st.users.CreateUser(context.Background(), "ann", testPassword, auth.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	// The sign-in page starts no session: loading it writes nothing to
	// the store.
	u, _ := url.Parse(st.url + admin.Prefix + "/")
	anonymous := st.newAdminClient(t)
	for range 5 {
		anonymous.get(t, admin.SignInPath)
		anonymous.get(t, admin.Prefix+"/dashboard")
	}
	for _, c := range anonymous.http.Jar.Cookies(u) {
		if c.Name == "tollgate_admin" {
			t.Errorf("loading the sign-in page started a session")
		}
	}
	// The attacker signs in to a session of their own and plants its
	// cookie in the victim's browser, which then shows the sign-in form.
	attacker := st.signIn(t, auth.RoleViewer)
	var fixed *http.Cookie
	for _, c := range attacker.http.Jar.Cookies(u) {
		if c.Name == "tollgate_admin" {
			fixed = &http.Cookie{Name: c.Name, Value: c.Value, Path: admin.Prefix}
		}
	}
	if fixed == nil {
		t.Fatal("the attacker's sign-in started no session")
	}
	ac := st.newAdminClient(t)
	ac.http.Jar.SetCookies(u, []*http.Cookie{fixed})
	ac.csrf = attacker.csrf // the attacker knows their session's form token
	status, _, body := ac.post(t, admin.SignInPath, url.Values{"name": {"ann"}, "password": {testPassword}})
	if status != http.StatusSeeOther {
		t.Fatalf("sign in: status %d %s", status, body)
	}
	for _, c := range ac.http.Jar.Cookies(u) {
		if c.Name == "tollgate_admin" && c.Value == fixed.Value {
			t.Fatal("the session token was not rotated at sign-in")
		}
	}
}

func TestAdminSignInFailures(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	ctx := context.Background()
	if _, err := st.users.CreateUser(ctx, "ann", testPassword, auth.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	ac := st.newAdminClient(t)
	ac.get(t, admin.SignInPath)
	try := func(name, pw string) (int, string) {
		status, _, body := ac.post(t, admin.SignInPath, url.Values{"name": {name}, "password": {pw}})
		return status, body
	}
	// An unknown user and a wrong password read alike.
	s1, b1 := try("nobody", "wrong password here")
	s2, b2 := try("ann", "wrong password here")
	if s1 != http.StatusUnauthorized || s2 != http.StatusUnauthorized {
		t.Fatalf("bad credentials: got %d and %d, want 401", s1, s2)
	}
	if !strings.Contains(b1, auth.ErrBadCredentials.Error()) || !strings.Contains(b2, auth.ErrBadCredentials.Error()) {
		t.Fatal("the refusals do not both say the name or password is wrong")
	}
	for range auth.DefaultThrottle.AccountFailures - 1 {
		try("ann", "wrong password here")
		try("nobody", "wrong password here")
	}
	// Locked, the right password is refused, and a locked real user reads
	// exactly like a locked unknown name.
	s3, b3 := try("ann", testPassword)
	s4, b4 := try("nobody", testPassword)
	if s3 != http.StatusUnauthorized || s4 != http.StatusUnauthorized || between(b3, `sign-in-error">`, "<") != between(b4, `sign-in-error">`, "<") {
		t.Fatalf("locked: ann got %d, nobody %d, messages %q and %q; want the same 401", s3, s4,
			between(b3, `sign-in-error">`, "<"), between(b4, `sign-in-error">`, "<"))
	}
	entries, _, err := st.audit.List(ctx, audit.Filter{Action: "user.locked"}, "", 10)
	if err != nil || len(entries) != 1 {
		t.Fatalf("lockout audit entries: %v %v", entries, err)
	}
	// An admin lifts the lockout from the console.
	adm := st.signIn(t, auth.RoleAdmin)
	if status, _, _ := adm.post(t, admin.UsersPath+"/ann/unlock", nil); status != http.StatusSeeOther {
		t.Fatalf("unlock: status %d", status)
	}
	if status, _ := try("ann", testPassword); status != http.StatusSeeOther {
		t.Fatalf("after unlock: status %d, want 303", status)
	}
}

func TestAdminCSRF(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	adm := st.signIn(t, auth.RoleAdmin)
	form := url.Values{"name": {"eve"}, "password": {testPassword}, "role": {"admin"}, "_csrf": {"forged"}}
	if status, _, _ := adm.post(t, admin.UsersPath, form); status != http.StatusForbidden {
		t.Fatalf("forged token: status %d, want 403", status)
	}
	req, _ := http.NewRequest(http.MethodPost, st.url+admin.UsersPath, strings.NewReader(url.Values{"name": {"eve"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if status, _, _ := adm.do(t, req); status != http.StatusForbidden {
		t.Fatalf("cross-site post: status %d, want 403", status)
	}
	if _, err := st.users.User(context.Background(), "eve"); err != auth.ErrNoUser {
		t.Fatalf("a forged request created a user: %v", err)
	}
}

func TestAdminSecurityHeaders(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	for _, path := range []string{admin.SignInPath, admin.UsersPath} {
		resp, err := http.Get(st.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if got := h.Get("Content-Security-Policy"); got != admin.CSP {
			t.Errorf("%s: CSP %q, want %q", path, got, admin.CSP)
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: X-Frame-Options %q, Cache-Control %q", path, h.Get("X-Frame-Options"), h.Get("Cache-Control"))
		}
	}
}

func TestAdminUsersAndTokens(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	ctx := context.Background()
	adm := st.signIn(t, auth.RoleAdmin)
	status, _, _ := adm.post(t, admin.UsersPath, url.Values{"name": {"Bob"}, "password": {"short"}, "role": {"viewer"}})
	if _, _, page := adm.get(t, admin.UsersPath); status != http.StatusSeeOther || !strings.Contains(page, "at least 12 characters") {
		t.Fatalf("short password: status %d, page does not say why", status)
	}
	adm.post(t, admin.UsersPath, url.Values{"name": {"Bob"}, "password": {testPassword}, "role": {"viewer"}})
	if u, err := st.users.User(ctx, "bob"); err != nil || u.Role != auth.RoleViewer {
		t.Fatalf("created user: %+v %v", u, err)
	}
	// The last admin cannot demote itself.
	adm.post(t, admin.UsersPath+"/admin/role", url.Values{"role": {"viewer"}})
	if u, _ := st.users.User(ctx, "admin"); u.Role != auth.RoleAdmin {
		t.Fatal("the last admin was made a viewer")
	}
	status, _, page := adm.post(t, admin.TokensPath, url.Values{"label": {"sync"}, "role": {"viewer"}})
	secret := between(page, `data-testid="new-token-secret">`, "<")
	if status != http.StatusCreated || secret == "" {
		t.Fatalf("create token: status %d, secret %q", status, secret)
	}
	var who admin.Whoami
	if got := st.api(t, http.MethodGet, admin.APIPrefix+"/whoami", secret, "", "", &who); got != http.StatusOK || who.Role != auth.RoleViewer {
		t.Fatalf("new token: status %d, %+v", got, who)
	}
	if _, _, again := adm.get(t, admin.TokensPath); strings.Contains(again, secret) {
		t.Fatal("the token's secret was shown twice")
	}
	id := strings.TrimPrefix(who.Actor, "token:")
	adm.post(t, admin.TokensPath+"/"+id+"/revoke", nil)
	if got := st.api(t, http.MethodGet, admin.APIPrefix+"/whoami", secret, "", "", nil); got != http.StatusUnauthorized {
		t.Fatalf("revoked token: status %d, want 401", got)
	}
	entries, _, err := st.audit.List(ctx, audit.Filter{}, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	for _, want := range []string{"user.create", "token.create", "token.revoke"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("audit log %v lacks %s", actions, want)
		}
	}
}

// between returns the text of s after start up to the next end.
func between(s, start, end string) string {
	_, after, _ := strings.Cut(s, start)
	v, _, _ := strings.Cut(after, end)
	return v
}

// A console form larger than the body limit is refused before the CSRF
// check reads it: a forged token in an oversized form gets 413, not 403.
func TestAdminBodyLimitBeforeCSRF(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	adm := st.signIn(t, auth.RoleAdmin)
	big := url.Values{"_csrf": {"forged"}, "name": {"eve"}, "padding": {strings.Repeat("x", 100<<10)}}
	if status, _, _ := adm.post(t, admin.UsersPath, big); status != http.StatusRequestEntityTooLarge {
		t.Fatalf("100 KB form: status %d, want 413 before the CSRF check", status)
	}
}

// Changing a user's password ends the sessions signed in with the old one.
func TestAdminPasswordChangeEndsSessions(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	viewer := st.signIn(t, auth.RoleViewer)
	adm := st.signIn(t, auth.RoleAdmin)
	if status, _, _ := adm.post(t, admin.UsersPath+"/viewer/password", url.Values{"password": {"a brand new password"}}); status != http.StatusSeeOther {
		t.Fatalf("set password: status %d", status)
	}
	if status, loc, _ := viewer.get(t, admin.UsersPath); status != http.StatusSeeOther || !strings.HasPrefix(loc, admin.SignInPath) {
		t.Fatalf("old session after the password change: got %d to %q, want the sign-in page", status, loc)
	}
	if status, _, _ := adm.get(t, admin.UsersPath); status != http.StatusOK {
		t.Fatalf("the admin's own session ended: status %d", status)
	}
}
