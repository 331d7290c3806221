package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/risk"
)

// postFile submits the import form with a file and pasted text.
func (ac *adminClient) postFile(t *testing.T, path, fileName, file, text string) (int, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("_csrf", ac.csrf)
	_ = w.WriteField("text", text)
	if fileName != "" {
		fw, _ := w.CreateFormFile("file", fileName)
		_, _ = io.WriteString(fw, file)
	}
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, ac.st.url+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Accept", "text/html")
	status, _, page := ac.do(t, req)
	return status, page
}

// listValues returns every value of list l, in order.
func (st *stack) listValues(t *testing.T, l risk.List) []string {
	t.Helper()
	p, err := st.engine.ListStore().ListEntries(context.Background(), l, risk.ListQuery{Limit: risk.MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range p.Entries {
		out = append(out, e.Value)
	}
	return out
}

func TestAdminListImportRefusesEverythingOnOneBadLine(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	ac := st.signIn(t, auth.RoleAdmin)
	if status, _, body := ac.get(t, "/admin/lists/deny_ip/import"); status != http.StatusOK || !strings.Contains(body, `data-testid="import-form"`) {
		t.Fatalf("import form: got %d", status)
	}
	text := "value,reason,expires\n10.0.0.0/8,scan,\nnot-an-ip,typo,\n192.0.2.1,,2001-01-01T00:00:00Z\n10.0.0.0/8,again,\n198.51.100.0/24,ok,2099-01-01T00:00:00Z\n"
	status, body := ac.postFile(t, "/admin/lists/deny_ip/import", "", "", text)
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("got %d, want 422", status)
	}
	for _, want := range []string{
		`data-testid="line-2"`, `not-an-ip&#34; is not an IP address`, "has passed", "10.0.0.0/8 is a duplicate of line 2",
		"2 lines accepted, 3 refused.", "nothing added",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if !strings.Contains(body, "not-an-ip,typo") {
		t.Error("the pasted text is not kept for correction")
	}
	if got := st.listValues(t, risk.DenyIP); len(got) != 0 {
		t.Errorf("deny_ip holds %v, want nothing applied", got)
	}
	if got := st.auditActions(t, "list.import"); len(got) != 0 {
		t.Errorf("got %d import audit entries, want none", len(got))
	}
	if status, body := ac.postFile(t, "/admin/lists/deny_ip/import", "", "", "  \n"); status != http.StatusUnprocessableEntity || !strings.Contains(body, "nothing to import") {
		t.Errorf("empty import: got %d", status)
	}
}

func TestAdminListImportAppliesAFile(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	ac := st.signIn(t, auth.RoleAdmin)
	ac.get(t, "/admin/lists/deny_number/import")
	file := "\ufeffvalue,reason,expires\n'+442079460000,IRSF wave,2099-01-01T00:00:00Z\n+1 201 555 0199,,\n"
	status, body := ac.postFile(t, "/admin/lists/deny_number/import", "numbers.csv", file, "ignored when a file is sent")
	if status != http.StatusOK || !strings.Contains(body, "2 added") {
		t.Fatalf("got %d, body %s", status, body)
	}
	en, found, _ := st.engine.ListStore().LookupEntry(context.Background(), risk.DenyNumber, "+442079460000")
	if !found || en.Author != "admin" || en.Reason != "IRSF wave" || !en.Expires.Equal(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("got %+v, want the imported entry by admin", en)
	}
	got := st.auditActions(t, "list.import")
	if len(got) != 1 || got[0].Target != "deny_number" {
		t.Fatalf("got audit %+v, want one list.import of deny_number", got)
	}
	var after struct {
		Count  int      `json:"count"`
		Values []string `json:"values"`
	}
	if err := json.Unmarshal(got[0].After, &after); err != nil || after.Count != 2 || after.Values[1] != "+12015550199" {
		t.Errorf("got audit after %s, want count 2 and the values", got[0].After)
	}
	ac.get(t, "/admin/lists/allow_number/import")
	if status, body := ac.postFile(t, "/admin/lists/allow_number/import", "", "", "+12015550100\n+12015550101\n"); status != http.StatusOK || !strings.Contains(body, "2 added") {
		t.Errorf("bare paste: got %d", status)
	}
}

func TestAdminListExportNeutralisesAndRoundTrips(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	exp := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	st.addEntries(t, risk.DenyNumber,
		risk.Entry{Value: "+442079460000", Reason: `=HYPERLINK("http://evil.example")`, Author: "ann", Expires: exp},
		risk.Entry{Value: "+12015550199", Reason: "-2+3, with a comma", Author: "bob"},
	)
	token := st.token(t, auth.RoleAdmin)
	req, _ := http.NewRequest(http.MethodGet, st.url+"/api/v1/admin/lists/deny_number/export.csv", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csv := string(b)
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="deny_number.csv"` {
		t.Errorf("got Content-Disposition %q", cd)
	}
	for _, want := range []string{"value,reason,author,created,expires\n", `'+442079460000,"'=HYPERLINK(""http://evil.example"")",ann,`, `"'-2+3, with a comma"`} {
		if !strings.Contains(csv, want) {
			t.Errorf("export lacks %q:\n%s", want, csv)
		}
	}
	before, _ := st.engine.ListStore().ListEntries(context.Background(), risk.DenyNumber, risk.ListQuery{})

	for _, v := range st.listValues(t, risk.DenyNumber) {
		if err := st.engine.ListStore().RemoveEntry(context.Background(), risk.DenyNumber, v); err != nil {
			t.Fatal(err)
		}
	}
	var rep admin.ImportReport
	if status := st.api(t, http.MethodPost, "/api/v1/admin/lists/deny_number/import", token, "text/csv", csv, &rep); status != http.StatusOK || !rep.Applied {
		t.Fatalf("re-import: got %d %+v", status, rep)
	}
	after, _ := st.engine.ListStore().ListEntries(context.Background(), risk.DenyNumber, risk.ListQuery{})
	if len(after.Entries) != len(before.Entries) || len(after.Entries) != 3 {
		t.Fatalf("got %d entries back, want %d", len(after.Entries), len(before.Entries))
	}
	for i, b := range before.Entries {
		a := after.Entries[i]
		if a.Value != b.Value || a.Reason != b.Reason || !a.Expires.Equal(b.Expires) {
			t.Errorf("entry %d: got %+v, want %+v", i, a, b)
		}
	}
	viewer := st.signIn(t, auth.RoleViewer)
	status, _, page := viewer.get(t, "/admin/lists/deny_number/export.csv")
	if status != http.StatusOK || !strings.HasPrefix(page, "value,reason,author,created,expires\n") {
		t.Errorf("console export: got %d %q", status, page)
	}
}
