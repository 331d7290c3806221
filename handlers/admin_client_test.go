package handlers

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/auth"
)

// testPassword is every test user's password.
const testPassword = "correct horse battery"

// adminClient is a browser-like client of the console: it keeps cookies,
// does not follow redirects and posts the CSRF token it last saw.
type adminClient struct {
	st   *stack
	http *http.Client
	csrf string
}

// newAdminClient returns a client with no session.
func (st *stack) newAdminClient(t testing.TB) *adminClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &adminClient{st: st, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// signIn creates a user named after role, unless it exists, and returns a
// client signed in as it.
func (st *stack) signIn(t testing.TB, role auth.Role) *adminClient {
	t.Helper()
	name := string(role)
	if _, err := st.users.CreateUser(context.Background(), name, testPassword, role); err != nil && err != auth.ErrUserExists {
		t.Fatal(err)
	}
	ac := st.newAdminClient(t)
	status, _, _ := ac.get(t, admin.SignInPath)
	if status != http.StatusOK {
		t.Fatalf("sign-in page: status %d", status)
	}
	status, loc, body := ac.post(t, admin.SignInPath, url.Values{"name": {name}, "password": {testPassword}})
	if status != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d, body %s", name, status, body)
	}
	if loc != admin.Home {
		t.Fatalf("sign in as %s: went to %q, want %q", name, loc, admin.Home)
	}
	// Like a browser, follow the redirect: the signed-in session's pages
	// carry its own CSRF token.
	if status, _, body := ac.get(t, loc); status != http.StatusOK {
		t.Fatalf("home after sign-in as %s: status %d, body %s", name, status, body)
	}
	return ac
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

// do sends a request and returns the status, the Location header and the
// body, remembering the page's CSRF token.
func (ac *adminClient) do(t testing.TB, req *http.Request) (int, string, string) {
	t.Helper()
	resp, err := ac.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindSubmatch(b); m != nil {
		ac.csrf = string(m[1])
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// get fetches a console path as a browser page.
func (ac *adminClient) get(t testing.TB, path string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ac.st.url+path, nil)
	req.Header.Set("Accept", "text/html")
	return ac.do(t, req)
}

// post submits a console form with the CSRF token.
func (ac *adminClient) post(t testing.TB, path string, form url.Values) (int, string, string) {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("_csrf") == "" {
		form.Set("_csrf", ac.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, ac.st.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	return ac.do(t, req)
}

// token creates an API token with role, made by the user named after
// role (created unless it exists), and returns its secret.
func (st *stack) token(t testing.TB, role auth.Role) string {
	t.Helper()
	ctx := context.Background()
	if _, err := st.users.CreateUser(ctx, string(role), testPassword, role); err != nil && err != auth.ErrUserExists {
		t.Fatal(err)
	}
	secret, _, err := st.users.CreateToken(ctx, auth.NewToken{Label: "test " + string(role), Role: role, CreatedBy: string(role)})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// api calls the admin JSON API with a bearer token ("" for none) and
// decodes the answer into out unless it is nil. body is sent as is with
// contentType.
func (st *stack) api(t testing.TB, method, path, token, contentType, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, st.url+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: answer %s: %v", method, path, b, err)
		}
	}
	return resp.StatusCode
}
