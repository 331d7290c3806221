package handlers

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/audit"
	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/risk"
)

var entryRow = regexp.MustCompile(`data-testid="entry-([^"]+)"`)

// rowValues returns the values of the entry rows of a lists page, in order.
func rowValues(body string) []string {
	var out []string
	for _, m := range entryRow.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

// addEntries adds entries to l directly in the engine.
func (st *stack) addEntries(t *testing.T, l risk.List, entries ...risk.Entry) {
	t.Helper()
	if _, err := st.engine.ListStore().AddEntries(context.Background(), l, entries); err != nil {
		t.Fatal(err)
	}
}

// auditActions returns the audit log's entries with action, newest first.
func (st *stack) auditActions(t *testing.T, action string) []audit.Entry {
	t.Helper()
	entries, _, err := st.audit.List(context.Background(), audit.Filter{Action: action}, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func TestAdminListsPageForViewersAndAdmins(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	viewer := st.signIn(t, auth.RoleViewer)
	status, loc, _ := viewer.get(t, admin.ListsPath)
	if status != http.StatusSeeOther || loc != "/admin/lists/deny_number" {
		t.Fatalf("lists home: got %d to %q, want 303 to /admin/lists/deny_number", status, loc)
	}
	status, _, body := viewer.get(t, loc)
	if status != http.StatusOK {
		t.Fatalf("got status %d", status)
	}
	if got := rowValues(body); len(got) != 1 || got[0] != "+12015550166" {
		t.Errorf("got rows %v, want the stack's +12015550166", got)
	}
	for _, want := range []string{`data-testid="tab-allow_ip"`, `aria-current="page"`, `data-testid="export-link"`, "fraud"} {
		if !strings.Contains(body, want) {
			t.Errorf("viewer page lacks %s", want)
		}
	}
	for _, hidden := range []string{`data-testid="add-entry"`, `data-testid="remove-`, `data-testid="import-link"`} {
		if strings.Contains(body, hidden) {
			t.Errorf("viewer page shows %s", hidden)
		}
	}
	adm := st.signIn(t, auth.RoleAdmin)
	_, _, body = adm.get(t, loc)
	for _, want := range []string{`data-testid="add-entry"`, `data-testid="remove-+12015550166"`, `data-testid="import-link"`} {
		if !strings.Contains(body, want) {
			t.Errorf("admin page lacks %s", want)
		}
	}
	_, _, body = adm.get(t, "/admin/lists/deny_asn")
	if !strings.Contains(body, `data-testid="list-empty"`) || !strings.Contains(body, "This list is empty.") {
		t.Error("an empty list does not say so")
	}
	status, _, body = adm.get(t, "/admin/lists/deny_numbers")
	if status != http.StatusNotFound || !strings.Contains(body, "deny_number, deny_prefix") {
		t.Errorf("unknown list: got %d, want 404 naming the lists", status)
	}
}

func TestAdminListsFilterAndPagination(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	var entries []risk.Entry
	for i := range 45 {
		author := "ann"
		if i%3 == 0 {
			author = "bob"
		}
		entries = append(entries, risk.Entry{Value: fmt.Sprintf("+88%03d", i), Author: author, Reason: fmt.Sprintf("wave %d", i%5)})
	}
	entries = append(entries, risk.Entry{Value: "+99", Author: "cy", Expires: time.Now().Add(-time.Hour)})
	st.addEntries(t, risk.DenyPrefix, entries...)
	ac := st.signIn(t, auth.RoleViewer)

	var all []string
	path := "/admin/lists/deny_prefix?limit=20"
	for pages := 0; path != ""; pages++ {
		status, _, body := ac.get(t, path)
		if status != http.StatusOK {
			t.Fatalf("%s: got %d", path, status)
		}
		rows := rowValues(body)
		all = append(all, rows...)
		if pages > 0 && !strings.Contains(body, `data-testid="first-page"`) {
			t.Errorf("page %d has no link to the first page", pages+1)
		}
		path = ""
		if m := regexp.MustCompile(`href="([^"]+)" data-testid="next-page"`).FindStringSubmatch(body); m != nil {
			path = html.UnescapeString(m[1])
			if len(rows) != 20 {
				t.Errorf("page %d: got %d rows, want 20", pages+1, len(rows))
			}
		}
		if pages > 5 {
			t.Fatal("the pager does not end")
		}
	}
	if len(all) != 46 || all[0] != "+88000" || all[45] != "+99" {
		t.Errorf("paging gave %d rows from %v to %v, want 46 from +88000 to +99", len(all), all[0], all[len(all)-1])
	}
	_, _, body := ac.get(t, "/admin/lists/deny_prefix?limit=20&after="+url.QueryEscape(all[39]))
	m := regexp.MustCompile(`href="([^"]+)" data-testid="prev-page"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("the third page has no link to the previous one")
	}
	if _, _, body = ac.get(t, html.UnescapeString(m[1])); !slices.Equal(rowValues(body), all[20:40]) {
		t.Errorf("previous page: got %v, want %v", rowValues(body), all[20:40])
	}

	tests := []struct {
		query string
		want  int
	}{
		{"q=%2B88+01", 10},
		{"q=8801", 10},
		{"author=bob", 15},
		{"reason=wave+4", 9},
		{"status=expired", 1},
		{"author=bob&q=%2B8800", 4},
	}
	for _, tt := range tests {
		status, _, body := ac.get(t, "/admin/lists/deny_prefix?limit=100&"+tt.query)
		if got := len(rowValues(body)); status != http.StatusOK || got != tt.want {
			t.Errorf("%s: got %d with %d rows, want 200 with %d", tt.query, status, got, tt.want)
		}
	}
	_, _, body = ac.get(t, "/admin/lists/deny_prefix?status=expired")
	if !strings.Contains(body, `badge badge-block">expired`) {
		t.Error("the expired entry has no expired badge")
	}
	_, _, body = ac.get(t, "/admin/lists/deny_prefix?author=nobody")
	if !strings.Contains(body, "No entry matches these filters.") {
		t.Error("a filter with no match does not say so")
	}
	if status, _, _ := ac.get(t, "/admin/lists/deny_prefix?status=soon"); status != http.StatusUnprocessableEntity {
		t.Errorf("unknown status: got %d, want 422", status)
	}
}

func TestAdminListsAddAndRemove(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	ac := st.signIn(t, auth.RoleAdmin)
	ac.get(t, "/admin/lists/deny_ip")
	status, loc, _ := ac.post(t, "/admin/lists/deny_ip/entries", url.Values{"value": {"10.1.2.3/16"}, "reason": {"office scan"}, "expiry": {"7d"}})
	if status != http.StatusSeeOther || loc != "/admin/lists/deny_ip" {
		t.Fatalf("add: got %d to %q", status, loc)
	}
	_, _, body := ac.get(t, loc)
	if !strings.Contains(body, "10.1.0.0/16 added to deny_ip.") {
		t.Error("no flash after adding")
	}
	en, found, err := st.engine.ListStore().LookupEntry(context.Background(), risk.DenyIP, "10.1.0.0/16")
	if err != nil || !found || en.Author != "admin" || en.Reason != "office scan" {
		t.Fatalf("got %+v found %v err %v, want admin's entry", en, found, err)
	}
	if d := time.Until(en.Expires); d < 6*24*time.Hour || d > 7*24*time.Hour {
		t.Errorf("got expiry in %v, want 7 days", d)
	}
	if got := st.auditActions(t, "list.add"); len(got) != 1 || got[0].Target != "deny_ip 10.1.0.0/16" || got[0].Actor != "admin" {
		t.Errorf("got audit %+v, want one list.add of deny_ip 10.1.0.0/16 by admin", got)
	}

	for _, bad := range []url.Values{
		{"value": {"10.1"}},
		{"value": {"10.9.0.0/16"}, "expiry": {"date"}, "expires_on": {"2001-01-01"}},
		{"value": {"10.9.0.0/16"}, "reason": {strings.Repeat("x", 201)}},
	} {
		ac.get(t, "/admin/lists/deny_ip")
		status, _, _ := ac.post(t, "/admin/lists/deny_ip/entries", bad)
		_, _, body := ac.get(t, "/admin/lists/deny_ip")
		if status != http.StatusSeeOther || !strings.Contains(body, "flash-error") {
			t.Errorf("%v: got %d and no error flash", bad, status)
		}
	}

	status, _, _ = ac.post(t, "/admin/lists/deny_ip/remove", url.Values{"value": {"10.1.0.0/16"}})
	_, _, body = ac.get(t, "/admin/lists/deny_ip")
	if status != http.StatusSeeOther || !strings.Contains(body, "10.1.0.0/16 removed from deny_ip.") || len(rowValues(body)) != 0 {
		t.Errorf("remove: got %d, rows %v", status, rowValues(body))
	}
	if got := st.auditActions(t, "list.remove"); len(got) != 1 || len(got[0].Before) == 0 || got[0].After != nil {
		t.Errorf("got audit %+v, want one list.remove with the entry before", got)
	}
	ac.post(t, "/admin/lists/deny_ip/remove", url.Values{"value": {"10.1.0.0/16"}})
	if _, _, body = ac.get(t, "/admin/lists/deny_ip"); !strings.Contains(body, "10.1.0.0/16 is not in deny_ip.") {
		t.Error("removing an unlisted value does not say so")
	}
}
