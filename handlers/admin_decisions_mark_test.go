package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/audit"
	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
)

// lastDecision returns the newest logged decision.
func (st *stack) lastDecision(t *testing.T) dispatch.LoggedDecision {
	t.Helper()
	page, _, err := st.queue.DecisionLog().DecisionPage(context.Background(), dispatch.DecisionFilter{}, "", 1)
	if err != nil || len(page) != 1 {
		t.Fatalf("decision log: %v %v", page, err)
	}
	return page[0]
}

// TestAdminMarkSpam marks an allowed request spam from the detail page:
// the number, a prefix and the IP's network are denied, the decision is
// labelled and audited, and the number's next request is blocked by the
// deny list.
func TestAdminMarkSpam(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	_, got, _ := st.post(t, `{"phone":"+1 201 555 0177"}`)
	st.settle(t, got["id"].(string))
	ld := st.lastDecision(t)
	adm := st.signIn(t, auth.RoleAdmin)
	adm.get(t, "/admin/decisions/"+ld.Entry)

	form := url.Values{"number": {"on"}, "prefix_on": {"on"}, "prefix": {"+1"}, "ip": {"network"}, "reason": {"fraud ring"}}
	status, loc, _ := adm.post(t, "/admin/decisions/"+ld.Entry+"/spam", form)
	_, _, page := adm.get(t, loc)
	if status != http.StatusSeeOther || !strings.Contains(page, "at least 4 digits") {
		t.Fatalf("a one-digit prefix: %d to %s, want the refusal shown", status, loc)
	}
	if labels, _ := st.queue.DecisionLog().Labels(context.Background(), ld.Entry); len(labels) != 0 {
		t.Fatalf("a refused mark labelled the decision: %v", labels)
	}

	form.Set("prefix", "+1201555")
	status, loc, _ = adm.post(t, "/admin/decisions/"+ld.Entry+"/spam", form)
	_, _, page = adm.get(t, loc)
	if status != http.StatusSeeOther || loc != "/admin/decisions/"+ld.Entry || !strings.Contains(page, "+12015550177 to deny_number") {
		t.Fatalf("mark spam: %d to %s; page:\n%s", status, loc, page)
	}
	if !strings.Contains(page, `data-testid="label">spam`) {
		t.Error("the detail page does not show the spam label")
	}

	entries, _, err := st.audit.List(context.Background(), audit.Filter{Action: "decision.mark_spam"}, "", 10)
	if err != nil || len(entries) != 1 || entries[0].Target != "decision "+ld.Entry || entries[0].Actor != "admin" {
		t.Fatalf("audit = %+v, %v, want one mark_spam of the decision", entries, err)
	}
	for _, want := range []string{`"deny_number"`, `"+12015550177"`, `"deny_prefix"`, `"+1201555"`, `"deny_ip"`, `"127.0.0.0/24"`, `"fraud ring"`} {
		if !strings.Contains(string(entries[0].After), want) {
			t.Errorf("audit after %s lacks %s", entries[0].After, want)
		}
	}

	before := st.sim.Count()
	st.post(t, `{"phone":"+1 201 555 0177"}`)
	next := st.lastDecision(t).Decision
	if next.Action != risk.Block || !next.Has(risk.CodeDenyNumber) {
		t.Errorf("next request: %s %v, want blocked by deny_number", next.Action, next.Codes())
	}
	st.post(t, `{"phone":"+1 201 555 0178"}`)
	if next := st.lastDecision(t).Decision; next.Action != risk.Block {
		t.Errorf("a number under the denied prefix: %s %v, want blocked", next.Action, next.Codes())
	}
	if n := st.sim.Count(); n != before {
		t.Errorf("%d calls placed after the mark", n-before)
	}
}

// TestAdminMarkFromTheLog: the log's one-click buttons mark with their
// defaults and come back to the log.
func TestAdminMarkFromTheLog(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	st.post(t, `{"phone":"+1 201 555 0181"}`)
	ld := st.lastDecision(t)
	adm := st.signIn(t, auth.RoleAdmin)
	_, _, body := adm.get(t, "/admin/decisions")
	if !strings.Contains(body, `data-testid="spam-`+ld.Decision.ID+`"`) {
		t.Fatal("the log has no Mark spam button for the decision")
	}
	status, loc, _ := adm.post(t, "/admin/decisions/"+ld.Entry+"/spam", url.Values{"back": {"log"}, "number": {"on"}, "ip": {"address"}})
	if status != http.StatusSeeOther || loc != admin.DecisionsPath {
		t.Fatalf("one-click spam: %d to %s", status, loc)
	}
	entries, _, err := st.audit.List(context.Background(), audit.Filter{Action: "decision.mark_spam"}, "", 10)
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit = %+v, %v", entries, err)
	}
	for _, want := range []string{`"+12015550181"`, `"127.0.0.1/32"`, `"marked from decision ` + ld.Entry + `"`} {
		if !strings.Contains(string(entries[0].After), want) {
			t.Errorf("entries added %s lack %s", entries[0].After, want)
		}
	}
	st.post(t, `{"phone":"+1 201 555 0182"}`)
	if next := st.lastDecision(t).Decision; !next.Has(risk.CodeDenyIP) {
		t.Errorf("a request from the denied IP: %s %v, want deny_ip", next.Action, next.Codes())
	}
}

// TestAdminAPIMarkLegit marks a decision legit through the API and checks
// its refusals.
func TestAdminAPIMarkLegit(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	st.post(t, `{"phone":"+1 201 555 0190"}`)
	ld := st.lastDecision(t)
	token := st.token(t, auth.RoleAdmin)
	path := "/api/v1/admin/decisions/" + ld.Entry + "/legit"

	for body, field := range map[string]string{`{"ip":"everything"}`: "ip", `{"number":true,"prefix":"+1201"}`: "prefix",
		`{"number":true,"reason":"` + strings.Repeat("x", 201) + `"}`: "reason"} {
		var e respond.ErrorResponse
		if status := st.api(t, http.MethodPost, path, token, "application/json", body, &e); status != http.StatusUnprocessableEntity || e.Error.Field != field {
			t.Errorf("%s: got %d %+v, want 422 on %s", body, status, e.Error, field)
		}
	}
	if status := st.api(t, http.MethodPost, path, token, "application/json", `{"numbers":true}`, nil); status != http.StatusBadRequest {
		t.Errorf("unknown field: %d, want 400", status)
	}

	// Nothing ticked labels the decision only.
	var only admin.MarkAnswer
	if status := st.api(t, http.MethodPost, path, token, "application/json", `{}`, &only); status != http.StatusOK || only.Label != "legit" || len(only.Added) != 0 {
		t.Errorf("label only: %d %+v, want 200, legit, nothing added", status, only)
	}
	if n := len(st.listValues(t, risk.AllowNumber)); n != 0 {
		t.Errorf("label only added %d allow_number entries", n)
	}

	var out admin.MarkAnswer
	status := st.api(t, http.MethodPost, path, token, "application/json", `{"number":true,"ip":"address","reason":"known customer"}`, &out)
	if status != http.StatusOK || out.Label != "legit" || len(out.Added[risk.AllowNumber]) != 1 || out.Added[risk.AllowIP][0].Value != "127.0.0.1/32" {
		t.Fatalf("mark legit: %d %+v", status, out)
	}
	ctx := context.Background()
	if e := out.Added[risk.AllowNumber][0]; e.Value != "+12015550190" || e.Reason != "known customer" || !strings.HasPrefix(e.Author, "token:") {
		t.Errorf("allow_number entry %+v, want the number, the reason and the token as author", e)
	}
	var dd admin.DecisionDetail
	st.api(t, http.MethodGet, "/api/v1/admin/decisions/"+ld.Entry, token, "", "", &dd)
	if dd.Label != "legit" {
		t.Errorf("label %q, want legit", dd.Label)
	}
	if entries, _, _ := st.audit.List(ctx, audit.Filter{Action: "decision.mark_legit"}, "", 10); len(entries) != 2 {
		t.Errorf("%d mark_legit audit entries, want 2 (the label, then the entries)", len(entries))
	}
	if status := st.api(t, http.MethodPost, "/api/v1/admin/decisions/1-1/spam", token, "application/json", `{"number":true}`, nil); status != http.StatusNotFound {
		t.Errorf("unknown decision: %d, want 404", status)
	}
}

// failListWrites fails every Redis pipeline that writes to the list key.
type failListWrites struct{ key string }

func (h failListWrites) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h failListWrites) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (h failListWrites) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			if c.Name() == "hset" && len(c.Args()) > 1 && c.Args()[1] == h.key {
				return errors.New("injected failure writing " + h.key)
			}
		}
		return next(ctx, cmds)
	}
}

// A mark whose IP entry cannot be written adds nothing: the number is not
// denied either.
func TestAdminMarkSpamAddsAllOrNothing(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	st.post(t, `{"phone":"+1 201 555 0193"}`)
	ld := st.lastDecision(t)
	token := st.token(t, auth.RoleAdmin)
	st.rdb.AddHook(failListWrites{key: "tg:{lists}:deny_ip"})
	path := "/api/v1/admin/decisions/" + ld.Entry + "/spam"
	if status := st.api(t, http.MethodPost, path, token, "application/json", `{"number":true,"ip":"address"}`, nil); status != http.StatusServiceUnavailable {
		t.Errorf("mark spam with deny_ip failing: got %d, want 503", status)
	}
	if _, found, err := st.engine.ListStore().LookupEntry(context.Background(), risk.DenyNumber, "+12015550193"); found || err != nil {
		t.Errorf("deny_number after the failed mark: got found %v, %v; want the number not listed", found, err)
	}
}

// A mark that replaces listed entries records them as the audit's before;
// a bulk API add does the same.
func TestAuditRecordsReplacedEntries(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	st.post(t, `{"phone":"+1 201 555 0194"}`)
	ld := st.lastDecision(t)
	ctx := context.Background()
	if _, err := st.engine.ListStore().AddEntry(ctx, risk.DenyNumber, risk.Entry{Value: "+12015550194", Reason: "old reason", Author: "ann"}); err != nil {
		t.Fatal(err)
	}
	token := st.token(t, auth.RoleAdmin)
	if status := st.api(t, http.MethodPost, "/api/v1/admin/decisions/"+ld.Entry+"/spam", token, "application/json", `{"number":true,"ip":"address"}`, nil); status != http.StatusOK {
		t.Fatalf("mark spam: got %d, want 200", status)
	}
	e := lastAudit(t, st, "decision.mark_spam")
	if !strings.Contains(string(e.Before), `"old reason"`) || strings.Contains(string(e.Before), "127.0.0.1") {
		t.Errorf("mark audit before: got %s, want the replaced deny_number entry only", e.Before)
	}

	body := `{"entries":[{"value":"+12015550194","reason":"newer"},{"value":"+12015550195"}]}`
	if status := st.api(t, http.MethodPost, "/api/v1/admin/lists/deny_number/entries", token, "application/json", body, nil); status != http.StatusOK {
		t.Fatalf("bulk add: got %d, want 200", status)
	}
	e = lastAudit(t, st, "list.add")
	if !strings.Contains(string(e.Before), "marked from decision") || strings.Contains(string(e.Before), "+12015550195") {
		t.Errorf("bulk add audit before: got %s, want the replaced entry only", e.Before)
	}
	if status := st.api(t, http.MethodPost, "/api/v1/admin/lists/deny_number/entries", token, "application/json", `{"entries":[{"value":"+12015550196"}]}`, nil); status != http.StatusOK {
		t.Fatalf("bulk add: got %d, want 200", status)
	}
	if e = lastAudit(t, st, "list.add"); e.Before != nil {
		t.Errorf("bulk add of a new value: got before %s, want none", e.Before)
	}
}
