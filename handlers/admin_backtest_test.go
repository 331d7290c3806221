package handlers

import (
	"fmt"
	"net/http"
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
	_ = admin.SettingsPath
}
