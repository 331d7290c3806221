package handlers

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/auth"
)

// publicAdminRoutes need no session: the sign-in form and its submission.
// Signing out is checked by TestAdminSignOut.
var publicAdminRoutes = []string{"GET " + admin.SignInPath, "POST " + admin.SignInPath, "POST " + admin.SignOutPath}

var routeParam = regexp.MustCompile(`:[a-z_]+|\*`)

// TestAdminAuthorisationMatrix calls every console and admin API route as
// an anonymous caller, a viewer and an admin: anonymous callers are sent
// to sign in or refused, viewers may read and not change, admins may do
// both. Routes are read from the server, so a new route is covered.
func TestAdminAuthorisationMatrix(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	anon := st.newAdminClient(t)
	anon.get(t, admin.SignInPath) // for a CSRF token
	viewer := st.signIn(t, auth.RoleViewer)
	adm := st.signIn(t, auth.RoleAdmin)
	viewerToken, adminToken := st.token(t, auth.RoleViewer), st.token(t, auth.RoleAdmin)

	var n int
	for _, r := range st.echo.Routes() {
		console := r.Path == admin.Prefix || strings.HasPrefix(r.Path, admin.Prefix+"/")
		api := strings.HasPrefix(r.Path, admin.APIPrefix+"/")
		if !console && !api || r.Method == echoRouteNotFound {
			continue
		}
		route := r.Method + " " + r.Path
		if slices.Contains(publicAdminRoutes, route) {
			continue
		}
		n++
		path := routeParam.ReplaceAllString(r.Path, "x")
		read := r.Method == http.MethodGet || r.Method == http.MethodHead
		t.Run(route, func(t *testing.T) {
			if console {
				checkConsoleRoute(t, r.Method, path, read, anon, viewer, adm)
				return
			}
			checkAPIRoute(t, st, r.Method, path, read, viewerToken, adminToken)
		})
	}
	if n < 10 {
		t.Fatalf("only %d admin routes found; the route table was not read", n)
	}
}

// echoRouteNotFound is the method echo lists for its catch-all routes.
const echoRouteNotFound = "echo_route_not_found"

func checkConsoleRoute(t *testing.T, method, path string, read bool, anon, viewer, adm *adminClient) {
	t.Helper()
	call := func(ac *adminClient) (int, string) {
		if method == http.MethodGet {
			status, loc, _ := ac.get(t, path)
			return status, loc
		}
		req, _ := http.NewRequest(method, ac.st.url+path, strings.NewReader(url.Values{"_csrf": {ac.csrf}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "text/html")
		status, loc, _ := ac.do(t, req)
		return status, loc
	}
	status, loc := call(anon)
	if read {
		if status != http.StatusSeeOther || !strings.HasPrefix(loc, admin.SignInPath) {
			t.Errorf("anonymous: got %d to %q, want 303 to the sign-in page", status, loc)
		}
	} else if status != http.StatusUnauthorized {
		t.Errorf("anonymous: got %d, want 401", status)
	}
	status, _ = call(viewer)
	if read && (status == http.StatusUnauthorized || status == http.StatusForbidden || status >= 500) {
		t.Errorf("viewer reading: got %d, want it served", status)
	}
	if !read && status != http.StatusForbidden {
		t.Errorf("viewer changing: got %d, want 403", status)
	}
	status, _ = call(adm)
	if status == http.StatusUnauthorized || status == http.StatusForbidden || status >= 500 {
		t.Errorf("admin: got %d, want it served", status)
	}
}

func checkAPIRoute(t *testing.T, st *stack, method, path string, read bool, viewerToken, adminToken string) {
	t.Helper()
	if got := st.api(t, method, path, "", "application/json", "{}", nil); got != http.StatusUnauthorized {
		t.Errorf("no token: got %d, want 401", got)
	}
	if got := st.api(t, method, path, "tgk_notatoken", "application/json", "{}", nil); got != http.StatusUnauthorized {
		t.Errorf("unknown token: got %d, want 401", got)
	}
	got := st.api(t, method, path, viewerToken, "application/json", "{}", nil)
	if read && (got == http.StatusUnauthorized || got == http.StatusForbidden || got >= 500) {
		t.Errorf("viewer token reading: got %d, want it served", got)
	}
	if !read && got != http.StatusForbidden {
		t.Errorf("viewer token changing: got %d, want 403", got)
	}
	if got := st.api(t, method, path, adminToken, "application/json", "{}", nil); got == http.StatusUnauthorized || got == http.StatusForbidden || got >= 500 {
		t.Errorf("admin token: got %d, want it served", got)
	}
}
