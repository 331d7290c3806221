package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/handlers/audit"
	"github.com/tollgate/tollgate/handlers/auth"
)

// TestAdminCallsRetryAndDiscard: a call the provider refused is a dead
// letter on the queue page; Retry dials it again through the queue,
// Discard deletes it, both audited, and a second click changes nothing.
func TestAdminCallsRetryAndDiscard(t *testing.T) {
	var refuse atomic.Bool
	refuse.Store(true)
	sim := &contactflows.Simulator{OutcomeFunc: func(contactflows.Call) (string, error) {
		if refuse.Load() {
			return "", contactflows.Permanent(errors.New("carrier refused the number"))
		}
		return contactflows.OutcomeAnswered, nil
	}}
	st := newStack(t, nil, sim)
	var ids []string
	for _, phone := range []string{"+1 201 555 0131", "+1 201 555 0132"} {
		_, got, _ := st.post(t, `{"phone":"`+phone+`"}`)
		ids = append(ids, got["id"].(string))
	}
	token := st.token(t, auth.RoleViewer)
	var calls callsAnswer
	for deadline := time.Now().Add(10 * time.Second); calls.Counts.Dead < 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no dead letters: %+v", calls)
		}
		st.api(t, http.MethodGet, "/api/v1/admin/calls", token, "", "", &calls)
	}
	if len(calls.Dead) != 2 || len(calls.Recent) != 2 || calls.Recent[0].State != "dead" || calls.Recent[0].Number != "+1201*****32" {
		t.Fatalf("calls = %+v, want two dead calls, numbers masked", calls)
	}
	entry := map[string]string{}
	for _, d := range calls.Dead {
		entry[d.CallID] = d.Entry
	}

	admin := st.signIn(t, auth.RoleAdmin)
	status, _, body := admin.get(t, "/admin/calls")
	if status != http.StatusOK || !strings.Contains(body, `data-testid="count-dead">2<`) || !strings.Contains(body, `data-testid="retry-`+ids[0]+`"`) ||
		!strings.Contains(body, "carrier refused the number") {
		t.Fatalf("queue page: status %d, no dead letters with Retry:\n%s", status, body)
	}

	refuse.Store(false)
	before := sim.Count()
	status, loc, _ := admin.post(t, "/admin/calls/dead/"+entry[ids[0]]+"/retry", nil)
	if status != http.StatusSeeOther || loc != adminCallsPath {
		t.Fatalf("retry: %d to %s", status, loc)
	}
	st.settle(t, ids[0])
	if n := sim.Count() - before; n != 1 {
		t.Errorf("retry placed %d calls, want 1", n)
	}
	if s, _ := st.queue.Status(context.Background(), ids[0]); s.Attempts != 1 {
		t.Errorf("retried call attempts %d, want a fresh call's 1", s.Attempts)
	}
	admin.post(t, "/admin/calls/dead/"+entry[ids[0]]+"/retry", nil)
	_, _, body = admin.get(t, adminCallsPath)
	if !strings.Contains(body, "already retried or discarded") {
		t.Error("a second retry does not say it was already done")
	}

	adminToken := st.token(t, auth.RoleAdmin)
	if got := st.api(t, http.MethodPost, "/api/v1/admin/calls/dead/"+entry[ids[1]]+"/discard", adminToken, "", "", nil); got != http.StatusOK {
		t.Fatalf("discard: %d", got)
	}
	if got := st.api(t, http.MethodPost, "/api/v1/admin/calls/dead/"+entry[ids[1]]+"/discard", adminToken, "", "", nil); got != http.StatusNotFound {
		t.Errorf("second discard: %d, want 404", got)
	}
	st.api(t, http.MethodGet, "/api/v1/admin/calls", token, "", "", &calls)
	if calls.Counts.Dead != 0 || len(calls.Dead) != 0 {
		t.Errorf("after retry and discard: %+v, want no dead letters", calls.Counts)
	}
	if n := sim.Count() - before; n != 1 {
		t.Errorf("%d calls placed after the retry, want 1", n)
	}
	for action, target := range map[string]string{"call.retry": entry[ids[0]], "call.discard": entry[ids[1]]} {
		entries, _, err := st.audit.List(context.Background(), audit.Filter{Action: action}, "", 10)
		if err != nil || len(entries) != 1 || entries[0].Target != "dead letter "+target {
			t.Errorf("%s audit = %+v, %v, want one for %s", action, entries, err, target)
		}
	}
}

// TestAdminIVRReport screens callers through the challenge API and reads
// the counts back from the report.
func TestAdminIVRReport(t *testing.T) {
	st := newStack(t, nil, &contactflows.Simulator{})
	screen := func(caller, contact string) map[string]any {
		t.Helper()
		_, got, _ := st.postJSON(t, "/api/v1/challenges", `{"caller":"`+caller+`","flow":"support","contact_id":"`+contact+`"}`, testFlowKey)
		return got
	}
	verify := func(id, digits string) {
		t.Helper()
		st.postJSON(t, "/api/v1/challenges/"+id+"/verify", `{"digits":"`+digits+`"}`, testFlowKey)
	}
	want := ivrJSON{Day: time.Now().UTC().Format("2006-01-02"), Flow: "support"}
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
		Days  int       `json:"days"`
		Rows  []ivrJSON `json:"rows"`
		Total ivrJSON   `json:"total"`
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
