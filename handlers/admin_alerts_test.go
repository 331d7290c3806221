package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/audit"
	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/spike"
)

// spikeSettings counts prefixes only, a spike from 5 requests.
func spikeSettings(mode risk.BlockMode) func(*risk.Settings) {
	return func(s *risk.Settings) {
		s.Spikes.Country.Floor, s.Spikes.Network.Floor = 0, 0
		s.Spikes.Prefix = risk.SpikeRule{Floor: 5, Factor: 2}
		s.Spikes.AutoBlock = mode
	}
}

// surge posts 5 callbacks to numbers of the prefix +1201555 (allowed or,
// from the fourth, deflected by velocity: all are counted), then runs
// detection once, and returns its alerts.
func (st *stack) surge(t *testing.T) []spike.Alert {
	t.Helper()
	for i := range 5 {
		if status, got, _ := st.post(t, fmt.Sprintf(`{"phone":"+1201555%04d"}`, 200+i)); status != http.StatusAccepted && status != http.StatusOK {
			t.Fatalf("request %d: %d %v", i, status, got)
		}
	}
	alerts, err := st.detector.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return alerts
}

func TestSpikeAutoBlockEndToEnd(t *testing.T) {
	for _, c := range []struct {
		mode   risk.BlockMode
		action string
		listed bool
	}{{risk.BlockOff, spike.ActionNone, false}, {risk.BlockMonitor, spike.ActionWouldBlock, false}, {risk.BlockOn, spike.ActionBlocked, true}} {
		t.Run(string(c.mode), func(t *testing.T) {
			st := newStack(t, spikeSettings(c.mode), &dispatch.Simulator{})
			alerts := st.surge(t)
			if len(alerts) != 1 || alerts[0].Value != "+1201555" || alerts[0].Count != 5 || alerts[0].Action != c.action {
				t.Fatalf("alerts: got %+v, want one for +1201555 with action %s", alerts, c.action)
			}
			ctx := context.Background()
			en, listed, err := st.engine.ListStore().LookupEntry(ctx, risk.DenyPrefix, "+1201555")
			if err != nil || listed != c.listed {
				t.Fatalf("deny_prefix +1201555: got listed %v (%v), want %v", listed, err, c.listed)
			}
			entries, _, err := st.audit.List(ctx, audit.Filter{Actor: spike.Author}, "", 10)
			if err != nil || len(entries) != map[bool]int{true: 1}[c.listed] {
				t.Fatalf("auto-block audit entries: got %d (%v)", len(entries), err)
			}
			if !c.listed {
				return
			}
			if en.Author != spike.Author || !strings.Contains(en.Reason, alerts[0].ID) || en.Expires.IsZero() {
				t.Errorf("entry: got %+v, want a temporary auto-block naming the alert", en)
			}
			d, err := st.engine.Evaluate(ctx, risk.Request{Phone: "+12015550299"})
			if err != nil || d.Action != risk.Block {
				t.Errorf("a number of the prefix: got %s (%v), want block", d.Action, err)
			}
			if again, err := st.detector.Check(ctx); err == nil && len(again) != 0 {
				t.Errorf("same spike again: got %d alerts, want 0", len(again))
			}
		})
	}
}

func TestAlertLift(t *testing.T) {
	st := newStack(t, spikeSettings(risk.BlockOn), &dispatch.Simulator{})
	alerts := st.surge(t)
	if len(alerts) != 1 {
		t.Fatalf("got %d alerts, want 1", len(alerts))
	}
	id := alerts[0].ID
	viewer, adm := st.signIn(t, auth.RoleViewer), st.signIn(t, auth.RoleAdmin)
	_, _, page := adm.get(t, "/admin/dashboard")
	for _, want := range []string{`data-testid="alert-` + id + `"`, `data-testid="lift-` + id + `"`, "+1201555"} {
		if !strings.Contains(page, want) {
			t.Errorf("dashboard: %s missing", want)
		}
	}
	if _, _, page := viewer.get(t, "/admin/dashboard"); !strings.Contains(page, "alert-"+id) || strings.Contains(page, "lift-"+id) {
		t.Errorf("viewer's admin.Dashboard: want the alert without a Lift button")
	}
	if status, _, _ := viewer.post(t, "/admin/alerts/"+id+"/lift", url.Values{}); status != http.StatusForbidden {
		t.Errorf("viewer lifting: got %d, want 403", status)
	}
	if status, loc, _ := adm.post(t, "/admin/alerts/"+id+"/lift", url.Values{}); status != http.StatusSeeOther || loc != admin.Home {
		t.Fatalf("lift: got %d to %q, want 303 to the dashboard", status, loc)
	}
	ctx := context.Background()
	if _, listed, _ := st.engine.ListStore().LookupEntry(ctx, risk.DenyPrefix, "+1201555"); listed {
		t.Error("lifted: deny_prefix +1201555 is still listed")
	}
	entries, _, err := st.audit.List(ctx, audit.Filter{Action: "alert.lift"}, "", 10)
	if err != nil || len(entries) != 1 || entries[0].Target != "deny_prefix +1201555" || entries[0].Actor == "" {
		t.Errorf("audit: got %+v (%v), want one alert.lift of deny_prefix +1201555", entries, err)
	}
	_, _, page = adm.get(t, "/admin/dashboard")
	if strings.Contains(page, "lift-"+id) || !strings.Contains(page, "lifted by") {
		t.Error("dashboard after the lift: want the alert marked lifted, without a Lift button")
	}
	token := st.token(t, auth.RoleAdmin)
	if got := st.api(t, http.MethodPost, "/api/v1/admin/alerts/"+id+"/lift", token, "application/json", "{}", nil); got != http.StatusNotFound {
		t.Errorf("lifting again: got %d, want 404", got)
	}
	var list struct{ Alerts []spike.Alert }
	if got := st.api(t, http.MethodGet, "/api/v1/admin/alerts", token, "", "", &list); got != http.StatusOK || len(list.Alerts) != 1 || list.Alerts[0].Lifted == "" {
		t.Errorf("GET alerts: got %d %+v, want the lifted alert", got, list.Alerts)
	}
}
