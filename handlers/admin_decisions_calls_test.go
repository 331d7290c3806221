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
	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/audit"
	"github.com/tollgate/tollgate/handlers/admin/auth"
)

// TestAdminCallsRetryAndDiscard: a call the provider refused is a dead
// letter on the queue page; Retry dials it again through the queue,
// Discard deletes it, both audited, and a second click changes nothing.
func TestAdminCallsRetryAndDiscard(t *testing.T) {
	var refuse atomic.Bool
	refuse.Store(true)
	sim := &dispatch.Simulator{OutcomeFunc: func(dispatch.Call) (string, error) {
		if refuse.Load() {
			return "", dispatch.Permanent(errors.New("carrier refused the number"))
		}
		return contactflows.OutcomeAnswered, nil
	}}
	st := newStack(t, nil, sim)
	var ids []string
	for _, phone := range []string{"+1 201 555 0131", "+1 201 555 0732"} {
		_, got, _ := st.post(t, `{"phone":"`+phone+`"}`)
		ids = append(ids, got["id"].(string))
	}
	token := st.token(t, auth.RoleViewer)
	var calls admin.CallsAnswer
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

	adm := st.signIn(t, auth.RoleAdmin)
	status, _, body := adm.get(t, "/admin/calls")
	if status != http.StatusOK || !strings.Contains(body, `data-testid="card-dead-value">2<`) || !strings.Contains(body, `data-testid="retry-`+ids[0]+`"`) ||
		!strings.Contains(body, "carrier refused the number") {
		t.Fatalf("queue page: status %d, no dead letters with Retry:\n%s", status, body)
	}

	refuse.Store(false)
	before := sim.Count()
	status, loc, _ := adm.post(t, "/admin/calls/dead/"+entry[ids[0]]+"/retry", nil)
	if status != http.StatusSeeOther || loc != admin.CallsPath {
		t.Fatalf("retry: %d to %s", status, loc)
	}
	st.settle(t, ids[0])
	if n := sim.Count() - before; n != 1 {
		t.Errorf("retry placed %d calls, want 1", n)
	}
	if s, _ := st.queue.Status(context.Background(), ids[0]); s.Attempts != 1 {
		t.Errorf("retried call attempts %d, want a fresh call's 1", s.Attempts)
	}
	adm.post(t, "/admin/calls/dead/"+entry[ids[0]]+"/retry", nil)
	_, _, body = adm.get(t, admin.CallsPath)
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
	entries, _, _ := st.audit.List(context.Background(), audit.Filter{Action: "call.discard"}, "", 1)
	if len(entries) != 1 || !strings.Contains(string(entries[0].Before), `"`+ids[1]+`"`) || !strings.Contains(string(entries[0].Before), `"entry":"`+entry[ids[1]]+`"`) {
		t.Errorf("call.discard audit before: got %+v, want the discarded dead letter of %s", entries, ids[1])
	}
}
