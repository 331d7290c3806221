package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
)

func TestAdminListsAPIReads(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	st.addEntries(t, risk.DenyASN, risk.Entry{Value: "AS16509", Author: "ann"}, risk.Entry{Value: "AS1600", Author: "bob"}, risk.Entry{Value: "AS3320", Author: "ann"})
	token := st.token(t, auth.RoleViewer)

	var lists struct{ Lists []admin.ListSummary }
	if status := st.api(t, http.MethodGet, "/api/v1/admin/lists", token, "", "", &lists); status != http.StatusOK {
		t.Fatalf("got %d", status)
	}
	counts := map[string]int64{}
	for _, l := range lists.Lists {
		counts[l.Name] = l.Count
	}
	if len(lists.Lists) != 7 || counts["deny_asn"] != 3 || counts["deny_number"] != 1 || lists.Lists[0].Name != "deny_number" {
		t.Errorf("got %+v, want the 7 lists with deny_asn 3 and deny_number 1", lists.Lists)
	}

	var page admin.ListPage
	if status := st.api(t, http.MethodGet, "/api/v1/admin/lists/deny_asn?q=AS16&limit=1", token, "", "", &page); status != http.StatusOK {
		t.Fatalf("got %d", status)
	}
	if page.List != "deny_asn" || page.Total != 2 || len(page.Entries) != 1 || page.Entries[0].Value != "1600" || page.Next != "1600" {
		t.Errorf("got %+v, want 1600 of 2 with a cursor", page)
	}
	after := page.Next
	page = admin.ListPage{}
	st.api(t, http.MethodGet, "/api/v1/admin/lists/deny_asn?q=AS16&after="+after, token, "", "", &page)
	if len(page.Entries) != 1 || page.Entries[0].Value != "16509" || page.Next != "" {
		t.Errorf("second page: got %+v, want 16509 and no cursor", page)
	}
	st.api(t, http.MethodGet, "/api/v1/admin/lists/deny_asn?author=ANN", token, "", "", &page)
	if len(page.Entries) != 2 {
		t.Errorf("author filter: got %d entries, want 2", len(page.Entries))
	}

	var e respond.ErrorResponse
	if status := st.api(t, http.MethodGet, "/api/v1/admin/lists/nope", token, "", "", &e); status != http.StatusNotFound || !strings.Contains(e.Error.Message, "deny_number, deny_prefix, deny_ip") {
		t.Errorf("unknown list: got %d %+v, want 404 naming the lists", status, e)
	}
	for _, q := range []string{"limit=0", "status=soon"} {
		e = respond.ErrorResponse{}
		field, _, _ := strings.Cut(q, "=")
		if status := st.api(t, http.MethodGet, "/api/v1/admin/lists/deny_asn?"+q, token, "", "", &e); status != http.StatusUnprocessableEntity || e.Error.Field != field || e.Error.Code != respond.CodeInvalidFilter {
			t.Errorf("bad %s: got %d %+v, want 422 %s on %s", q, status, e, respond.CodeInvalidFilter, field)
		}
	}
}

func TestAdminListsAPIChanges(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	token := st.token(t, auth.RoleAdmin)

	var refused struct {
		Error   respond.ErrorBody
		Refused []admin.EntryRefusal
	}
	body := `{"entries":[{"value":"10.0.0.0/8","reason":"scan"},{"value":"10.0.0.0/4"},{"value":"192.0.2.1","expires":"tomorrow"},{"value":"10.0.0.1/8"}]}`
	if status := st.api(t, http.MethodPost, "/api/v1/admin/lists/deny_ip/entries", token, "application/json", body, &refused); status != http.StatusUnprocessableEntity {
		t.Fatalf("got %d, want 422", status)
	}
	if len(refused.Refused) != 3 || refused.Refused[0].Index != 1 || refused.Refused[1].Index != 2 || refused.Refused[2].Index != 3 ||
		!strings.Contains(refused.Refused[2].Message, "duplicate of entry 0") || refused.Error.Code != respond.CodeInvalidEntry {
		t.Errorf("got %+v, want entries 1, 2 and 3 refused", refused)
	}
	if got := st.listValues(t, risk.DenyIP); len(got) != 0 {
		t.Errorf("deny_ip holds %v after a refused add, want nothing", got)
	}

	var added struct{ Added []risk.Entry }
	body = `{"entries":[{"value":"10.0.0.0/8","reason":"scan"},{"value":"2001:db8::/48","expires":"2099-01-01T00:00:00Z"}]}`
	if status := st.api(t, http.MethodPost, "/api/v1/admin/lists/deny_ip/entries", token, "application/json", body, &added); status != http.StatusOK {
		t.Fatalf("got %d", status)
	}
	if len(added.Added) != 2 || !strings.HasPrefix(added.Added[0].Author, "token:") {
		t.Errorf("got %+v, want two entries by the token", added.Added)
	}

	var removed struct{ Removed risk.Entry }
	path := "/api/v1/admin/lists/deny_ip/entries?value=" + url.QueryEscape("10.0.0.0/8")
	if status := st.api(t, http.MethodDelete, path, token, "", "", &removed); status != http.StatusOK || removed.Removed.Reason != "scan" {
		t.Errorf("delete: got %d %+v", status, removed)
	}
	var e respond.ErrorResponse
	if status := st.api(t, http.MethodDelete, path, token, "", "", &e); status != http.StatusNotFound || e.Error.Message != "10.0.0.0/8 is not in deny_ip." {
		t.Errorf("second delete: got %d %+v, want 404", status, e)
	}
	if status := st.api(t, http.MethodDelete, "/api/v1/admin/lists/deny_ip/entries?value=nope", token, "", "", &e); status != http.StatusUnprocessableEntity || e.Error.Field != "value" {
		t.Errorf("invalid delete: got %d %+v, want 422 on value", status, e)
	}

	var rep admin.RefusedImport
	if status := st.api(t, http.MethodPost, "/api/v1/admin/lists/deny_country/import", token, "text/csv", "CU\nXX1\ncu\n", &rep); status != http.StatusUnprocessableEntity {
		t.Fatalf("import: got %d, want 422", status)
	}
	if rep.Error.Code != respond.CodeImportRefused || rep.Refused != 2 || rep.Lines[1].Line != 2 || rep.Lines[1].Status != "refused" || rep.Lines[2].Message != "CU is a duplicate of line 1" {
		t.Errorf("got %+v, want lines 2 and 3 refused", rep)
	}
	if status := st.api(t, http.MethodPost, "/api/v1/admin/lists/deny_country/import", token, "application/json", "{}", &e); status != http.StatusUnsupportedMediaType {
		t.Errorf("JSON import: got %d, want 415", status)
	}
	actions := map[string]int{}
	for _, a := range []string{"list.add", "list.remove", "list.import"} {
		actions[a] = len(st.auditActions(t, a))
	}
	if actions["list.add"] != 1 || actions["list.remove"] != 1 || actions["list.import"] != 0 {
		t.Errorf("got audit counts %v, want one add and one remove", actions)
	}
}

func TestAdminListsAPIImportLimits(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	token := st.token(t, auth.RoleAdmin)
	var e respond.ErrorResponse
	big := strings.Repeat("AS1\n", 11<<20/4)
	if status := st.api(t, http.MethodPost, "/api/v1/admin/lists/deny_asn/import", token, "text/csv", big, &e); status != http.StatusRequestEntityTooLarge || !strings.Contains(e.Error.Message, "10 MB") {
		t.Errorf("11 MB: got %d %+v, want 413 naming the limit", status, e)
	}
	var lines strings.Builder
	for i := range admin.MaxImportLines + 1 {
		lines.WriteString("AS" + strconv.Itoa(i+1) + "\n")
	}
	if status := st.api(t, http.MethodPost, "/api/v1/admin/lists/deny_asn/import", token, "text/csv", lines.String(), &e); status != http.StatusUnprocessableEntity || !strings.Contains(e.Error.Message, "more than 100000 lines") {
		t.Errorf("100,001 lines: got %d %+v, want 422 naming the limit", status, e)
	}
	if got := st.listValues(t, risk.DenyASN); len(got) != 0 {
		t.Errorf("deny_asn holds %d values, want none", len(got))
	}
}

// The list editors read the server's clock, as every other handler does.
func TestAdminListsUseTheServerClock(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	st.clockSkew.Store(int64(48 * time.Hour))
	token := st.token(t, auth.RoleAdmin)
	body := `{"entries":[{"value":"AS64500","expires":"` + time.Now().Add(24*time.Hour).UTC().Format(time.RFC3339) + `"}]}`
	if status := st.api(t, http.MethodPost, "/api/v1/admin/lists/deny_asn/entries", token, "application/json", body, nil); status != http.StatusUnprocessableEntity {
		t.Errorf("API add expiring before the server's now: got %d, want 422", status)
	}
	ac := st.signIn(t, auth.RoleAdmin)
	ac.get(t, "/admin/lists/deny_asn")
	ac.post(t, "/admin/lists/deny_asn/entries", url.Values{"value": {"AS64501"}, "expiry": {"1h"}})
	en, found, err := st.engine.ListStore().LookupEntry(context.Background(), risk.DenyASN, "AS64501")
	if want := time.Now().Add(49 * time.Hour); err != nil || !found || en.Expires.Before(want.Add(-time.Minute)) || en.Expires.After(want.Add(time.Minute)) {
		t.Errorf("form add expiring in 1h: got %+v, found %v, %v; want it to expire about %v", en, found, err, want)
	}
}
