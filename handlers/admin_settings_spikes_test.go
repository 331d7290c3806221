package handlers

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/risk"
)

func TestSettingsPageSpikePanel(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	adm := st.signIn(t, auth.RoleAdmin)
	_, _, body := adm.get(t, admin.SettingsPath)
	for _, want := range []string{`data-testid="spikes"`, `name="spikes.window" value="5 min"`, `name="spikes.prefix.floor" value="30"`, `<option value="monitor" selected>`} {
		if !strings.Contains(body, want) {
			t.Errorf("settings page lacks %s", want)
		}
	}
	v := settingsValues(st.engine.SettingsStore().Settings())
	form := admin.SpikesForm(st.engine.SettingsStore().SpikeSettings())
	v.Set("spikes.window", "10m")
	v.Set("spikes.baseline_horizon", "6h")
	v.Set("spikes.auto_block", "on")
	v.Set("spikes.block_duration", "30m")
	for _, r := range form.Rules {
		v.Set(r.Path+".floor", r.Floor)
		v.Set(r.Path+".factor", r.Factor)
	}
	v.Set("spikes.prefix.floor", "7")
	v.Set("spikes.ip_network.factor", "2.5")
	if status, loc, body := adm.post(t, admin.SettingsPath, v); status != http.StatusSeeOther || loc != admin.SettingsPath {
		t.Fatalf("save: got %d to %q; body %.300s", status, loc, body)
	}
	got := st.engine.SettingsStore().SpikeSettings()
	want := risk.DefaultSpikes()
	want.Window, want.Horizon, want.AutoBlock, want.BlockFor = risk.Duration(10*time.Minute), risk.Duration(6*time.Hour), risk.BlockOn, risk.Duration(30*time.Minute)
	want.Prefix.Floor, want.Network.Factor = 7, 2.5
	if got != want {
		t.Errorf("spike settings: got %+v, want %+v", got, want)
	}

	v.Set("spikes.window", "90s")
	v.Set("spikes.country.factor", "lots")
	v.Set("spikes.auto_block", "maybe")
	status, _, body := adm.post(t, admin.SettingsPath, v)
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid: got %d, want 422", status)
	}
	for _, want := range []string{`data-testid="error-spikes.window"`, `data-testid="error-spikes.country.factor"`, `data-testid="error-spikes.auto_block"`} {
		if !strings.Contains(body, want) {
			t.Errorf("422 page lacks %s", want)
		}
	}
}
