package handlers

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/auth"
)

// TestAdminIVRReport screens callers through the challenge API and reads
// the counts back from the report.
func TestAdminIVRReport(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	contacts := make(map[string]string) // challenge id -> its contact
	screen := func(caller, contact string) map[string]any {
		t.Helper()
		_, got, _ := st.postJSON(t, "/api/v1/challenges", `{"caller":"`+caller+`","flow":"support","contact_id":"`+contact+`"}`, testFlowKey)
		if id, ok := got["challenge_id"].(string); ok {
			contacts[id] = contact
		}
		return got
	}
	verify := func(id, digits string) {
		t.Helper()
		st.postJSON(t, "/api/v1/challenges/"+id+"/verify", `{"digits":"`+digits+`","contact_id":"`+contacts[id]+`"}`, testFlowKey)
	}
	want := admin.IVRReport{Day: time.Now().UTC().Format("2006-01-02"), Flow: "support"}
	pass := screen("+12015550120", "c1")
	verify(pass["challenge_id"].(string), pass["code"].(string))
	fail := screen("+12015550121", "c2")
	for range 3 {
		verify(fail["challenge_id"].(string), "0000")
	}
	denied := screen("+12015550166", "c3")
	if pass["verdict"] != "challenge" || fail["verdict"] != "challenge" || denied["verdict"] != "block" {
		t.Fatalf("verdicts %v %v %v, want challenge, challenge, block", pass["verdict"], fail["verdict"], denied["verdict"])
	}
	want.Screened, want.Challenged, want.Passed, want.Failed, want.Disconnected = 3, 2, 1, 1, 1

	token := st.token(t, auth.RoleViewer)
	var out struct {
		Days  int               `json:"days"`
		Rows  []admin.IVRReport `json:"rows"`
		Total admin.IVRReport   `json:"total"`
	}
	if status := st.api(t, http.MethodGet, "/api/v1/admin/ivr?days=7", token, "", "", &out); status != http.StatusOK {
		t.Fatalf("report: %d", status)
	}
	total := want
	total.Day, total.Flow = "", ""
	if out.Days != 7 || len(out.Rows) != 1 || out.Rows[0] != want || out.Total != total {
		t.Errorf("report = %+v, want one row %+v", out, want)
	}
	if status := st.api(t, http.MethodGet, "/api/v1/admin/ivr?days=30", token, "", "", nil); status != http.StatusUnprocessableEntity {
		t.Errorf("days=30: %d, want 422", status)
	}

	viewer := st.signIn(t, auth.RoleViewer)
	status, _, body := viewer.get(t, "/admin/ivr")
	row := `data-testid="ivr-` + want.Day + `-support"`
	if status != http.StatusOK || !strings.Contains(body, row) || !strings.Contains(body, `data-testid="ivr-total"`) {
		t.Errorf("report page: status %d, no row %s", status, row)
	}
}
