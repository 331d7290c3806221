package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// logDecision writes d to the stack's decision log, as the callback
// handlers do.
func (st *stack) logDecision(t *testing.T, d risk.Decision) {
	t.Helper()
	if d.At.IsZero() {
		d.At = time.Now()
	}
	if err := st.queue.Record(context.Background(), d, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond)
}

// listDecisions calls GET /api/v1/admin/decisions?query and returns the
// decision ids, the cursor and the status.
func (st *stack) listDecisions(t *testing.T, token, query string) ([]string, admin.DecisionsAnswer, int) {
	t.Helper()
	var out admin.DecisionsAnswer
	status := st.api(t, http.MethodGet, "/api/v1/admin/decisions?"+query, token, "", "", &out)
	var ids []string
	for _, d := range out.Decisions {
		ids = append(ids, d.Decision.ID)
	}
	return ids, out, status
}

// sampleDecisions logs four decisions that differ in every filtered field.
func sampleDecisions(t *testing.T, st *stack) {
	t.Helper()
	for _, d := range []risk.Decision{
		{ID: "gb-allow", Action: risk.Allow, Number: "+447700900123", NumberCountry: "GB", IP: netip.MustParseAddr("192.0.2.10"), IPCountry: "GB"},
		{ID: "cu-block", Action: risk.Block, Score: 100, Number: "+5351234567", NumberCountry: "CU", IP: netip.MustParseAddr("198.51.100.20"), IPCountry: "NL",
			Reasons: []risk.Reason{{Code: "country_blocked", Weight: 100, Hard: true, Detail: "CU is blocked"}}},
		{ID: "us-deflect", Action: risk.Deflect, Score: 45, Number: "+12015550199", NumberCountry: "US", IP: netip.MustParseAddr("203.0.113.30"), IPCountry: "DE",
			Reasons: []risk.Reason{{Code: "number_voip", Weight: 45}}},
		{ID: "gb-block", Action: risk.Block, Score: 90, Number: "+447700900124", NumberCountry: "GB", IP: netip.MustParseAddr("198.51.100.20"), IPCountry: "NL",
			Reasons: []risk.Reason{{Code: "velocity_ip", Weight: 90}}},
	} {
		st.logDecision(t, d)
	}
}

func TestAdminDecisionFilters(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	sampleDecisions(t, st)
	token := st.token(t, auth.RoleViewer)
	for query, want := range map[string]string{
		"":                            "[gb-block us-deflect cu-block gb-allow]",
		"action=block":                "[gb-block cu-block]",
		"number=%2B44+7700+900123":    "[gb-allow]",
		"ip=198.51.100.20":            "[gb-block cu-block]",
		"country=nl":                  "[gb-block cu-block]",
		"country=US":                  "[us-deflect]",
		"reason=number_voip":          "[us-deflect]",
		"action=block&country=CU":     "[cu-block]",
		"from=2000-01-01T00:00":       "[gb-block us-deflect cu-block gb-allow]",
		"to=2000-01-01T00:00":         "[]",
		"reason=nothing_has_this_one": "[]",
	} {
		ids, out, status := st.listDecisions(t, token, query)
		if got := fmt.Sprint(ids); status != http.StatusOK || got != want || out.Next != "" {
			t.Errorf("?%s: got %d %s next %q, want %s", query, status, got, out.Next, want)
		}
	}
	_, out, _ := st.listDecisions(t, token, "")
	if n := out.Decisions[0].Decision.Number; n != risk.MaskNumber("+447700900124") {
		t.Errorf("listed number %q, want it masked", n)
	}
	// The newest decision's own time, as a minute range, finds it.
	at := out.Decisions[0].Decision.At.UTC()
	q := url.Values{"from": {at.Format(admin.DatetimeLocal)}, "to": {at.Format(admin.DatetimeLocal)}, "number": {"+447700900124"}}
	if ids, _, _ := st.listDecisions(t, token, q.Encode()); fmt.Sprint(ids) != "[gb-block]" {
		t.Errorf("time range of the newest decision: got %v, want [gb-block]", ids)
	}

	for query, field := range map[string]string{"action=maybe": "action", "number=12": "number", "ip=999.1.1.1": "ip",
		"country=GBR": "country", "from=yesterday": "from", "before=x": "before"} {
		var e respond.ErrorResponse
		if status := st.api(t, http.MethodGet, "/api/v1/admin/decisions?"+query, token, "", "", &e); status != http.StatusUnprocessableEntity || e.Error.Field != field {
			t.Errorf("?%s: got %d %+v, want 422 on %s", query, status, e.Error, field)
		}
	}

	viewer := st.signIn(t, auth.RoleViewer)
	status, _, body := viewer.get(t, "/admin/decisions?action=block")
	if status != http.StatusOK || !strings.Contains(body, `data-testid="decision-gb-block"`) || !strings.Contains(body, `data-testid="decision-cu-block"`) ||
		strings.Contains(body, `data-testid="decision-gb-allow"`) {
		t.Errorf("page filtered on block: status %d, rows wrong:\n%s", status, body)
	}
	if strings.Contains(body, "+447700900124") || !strings.Contains(body, risk.MaskNumber("+447700900124")) {
		t.Error("the log page shows a whole number, want it masked")
	}
	if strings.Contains(body, "Mark spam") {
		t.Error("a viewer sees Mark spam")
	}
	// The page's filter offers the engine's reasons by name.
	status, _, body = viewer.get(t, "/admin/decisions?reason="+risk.CodeTypeVoIP)
	if status != http.StatusOK || !strings.Contains(body, `<option value="`+risk.CodeTypeVoIP+`" selected>VoIP number</option>`) {
		t.Errorf("page filtered on a reason: status %d, the reason not chosen by its name", status)
	}
	if status, _, body := viewer.get(t, "/admin/decisions?ip=nope"); status != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="filter-error"`) {
		t.Errorf("bad filter: status %d, want 422 with the message", status)
	}
}

func TestAdminDecisionPages(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	for i := range admin.DecisionPageSize + 5 {
		st.logDecision(t, risk.Decision{ID: fmt.Sprintf("p%03d", i), Action: risk.Block, Number: "+447700900123"})
	}
	token := st.token(t, auth.RoleViewer)
	first, out, _ := st.listDecisions(t, token, "action=block")
	if len(first) != admin.DecisionPageSize || first[0] != fmt.Sprintf("p%03d", admin.DecisionPageSize+4) || out.Next == "" {
		t.Fatalf("first page: %d decisions from %v, next %q", len(first), first[:1], out.Next)
	}
	second, out2, _ := st.listDecisions(t, token, "action=block&before="+out.Next)
	if fmt.Sprint(second) != "[p004 p003 p002 p001 p000]" || out2.Next != "" {
		t.Errorf("second page: %v next %q, want the 5 oldest and the end", second, out2.Next)
	}

	viewer := st.signIn(t, auth.RoleViewer)
	_, _, body := viewer.get(t, "/admin/decisions?action=block")
	if !strings.Contains(body, `data-testid="next-page"`) || !strings.Contains(body, "before="+out.Next) {
		t.Error("the first page has no link to the next")
	}
}

func TestAdminDecisionDetail(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	status, got, _ := st.post(t, `{"phone":"+1 201 555 0142","name":"Ann"}`)
	if status != http.StatusAccepted {
		t.Fatalf("callback: %d %v", status, got)
	}
	id := got["id"].(string)
	st.settle(t, id)
	sampleDecisions(t, st)
	token := st.token(t, auth.RoleViewer)
	_, out, _ := st.listDecisions(t, token, "number=%2B12015550142")
	if len(out.Decisions) != 1 {
		t.Fatalf("decision of the callback not listed: %+v", out)
	}
	entry := out.Decisions[0].Entry

	var dd admin.DecisionDetail
	if status := st.api(t, http.MethodGet, "/api/v1/admin/decisions/"+entry, token, "", "", &dd); status != http.StatusOK {
		t.Fatalf("detail: %d", status)
	}
	if dd.Decision.ID != id || dd.Decision.Number != "+12015550142" || dd.Call == nil || dd.Call.State != "ended" ||
		dd.Call.Attempts != 1 || dd.DeflectAt != 40 || dd.BlockAt != 80 {
		t.Errorf("detail = %+v, call %+v; want the whole number, the ended call and the thresholds", dd, dd.Call)
	}
	if status := st.api(t, http.MethodGet, "/api/v1/admin/decisions/1-1", token, "", "", nil); status != http.StatusNotFound {
		t.Errorf("unknown decision: %d, want 404", status)
	}

	viewer := st.signIn(t, auth.RoleViewer)
	_, blocked, _ := st.listDecisions(t, token, "reason=country_blocked")
	status, _, body := viewer.get(t, "/admin/decisions/"+blocked.Decisions[0].Entry)
	for _, want := range []string{"+5351234567", "country_blocked", "CU is blocked", "deflect at 40, block at 80", "NL", "No call was queued"} {
		if !strings.Contains(body, want) {
			t.Errorf("detail page (status %d) lacks %q", status, want)
		}
	}
	if strings.Contains(body, `data-testid="mark-spam"`) {
		t.Error("a viewer sees the Mark spam form")
	}
	adm := st.signIn(t, auth.RoleAdmin)
	_, _, body = adm.get(t, "/admin/decisions/"+entry)
	if !strings.Contains(body, `data-testid="mark-spam"`) || !strings.Contains(body, `value="+1201555"`) || !strings.Contains(body, "127.0.0.0/24") {
		t.Error("the admin's detail page lacks the Mark spam form with its prefix and network defaults")
	}
	if status, _, _ := adm.get(t, "/admin/decisions/1-1"); status != http.StatusNotFound {
		t.Errorf("unknown decision page: %d, want 404", status)
	}
}

// TestAdminDecisionsWithCalls: calls=true adds each allowed decision's
// call state, number masked, and nothing to refused decisions.
func TestAdminDecisionsWithCalls(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	status, got, _ := st.post(t, `{"phone":"+1 201 555 0142"}`)
	if status != http.StatusAccepted {
		t.Fatalf("callback: %d %v", status, got)
	}
	id := got["id"].(string)
	st.settle(t, id)
	sampleDecisions(t, st)
	token := st.token(t, auth.RoleViewer)

	_, out, status := st.listDecisions(t, token, "calls=true")
	if status != http.StatusOK || len(out.Decisions) != 5 {
		t.Fatalf("calls=true: status %d, %d decisions, want 200 and 5", status, len(out.Decisions))
	}
	states := map[string]string{}
	for _, d := range out.Decisions {
		if d.Call != nil {
			states[d.Decision.ID] = d.Call.State
			if d.Call.Call.Number != risk.MaskNumber("+12015550142") && d.Call.Call.Number != risk.MaskNumber("+447700900123") {
				t.Errorf("call number %q, want it masked", d.Call.Call.Number)
			}
		}
	}
	// gb-allow was logged without a call: no worker took one, so it shows queued.
	if want := fmt.Sprint(map[string]string{id: "ended", "gb-allow": "queued"}); fmt.Sprint(states) != want {
		t.Errorf("call states %v, want %s", states, want)
	}
	if _, out, _ := st.listDecisions(t, token, ""); out.Decisions[4].Call != nil {
		t.Errorf("without calls=true: got call %+v, want none", out.Decisions[4].Call)
	}
	var e respond.ErrorResponse
	if status := st.api(t, http.MethodGet, "/api/v1/admin/decisions?calls=yes", token, "", "", &e); status != http.StatusUnprocessableEntity || e.Error.Field != "calls" {
		t.Errorf("calls=yes: got %d %+v, want 422 on calls", status, e.Error)
	}
}

// The reference a visitor was shown finds the decision, typed in the
// number filter in any case, with or without its dash.
func TestAdminDecisionFilterByReference(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	for _, id := range []string{"nmfipy3yabcdefghijklmnopqr", "nmfiqqqqabcdefghijklmnopqr"} {
		st.logDecision(t, risk.Decision{ID: id, Action: risk.Block, Number: "+447700900123", NumberCountry: "GB"})
	}
	token := st.token(t, auth.RoleViewer)
	for ref, want := range map[string]string{
		web.Reference("nmfipy3yabcdefghijklmnopqr"): "[nmfipy3yabcdefghijklmnopqr]",
		"nmfipy3y":   "[nmfipy3yabcdefghijklmnopqr]",
		" NmFi PY3Y": "[nmfipy3yabcdefghijklmnopqr]",
		"NMFI":       "[nmfiqqqqabcdefghijklmnopqr nmfipy3yabcdefghijklmnopqr]",
		"ZZZZ-ZZZZ":  "[]",
	} {
		ids, _, status := st.listDecisions(t, token, url.Values{"number": {ref}}.Encode())
		if got := fmt.Sprint(ids); status != http.StatusOK || got != want {
			t.Errorf("number=%q: got %d %s, want %s", ref, status, got, want)
		}
	}
	var e respond.ErrorResponse
	if status := st.api(t, http.MethodGet, "/api/v1/admin/decisions?number=02079460123", token, "", "", &e); status != http.StatusUnprocessableEntity || e.Error.Field != "number" {
		t.Errorf("a national number: got %d %+v, want 422 on number", status, e.Error)
	}
}
