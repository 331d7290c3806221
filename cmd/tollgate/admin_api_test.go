package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The admin the end-to-end tests sign in as, created at start from
// TOLLGATE_ADMIN_USER and TOLLGATE_ADMIN_PASSWORD.
const (
	testAdminUser     = "tester"
	testAdminPassword = "correct horse battery staple"
)

// adminAPI reads a running server's admin JSON API with a viewer token.
type adminAPI struct {
	base, token string
}

// startTollgateAdmin is startTollgate with the test admin, and a client of
// the admin API holding a token the test admin made.
func startTollgateAdmin(t *testing.T, env ...string) (string, *syncBuffer, *adminAPI) {
	t.Helper()
	base, logs := startTollgate(t, append([]string{"TOLLGATE_ADMIN_USER=" + testAdminUser, "TOLLGATE_ADMIN_PASSWORD=" + testAdminPassword}, env...)...)
	return base, logs, newAdminAPI(t, base)
}

// newTokenSecret finds a just-created token's secret on the tokens page.
var newTokenSecret = regexp.MustCompile(`data-testid="new-token-secret">([^<]+)<`)

// newAdminAPI signs the test admin in to the console of the server at base,
// as a browser on the same origin, and makes a viewer token there.
func newAdminAPI(t *testing.T, base string) *adminAPI { return newAdminAPIAs(t, base, "viewer") }

// newAdminAPIAs is newAdminAPI with a token of role.
func newAdminAPIAs(t *testing.T, base, role string) *adminAPI {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values, cookies []*http.Cookie) (*http.Response, string) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, _ := post("/admin/sign-in", url.Values{"name": {testAdminUser}, "password": {testAdminPassword}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("test admin's sign-in: got %d, want 303", resp.StatusCode)
	}
	resp, body := post("/admin/tokens", url.Values{"label": {"end-to-end test " + role}, "role": {role}}, resp.Cookies())
	m := newTokenSecret.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusCreated || m == nil {
		t.Fatalf("creating an admin API token: got %d and no secret, want 201 with one:\n%s", resp.StatusCode, body)
	}
	return &adminAPI{base: base, token: m[1]}
}

// get reads the admin API's path as JSON into out.
func (a *adminAPI) get(ctx context.Context, path string, out any) error {
	status, body, err := fetchText(ctx, a.base+path, a.token)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("GET %s: status %d: %s", path, status, body)
	}
	return json.Unmarshal([]byte(body), out)
}

// adminDecision is what the tests read of a decision from
// GET /api/v1/admin/decisions?calls=true.
type adminDecision struct {
	Decision struct {
		ID        string `json:"id"`
		Action    string `json:"action"`
		IPCountry string `json:"ip_country"`
		Reasons   []struct {
			Code string `json:"code"`
		} `json:"reasons"`
	} `json:"decision"`
	// Call is an allowed decision's call; State is empty for the others.
	Call struct {
		State, LastError string
		Attempts         int
	} `json:"call"`
}

// codes are the decision's reason codes.
func (d adminDecision) codes() []string {
	var out []string
	for _, r := range d.Decision.Reasons {
		out = append(out, r.Code)
	}
	return out
}

// decision reads decision id, with its call, from the decision log.
func (a *adminAPI) decision(ctx context.Context, id string) (adminDecision, error) {
	before := ""
	for {
		var page struct {
			Decisions []adminDecision `json:"decisions"`
			Next      string          `json:"next"`
		}
		if err := a.get(ctx, "/api/v1/admin/decisions?calls=true&before="+url.QueryEscape(before), &page); err != nil {
			return adminDecision{}, err
		}
		for _, d := range page.Decisions {
			if d.Decision.ID == id {
				return d, nil
			}
		}
		if page.Next == "" {
			return adminDecision{}, fmt.Errorf("decision %s is not in the decision log", id)
		}
		before = page.Next
	}
}

// waitDecision waits until decision id is in the decision log and, unless
// holds is nil, holds is true of it, described by what; it returns the
// decision.
func (a *adminAPI) waitDecision(t *testing.T, id, what string, holds func(adminDecision) bool) adminDecision {
	t.Helper()
	read := func(ctx context.Context) (adminDecision, error) { return a.decision(ctx, id) }
	return waitUntil(t, "decision "+id+" "+what, read, holds)
}

// Call states the tests look for.
const (
	callPlaced = "placed"
	callEnded  = "ended"
	callDead   = "dead"
)

// callSettled is true of a decision whose call was placed, ended or given
// up, and of one that has no call: not allow.
func callSettled(d adminDecision) bool {
	return d.Decision.Action != "allow" || slices.Contains([]string{callPlaced, callEnded, callDead}, d.Call.State)
}

// dialled reports whether the decision's call was placed.
func (d adminDecision) dialled() bool { return d.Call.State == callPlaced || d.Call.State == callEnded }
