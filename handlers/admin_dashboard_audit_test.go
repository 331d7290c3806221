package handlers

import (
	"encoding/csv"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/audit"
	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/handlers/respond"
)

// seedAudit writes n list.add entries by ann, then a settings change by
// bob and an entry whose cells a spreadsheet would run as formulas.
func seedAudit(t *testing.T, st *stack, n int) {
	t.Helper()
	rec := func(actor, action, target string, before, after any) {
		if err := st.audit.Record(t.Context(), actor, "192.0.2.10", action, target, before, after); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		rec("ann", "list.add", fmt.Sprintf("deny_number +4477009%05d", i), nil, map[string]int{"i": i})
	}
	rec("bob", "settings.save", "settings",
		map[string]any{"spend": map[string]any{"daily_budget": 100, "default_cost": 10}},
		map[string]any{"spend": map[string]any{"daily_budget": 500, "default_cost": 10}})
	rec("@evil", "list.add", `=HYPERLINK("http://x.example")`, nil, nil)
}

// olderLink returns the page's link to older entries, "" when none.
func olderLink(body string) string {
	m := regexp.MustCompile(`href="([^"]*)" data-testid="audit-older"`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func TestAuditPageFiltersAndPages(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	seedAudit(t, st, 60)
	viewer := st.signIn(t, auth.RoleViewer)

	status, _, body := viewer.get(t, admin.AuditPath+"?action=list.&actor=ann")
	if status != http.StatusOK {
		t.Fatalf("first page: got %d, want 200", status)
	}
	if got, want := strings.Count(body, `data-testid="audit-row"`), admin.AuditPageSize; got != want {
		t.Errorf("first page rows: got %d, want %d", got, want)
	}
	if !strings.Contains(body, "deny_number +447700900059") || strings.Contains(body, "deny_number +447700900009<") {
		t.Error("first page: want the newest entries first")
	}
	next := olderLink(body)
	if !strings.Contains(next, "actor=ann") || !strings.Contains(next, "before=") {
		t.Fatalf("older link %q: want the filter and a cursor", next)
	}
	_, _, body = viewer.get(t, next)
	if got, want := strings.Count(body, `data-testid="audit-row"`), 10; got != want {
		t.Errorf("second page rows: got %d, want %d", got, want)
	}
	if olderLink(body) != "" || !strings.Contains(body, `data-testid="audit-newest"`) {
		t.Error("second page: want a link to the newest and none to older entries")
	}

	_, _, body = viewer.get(t, admin.AuditPath+"?target=HYPERLINK")
	if got, want := strings.Count(body, `data-testid="audit-row"`), 1; got != want {
		t.Errorf("target filter rows: got %d, want %d", got, want)
	}
	status, _, body = viewer.get(t, admin.AuditPath+"?from=yesterday")
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="audit-error"`) {
		t.Errorf("bad from: got %d, want 422 with the message on the page", status)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	_, _, body = viewer.get(t, admin.AuditPath+"?action=settings.&from="+today+"&to="+today)
	if got, want := strings.Count(body, `data-testid="audit-row"`), 1; got != want {
		t.Errorf("today's settings changes: got %d, want %d", got, want)
	}
}

func TestAuditEntryPage(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	seedAudit(t, st, 1)
	entries, _, err := st.audit.List(t.Context(), audit.Filter{Action: "settings."}, "", 1)
	if err != nil || len(entries) != 1 {
		t.Fatalf("List: %v %v", entries, err)
	}
	viewer := st.signIn(t, auth.RoleViewer)
	status, _, body := viewer.get(t, admin.AuditPath+"/"+entries[0].ID)
	if status != http.StatusOK {
		t.Fatalf("entry page: got %d, want 200", status)
	}
	if got, want := strings.Count(body, `data-testid="audit-changed"`), 1; got != want {
		t.Errorf("changed fields: got %d, want %d", got, want)
	}
	if !strings.Contains(body, "spend.daily_budget") || !strings.Contains(body, `data-testid="audit-before"`) || !strings.Contains(body, `data-testid="audit-after"`) {
		t.Error("entry page: want the field diff and both states")
	}
	if status, _, _ := viewer.get(t, admin.AuditPath+"/1-1"); status != http.StatusNotFound {
		t.Errorf("unknown entry: got %d, want 404", status)
	}
}

func TestAuditExport(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	seedAudit(t, st, 3)
	viewer := st.signIn(t, auth.RoleViewer)
	status, _, body := viewer.get(t, admin.AuditPath+"/export.csv?action=list.")
	if status != http.StatusOK {
		t.Fatalf("export: got %d, want 200", status)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(rows[0], ","), "id,time,actor,ip,action,target,before,after"; got != want {
		t.Errorf("header: got %q, want %q", got, want)
	}
	if got, want := len(rows), 1+4; got != want {
		t.Fatalf("rows: got %d, want %d (header and the list changes)", got, want)
	}
	if got, want := rows[1][2], "'@evil"; got != want {
		t.Errorf("actor cell: got %q, want %q", got, want)
	}
	if got, want := rows[1][5], `'=HYPERLINK("http://x.example")`; got != want {
		t.Errorf("target cell: got %q, want %q", got, want)
	}
	if got, want := rows[2][7], `{"i":2}`; got != want {
		t.Errorf("after cell: got %q, want %q", got, want)
	}

	token := st.token(t, auth.RoleViewer)
	var e respond.ErrorResponse
	if status := st.api(t, http.MethodGet, admin.APIPrefix+"/audit/export.csv?to=soon", token, "", "", &e); status != http.StatusUnprocessableEntity || e.Error.Field != "to" {
		t.Errorf("API export with a bad to: got %d %+v, want 422 on field to", status, e)
	}
}

func TestAPIAudit(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	seedAudit(t, st, 3)
	token := st.token(t, auth.RoleViewer)
	var seen []string
	path := admin.APIPrefix + "/audit?actor=ann&limit=2"
	for range 5 {
		var page admin.AuditPage
		if status := st.api(t, http.MethodGet, path, token, "", "", &page); status != http.StatusOK {
			t.Fatalf("%s: got %d, want 200", path, status)
		}
		for _, e := range page.Entries {
			seen = append(seen, e.Target)
		}
		if page.Next == "" {
			break
		}
		path = admin.APIPrefix + "/audit?actor=ann&limit=2&before=" + page.Next
	}
	if got, want := strings.Join(seen, "|"), "deny_number +447700900002|deny_number +447700900001|deny_number +447700900000"; got != want {
		t.Errorf("entries: got %q, want %q", got, want)
	}
	for _, q := range []string{"limit=0", "limit=501", "before=nope", "from=2031-02-30"} {
		var e respond.ErrorResponse
		if status := st.api(t, http.MethodGet, admin.APIPrefix+"/audit?"+q, token, "", "", &e); status != http.StatusUnprocessableEntity || e.Error.Code != respond.CodeInvalidFilter {
			t.Errorf("%s: got %d %+v, want 422 invalid_filter", q, status, e)
		}
	}
}
