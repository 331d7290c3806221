package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/auth"
)

// TestSettingsTryBeforeSaving sends clean callbacks, then tries a draft
// that requires sign-in, which deflects every one of them: the page shows
// what would change beside the draft, as typed, and saves nothing.
func TestSettingsTryBeforeSaving(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	const n = 6
	for i := range n {
		if status, _, _ := st.postFrom(t, fmt.Sprintf("10.30.0.%d", i+1), fmt.Sprintf(`{"phone":"+1201%03d0100"}`, 200+i*37)); status != http.StatusAccepted {
			t.Fatalf("callback %d: %d", i, status)
		}
	}
	adm := st.signIn(t, auth.RoleAdmin)
	before := st.engine.SettingsStore().Settings()
	v := settingsValues(before)
	v.Set("require_auth", "on")
	v.Set("block_at", "95")
	status, _, body := adm.post(t, "/admin/settings/try", v)
	if status != http.StatusOK || !strings.Contains(body, `data-testid="backtest"`) {
		t.Fatalf("try: got %d, want 200 with the backtest:\n%s", status, body)
	}
	if !strings.Contains(body, fmt.Sprintf(`data-testid="backtest-changed">%d would change`, n)) {
		t.Errorf("try: want %d changed decisions shown", n)
	}
	if !strings.Contains(body, `data-testid="backtest-progress"`) || !strings.Contains(body, fmt.Sprintf("%d of %d decisions replayed", n, n)) {
		t.Errorf("try: no progress shown")
	}
	if strings.Contains(body, "@Timestamp") || !strings.Contains(body, "<time datetime=") {
		t.Errorf("try: the period's times are not rendered")
	}
	if !strings.Contains(body, `name="block_at" value="95"`) {
		t.Errorf("try: the draft's block_at is not on the form as typed")
	}
	if after := st.engine.SettingsStore().Settings(); after.BlockAt != before.BlockAt || after.RequireAuth {
		t.Errorf("try saved: block_at %d, require_auth %v; want %d and false", after.BlockAt, after.RequireAuth, before.BlockAt)
	}
	if e := lastAudit(t, st, "backtest.run"); e.Actor == "" {
		t.Errorf("the backtest's audit entry names no one: %+v", e)
	}
	v.Set("block_at", "-1")
	if status, _, body := adm.post(t, "/admin/settings/try", v); status != http.StatusUnprocessableEntity || strings.Contains(body, `data-testid="backtest"`) {
		t.Errorf("an invalid draft: got %d, want 422 with the problems and no backtest", status)
	}
	viewer := st.signIn(t, auth.RoleViewer)
	if status, _, _ := viewer.post(t, "/admin/settings/try", settingsValues(before)); status != http.StatusForbidden {
		t.Errorf("a viewer's try: got %d, want 403", status)
	}
}

// TestPolicyTryBeforeSaving tries blocking the callbacks' country on the
// policy page: the page shows what would change and a form that saves the
// rule, and the policy in force is unchanged.
func TestPolicyTryBeforeSaving(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	const n = 4
	for i := range n {
		if status, _, _ := st.postFrom(t, fmt.Sprintf("10.31.0.%d", i+1), fmt.Sprintf(`{"phone":"+1201%03d0100"}`, 200+i*37)); status != http.StatusAccepted {
			t.Fatalf("callback %d: %d", i, status)
		}
	}
	adm := st.signIn(t, auth.RoleAdmin)
	status, _, body := adm.post(t, "/admin/policy/account/countries/try", url.Values{"country": {"US"}, "mode": {"BLOCK"}})
	if status != http.StatusOK || !strings.Contains(body, fmt.Sprintf(`data-testid="backtest-changed">%d would change`, n)) {
		t.Fatalf("try: got %d, want 200 with %d changed:\n%s", status, n, body)
	}
	if !strings.Contains(body, `action="/admin/policy/account/countries"`) || !strings.Contains(body, `data-testid="policy-tried-save"`) ||
		!strings.Contains(body, "Not saved yet: calls to United States (US) from the account set to BLOCK") {
		t.Errorf("try: no form saving the rule tried, in words")
	}
	if !strings.Contains(body, `<option value="US" selected>`) {
		t.Errorf("try: the account's add-rule form does not show the country tried")
	}
	if mode := st.engine.SettingsStore().Settings().Account.Countries["US"]; mode != "" {
		t.Errorf("try saved the rule: US is %s", mode)
	}
	if status, loc, _ := adm.post(t, "/admin/policy/account/countries/try", url.Values{"country": {"XX"}, "mode": {"BLOCK"}}); status != http.StatusSeeOther || loc != admin.PolicyPath {
		t.Errorf("an unknown country: got %d to %q, want 303 back to the page", status, loc)
	}
}
