package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/risk"
)

// resolve asks the policy page's resolve tool and returns the mode and
// rule it shows.
func resolve(t *testing.T, ac *adminClient, flow, country string) (string, string) {
	t.Helper()
	status, _, body := ac.get(t, admin.PolicyPath+"?"+url.Values{"flow": {flow}, "country": {country}}.Encode())
	if status != http.StatusOK {
		t.Fatalf("resolve %s %s: status %d", flow, country, status)
	}
	between := func(start string) string {
		_, rest, ok := strings.Cut(body, start)
		if !ok {
			t.Fatalf("resolve %s %s: page lacks %s", flow, country, start)
		}
		v, _, _ := strings.Cut(rest, "<")
		return v
	}
	return between(`data-testid="resolve-mode">`), between(`data-testid="resolve-rule">`)
}

func TestPolicyPageEditsAndResolves(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	adm := st.signIn(t, auth.RoleAdmin)
	status, _, body := adm.get(t, admin.PolicyPath)
	for _, want := range []string{`data-testid="policy-order"`, `data-testid="policy-account"`, `data-testid="rule-account-CU"`, `>Cuba <`, `value="GB"`} {
		if !strings.Contains(body, want) {
			t.Errorf("policy page (status %d) lacks %s", status, want)
		}
	}
	steps := []struct {
		path string
		form url.Values
	}{
		{"/policy/account/countries", url.Values{"country": {"GB"}, "mode": {"BLOCK"}}},
		{"/policy/flows", url.Values{"flow": {"sales"}, "default": {"MONITOR"}}},
		{"/policy/flows/sales/countries", url.Values{"country": {"GB"}, "mode": {"ALLOW"}}},
		{"/policy/flows", url.Values{"flow": {"support"}, "default": {""}}},
	}
	for _, s := range steps {
		if status, loc, _ := adm.post(t, admin.Prefix+s.path, s.form); status != http.StatusSeeOther || loc != admin.PolicyPath {
			t.Fatalf("POST %s: got %d to %q", s.path, status, loc)
		}
	}
	tests := []struct{ flow, country, mode, rule string }{
		// sales allows what the account blocks: only for requests bound to it.
		{"sales", "GB", "BLOCK", "account rule for GB (flow sales would loosen it, but the request is not bound to the flow); a request bound to flow sales (by an API key or a visitor token) gets ALLOW by flow sales rule for GB"},
		{"sales", "FR", "MONITOR", "flow sales default"},
		{"support", "GB", "BLOCK", "account rule for GB"},
		{"support", "FR", "ALLOW", "account default"},
		{"", "CU", "BLOCK", "account rule for CU"},
	}
	for _, tt := range tests {
		mode, rule := resolve(t, adm, tt.flow, tt.country)
		if mode != tt.mode || rule != tt.rule {
			t.Errorf("resolve %q %s: got %s by %q, want %s by %q", tt.flow, tt.country, mode, rule, tt.mode, tt.rule)
		}
	}
	e := lastAudit(t, st, "policy.save")
	if !strings.Contains(string(e.After), `"support"`) || strings.Contains(string(e.Before), `"support"`) {
		t.Errorf("last policy audit entry: before %s, after %s; want the support flow added", e.Before, e.After)
	}

	for _, path := range []string{"/policy/flows/sales/countries/GB/delete", "/policy/account/countries/GB/delete", "/policy/flows/support/delete"} {
		if status, loc, _ := adm.post(t, admin.Prefix+path, nil); status != http.StatusSeeOther || loc != admin.PolicyPath {
			t.Fatalf("POST %s: got %d to %q", path, status, loc)
		}
	}
	got := st.engine.SettingsStore().Settings()
	if _, ok := got.Flows["support"]; ok || len(got.Flows["sales"].Countries) != 0 || got.Account.Countries["GB"] != "" {
		t.Errorf("policies after removals: account %v, flows %v", got.Account, got.Flows)
	}
	if mode, rule := resolve(t, adm, "sales", "GB"); mode != "MONITOR" || rule != "flow sales default" {
		t.Errorf("resolve sales GB after removing its rule: got %s by %q", mode, rule)
	}
}

func TestPolicyPageRefusesBadInput(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	adm := st.signIn(t, auth.RoleAdmin)
	adm.get(t, admin.PolicyPath)
	for _, s := range []struct {
		path string
		form url.Values
	}{
		{"/policy/account/countries", url.Values{"country": {"XX"}, "mode": {"BLOCK"}}},
		{"/policy/account/countries", url.Values{"country": {"GB"}, "mode": {"MAYBE"}}},
		{"/policy/account/default", url.Values{"default": {""}}},
		{"/policy/flows", url.Values{"flow": {"no spaces"}}},
		{"/policy/flows", url.Values{"flow": {".."}}},
		{"/policy/flows", url.Values{"flow": {"."}}},
		{"/policy/flows/ghost/default", url.Values{"default": {"BLOCK"}}},
	} {
		status, _, _ := adm.post(t, admin.Prefix+s.path, s.form)
		_, _, body := adm.get(t, admin.PolicyPath)
		if status != http.StatusSeeOther || !strings.Contains(body, "flash-error") {
			t.Errorf("POST %s %v: got %d and no error message, want 303 and one", s.path, s.form, status)
		}
	}
	if got := st.engine.SettingsStore().Settings(); got.Account.Default != risk.ModeAllow || len(got.Account.Countries) != 1 || len(got.Flows) != 0 {
		t.Errorf("policies after refused changes: %+v %v", got.Account, got.Flows)
	}
}

func TestPolicyPageReadOnlyForViewers(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	viewer := st.signIn(t, auth.RoleViewer)
	status, _, body := viewer.get(t, admin.PolicyPath)
	if status != http.StatusOK || strings.Contains(body, `data-testid="add-rule-account"`) || strings.Contains(body, `data-testid="remove-rule-account-CU"`) {
		t.Errorf("viewer's policy page: status %d, want 200 without edit controls", status)
	}
	if mode, _ := resolve(t, viewer, "", "CU"); mode != "BLOCK" {
		t.Errorf("viewer resolving CU: got %s, want BLOCK", mode)
	}
}

func TestPolicyAPI(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	token := st.token(t, auth.RoleAdmin)
	var doc admin.PolicyDoc
	if got := st.api(t, http.MethodGet, admin.APIPrefix+"/policy", token, "", "", &doc); got != http.StatusOK || doc.Account.Countries["CU"] != risk.ModeBlock {
		t.Fatalf("GET policy: %d %+v", got, doc)
	}
	body := `{"account_policy":{"default":"ALLOW","countries":{"RU":"MONITOR"}},"flow_policies":{"sales":{"default":"BLOCK","countries":{"US":"ALLOW"}}}}`
	if got := st.api(t, http.MethodPut, admin.APIPrefix+"/policy", token, "application/json", body, &doc); got != http.StatusOK {
		t.Fatalf("PUT policy: status %d", got)
	}
	if mode, rule := st.engine.SettingsStore().Settings().CountryMode("sales", "FR", false); mode != risk.ModeBlock || rule != "flow sales default" {
		t.Errorf("sales FR after PUT: %s by %q", mode, rule)
	}
	lastAudit(t, st, "policy.save")

	var ans admin.ResolveAnswer
	if got := st.api(t, http.MethodGet, admin.APIPrefix+"/policy/resolve?flow=sales&country=us", token, "", "", &ans); got != http.StatusOK || ans.Mode != risk.ModeAllow || ans.Rule != "flow sales rule for US" {
		t.Errorf("resolve sales US: %d %+v", got, ans)
	}

	var bad admin.SettingsProblems
	body = `{"account_policy":{"default":"NOPE"},"flow_policies":{"a b":{"countries":{"gb":"BLOCK"}}}}`
	if got := st.api(t, http.MethodPut, admin.APIPrefix+"/policy", token, "application/json", body, &bad); got != http.StatusUnprocessableEntity || len(bad.Errors) < 3 {
		b, _ := json.Marshal(bad)
		t.Errorf("PUT invalid policy: got %d %s, want 422 with every problem", got, b)
	}
	if got := st.engine.SettingsStore().Settings().Account.Countries["RU"]; got != risk.ModeMonitor {
		t.Errorf("account RU after invalid PUT: got %q, want MONITOR kept", got)
	}
}

// A policy edit on an instance whose copy of the settings is stale keeps
// what another instance saved meanwhile.
func TestPolicyEditsKeepOtherInstancesEdits(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	other, err := risk.NewEngine(risk.Options{Redis: st.rdb})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := other.SettingsStore().LoadSettings(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.SettingsStore().UpdateSettings(ctx, func(s *risk.Settings) error {
		s.BlockAt = 95
		s.Flows = map[string]risk.Policy{"billing": {Default: risk.ModeBlock}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	adm := st.signIn(t, auth.RoleAdmin)
	adm.get(t, admin.PolicyPath)
	if status, _, _ := adm.post(t, admin.Prefix+"/policy/flows", url.Values{"flow": {"sales"}, "default": {"MONITOR"}}); status != http.StatusSeeOther {
		t.Fatalf("add flow: status %d", status)
	}
	got := st.engine.SettingsStore().Settings()
	if _, ok := got.Flows["billing"]; !ok || got.BlockAt != 95 || got.Flows["sales"].Default != risk.ModeMonitor {
		t.Errorf("settings after adding a flow: got block_at %d, flows %v; want 95, billing and sales", got.BlockAt, got.Flows)
	}
	e := lastAudit(t, st, "policy.save")
	if !strings.Contains(string(e.Before), `"billing"`) || strings.Contains(string(e.Before), `"sales"`) {
		t.Errorf("audit before: got %s, want the billing flow and not sales", e.Before)
	}

	if err := other.SettingsStore().LoadSettings(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.SettingsStore().UpdateSettings(ctx, func(s *risk.Settings) error { s.BlockAt = 90; return nil }); err != nil {
		t.Fatal(err)
	}
	token := st.token(t, auth.RoleAdmin)
	body := `{"account_policy":{"default":"ALLOW"},"flow_policies":{}}`
	if status := st.api(t, http.MethodPut, admin.APIPrefix+"/policy", token, "application/json", body, nil); status != http.StatusOK {
		t.Fatalf("PUT policy: status %d", status)
	}
	if got, want := st.engine.SettingsStore().Settings().BlockAt, 90; got != want {
		t.Errorf("block_at after PUT policy: got %d, want %d", got, want)
	}
}
