package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/audit"
	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// settingsValues is the editor's form as a browser posts it for s.
func settingsValues(s risk.Settings) url.Values {
	m := admin.SettingsForm(s)
	v := url.Values{
		"deflect_at": {m.DeflectAt}, "block_at": {m.BlockAt}, "hosting_asns": {m.HostingASNs}, "high_risk_countries": {m.HighRiskCountries},
		"spend.number_per_hour": {m.NumberPerHour}, "spend.number_per_day": {m.NumberPerDay},
		"spend.daily_budget": {m.DailyBudget}, "spend.default_cost": {m.DefaultCost}, "spend.costs": {m.Costs},
		"screening.pass_at": {m.PassAt}, "deflect.chat_url": {m.ChatURL}, "deflect.phone": {m.Phone}, "deflect.hours": {m.Hours},
		"dispatch.rate_per_minute": {m.RatePerMinute}, "dispatch.country_rate_per_minute": {m.CountryRatePerMinute},
		"velocity.ipv6_prefix": {m.IPv6Prefix}, "velocity.shared_ceiling": {m.SharedCeiling},
		"shared_asns": {m.SharedASNs}, "high_cost_ranges": {m.HighCostRanges},
	}
	if m.RequireAuth {
		v.Set("require_auth", "on")
	}
	for _, w := range m.Weights {
		v.Set("weights."+w.Code, w.Weight)
		if w.Monitor {
			v.Add("monitor", w.Code)
		}
	}
	rows := append([]web.LimitRow{m.FailedChallenges}, m.ScreenVelocity...)
	for _, d := range m.Velocity {
		rows = append(rows, d.Limits...)
	}
	for _, r := range rows {
		v.Set(r.Path+".window", r.Window)
		v.Set(r.Path+".warning", r.Warning)
		v.Set(r.Path+".critical", r.Critical)
	}
	return v
}

func lastAudit(t *testing.T, st *stack, action string) audit.Entry {
	t.Helper()
	es, _, err := st.audit.List(context.Background(), audit.Filter{Action: action}, "", 1)
	if err != nil || len(es) == 0 {
		t.Fatalf("audit entries %q: got %v, %v; want one", action, es, err)
	}
	return es[0]
}

func TestSettingsPageSaves(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	adm := st.signIn(t, auth.RoleAdmin)
	status, _, body := adm.get(t, admin.SettingsPath)
	if status != http.StatusOK {
		t.Fatalf("settings page: status %d", status)
	}
	for _, want := range []string{`data-testid="weights-table"`, `data-testid="weight-deny_number"`, `data-testid="monitor-deny_number"`, `data-testid="settings-json"`, `data-testid="settings-save"`, `href="/admin/settings.json"`} {
		if !strings.Contains(body, want) {
			t.Errorf("settings page lacks %s", want)
		}
	}
	v := settingsValues(st.engine.SettingsStore().Settings())
	v.Set("block_at", "90")
	v.Add("monitor", risk.CodeDenyNumber)
	v.Set("deflect.chat_url", "https://chat.example.org/")
	v.Set("dispatch.country_rate_per_minute", "7")
	v.Set("high_risk_countries", "cu, so\nSO")
	v.Set("velocity.nearby_numbers.warning", "3")
	v.Set("velocity.ip[2].window", "")
	v.Set("velocity.ip[2].warning", "")
	v.Set("velocity.ip[2].critical", "")
	v.Set("shared_asns", v.Get("shared_asns")+"\nAS64512  # our office")
	v.Set("high_cost_ranges", v.Get("high_cost_ranges")+"\n+1218862 | a rural exchange | our carrier's invoice | 2026-11")
	status, loc, body := adm.post(t, admin.SettingsPath, v)
	if status != http.StatusSeeOther || loc != admin.SettingsPath {
		t.Fatalf("save: got %d to %q, want 303 to %s; body %s", status, loc, admin.SettingsPath, body)
	}
	got := st.engine.SettingsStore().Settings()
	if got.BlockAt != 90 || len(got.Monitor) != 1 || got.Deflect.ChatURL != "https://chat.example.org/" || got.Dispatch.CountryRatePerMinute != 7 || len(got.Velocity.IP) != 2 {
		t.Errorf("settings after save: block_at %d, monitor %v, deflect %+v, dispatch %+v, ip windows %d; want 90, [deny_number], the chat URL, 7, 2",
			got.BlockAt, got.Monitor, got.Deflect, got.Dispatch, len(got.Velocity.IP))
	}
	if fmt.Sprint(got.HighRiskCountries) != "[CU SO]" || got.Velocity.NearbyNumbers.Warning != 3 {
		t.Errorf("high-risk countries %v, nearby warning %d after save; want [CU SO] and 3", got.HighRiskCountries, got.Velocity.NearbyNumbers.Warning)
	}
	def := risk.DefaultSettings()
	if len(got.SharedASNs) != len(def.SharedASNs)+1 || got.SharedASNs[len(got.SharedASNs)-1] != 64512 {
		t.Errorf("shared ASNs after save: %v, want the shipped ones and 64512", got.SharedASNs)
	}
	if n := len(got.HighCostRanges); n != len(def.HighCostRanges)+1 || got.HighCostRanges[n-1] != (risk.CostRange{Prefix: "+1218862", Name: "a rural exchange", Source: "our carrier's invoice", Date: "2026-11"}) || got.HighCostRanges[0] != def.HighCostRanges[0] {
		t.Errorf("high-cost ranges after save: %v, want the shipped ones and +1218862", got.HighCostRanges)
	}
	if got.Account.Countries["CU"] != risk.ModeBlock {
		t.Errorf("account rules after a settings save: got %v, want CU kept", got.Account.Countries)
	}
	e := lastAudit(t, st, "settings.save")
	if !strings.Contains(string(e.Before), `"block_at":80`) || !strings.Contains(string(e.After), `"block_at":90`) {
		t.Errorf("audit entry: before %s, after %s; want block_at 80 then 90", e.Before, e.After)
	}
	_, _, body = adm.get(t, admin.SettingsPath)
	if !strings.Contains(body, "Settings saved") {
		t.Errorf("page after save lacks the flash message")
	}
}

// Invalid input saves nothing and shows every problem next to its field,
// with what was typed kept.
func TestSettingsPageShowsEveryProblem(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	adm := st.signIn(t, auth.RoleAdmin)
	adm.get(t, admin.SettingsPath)
	before := st.engine.SettingsStore().Settings()
	v := settingsValues(before)
	v.Set("block_at", "lots")
	v.Set("deflect.chat_url", "/chat")
	v.Set("velocity.number[1].warning", "0")
	v.Set("weights.tor_exit", "x")
	v.Set("deflect_at", "70")
	v.Set("high_risk_countries", "LV Latvia")
	v.Set("shared_asns", "21928 T-Mobile")
	v.Set("high_cost_ranges", "1809 | no plus sign")
	status, _, body := adm.post(t, admin.SettingsPath, v)
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid save: status %d, want 422", status)
	}
	for _, want := range []string{
		`data-testid="settings-errors"`, `data-testid="error-block_at"`, `data-testid="error-deflect.chat_url"`,
		`data-testid="error-velocity.number[1].warning"`, `data-testid="error-high_risk_countries"`, `data-testid="error-shared_asns"`, `data-testid="error-high_cost_ranges"`, `value="/chat"`, `value="lots"`, `value="70"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page after invalid save lacks %s", want)
		}
	}
	if got := st.engine.SettingsStore().Settings(); got.DeflectAt != before.DeflectAt || got.Deflect != before.Deflect {
		t.Errorf("settings after invalid save: deflect_at %d, deflect %+v; want unchanged", got.DeflectAt, got.Deflect)
	}
}

func TestSettingsPageReadOnlyForViewers(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	viewer := st.signIn(t, auth.RoleViewer)
	status, _, body := viewer.get(t, admin.SettingsPath)
	if status != http.StatusOK || !strings.Contains(body, "<fieldset disabled") || strings.Contains(body, `data-testid="settings-save"`) {
		t.Errorf("viewer's settings page: status %d, want 200 with the fields disabled and no save button", status)
	}
	status, _, body = viewer.get(t, admin.SettingsPath+".json")
	var s risk.Settings
	if status != http.StatusOK || json.Unmarshal([]byte(body), &s) != nil || s.BlockAt != 80 {
		t.Errorf("settings download: status %d, body %.80s; want the settings as JSON", status, body)
	}
}

func TestSettingsAPI(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	token := st.token(t, auth.RoleAdmin)
	var s map[string]any
	if got := st.api(t, http.MethodGet, admin.APIPrefix+"/settings", token, "", "", &s); got != http.StatusOK || s["block_at"] != 80.0 {
		t.Fatalf("GET settings: %d %v", got, s["block_at"])
	}
	s["block_at"] = 85
	s["monitor"] = []string{risk.CodeTorExit}
	b, _ := json.Marshal(s)
	if got := st.api(t, http.MethodPut, admin.APIPrefix+"/settings", token, "application/json", string(b), nil); got != http.StatusOK {
		t.Fatalf("PUT settings: status %d, want 200", got)
	}
	if got := st.engine.SettingsStore().Settings(); got.BlockAt != 85 || len(got.Monitor) != 1 {
		t.Errorf("settings after PUT: block_at %d, monitor %v", got.BlockAt, got.Monitor)
	}
	lastAudit(t, st, "settings.save")

	s["deflect_at"] = 0
	s["monitor"] = []string{"nope"}
	s["deflect"] = map[string]string{"chat_url": "ftp://x"}
	b, _ = json.Marshal(s)
	var bad admin.SettingsProblems
	if got := st.api(t, http.MethodPut, admin.APIPrefix+"/settings", token, "application/json", string(b), &bad); got != http.StatusUnprocessableEntity {
		t.Fatalf("PUT invalid settings: status %d, want 422", got)
	}
	var fields []string
	for _, e := range bad.Errors {
		fields = append(fields, e.Field)
	}
	if got, want := strings.Join(fields, " "), "monitor[0] deflect_at deflect.chat_url"; got != want || bad.Error.Code != respond.CodeInvalidSettings {
		t.Errorf("422 errors: got %q (%s), want %q (%s)", got, bad.Error.Code, want, respond.CodeInvalidSettings)
	}
	if got := st.engine.SettingsStore().Settings().DeflectAt; got != 40 {
		t.Errorf("deflect_at after invalid PUT: got %d, want 40", got)
	}
}

// A saved deflection channel shows on the next deflected answer.
func TestSavedDeflectionShowsOnNextAnswer(t *testing.T) {
	st := newStack(t, func(s *risk.Settings) { s.RequireAuth = true }, &dispatch.Simulator{})
	s := st.engine.SettingsStore().Settings()
	s.Deflect = risk.Channels{ChatURL: "https://help.example.net/chat", Hours: "24/7"}
	b, _ := json.Marshal(s)
	if got := st.api(t, http.MethodPut, admin.APIPrefix+"/settings", st.token(t, auth.RoleAdmin), "application/json", string(b), nil); got != http.StatusOK {
		t.Fatalf("PUT settings: status %d", got)
	}
	status, got, _ := st.post(t, `{"phone":"+1 201 555 0123","name":"Ann"}`)
	alt, _ := got["alternatives"].(map[string]any)
	if status != http.StatusOK || alt["chat_url"] != "https://help.example.net/chat" || alt["hours"] != "24/7" || alt["phone"] != nil {
		t.Errorf("deflected answer: %d %v; want the saved channels", status, got)
	}
}

// A saved dispatch rate is used by the queue without a restart.
func TestSavedDispatchRateUsedByQueue(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	s := st.engine.SettingsStore().Settings()
	s.Dispatch.CountryRatePerMinute = 1
	b, _ := json.Marshal(s)
	if got := st.api(t, http.MethodPut, admin.APIPrefix+"/settings", st.token(t, auth.RoleAdmin), "application/json", string(b), nil); got != http.StatusOK {
		t.Fatalf("PUT settings: status %d", got)
	}
	for _, phone := range []string{"+1 201 555 0123", "+1 201 555 0724"} {
		status, got, _ := st.post(t, `{"phone":"`+phone+`","name":"Ann"}`)
		if status != http.StatusAccepted {
			t.Fatalf("callback %s: %d %v", phone, status, got)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(st.sim.Calls()) < 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	if got := len(st.sim.Calls()); got != 1 {
		t.Errorf("calls placed to one country at 1 a minute: got %d, want 1", got)
	}
}

// PUT /api/v1/admin/settings refuses flow names the console could not put
// in a URL path, and accepts ordinary ones.
func TestSettingsAPIRefusesBadFlowNames(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	token := st.token(t, auth.RoleAdmin)
	for _, flow := range []string{"..", ".", "a/b"} {
		s := st.engine.SettingsStore().Settings()
		s.Flows = map[string]risk.Policy{flow: {Default: risk.ModeBlock}}
		b, _ := json.Marshal(s)
		var bad admin.SettingsProblems
		if got := st.api(t, http.MethodPut, admin.APIPrefix+"/settings", token, "application/json", string(b), &bad); got != http.StatusUnprocessableEntity || bad.Error.Field != "flow_policies."+flow {
			t.Errorf("PUT settings with flow %q: got %d, field %q; want 422 on flow_policies.%s", flow, got, bad.Error.Field, flow)
		}
	}
	if got := st.engine.SettingsStore().Settings().Flows; len(got) != 0 {
		t.Errorf("flows after refused PUTs: got %v, want none", got)
	}
	s := st.engine.SettingsStore().Settings()
	s.Flows = map[string]risk.Policy{"sales.v2": {Default: risk.ModeAllow}}
	b, _ := json.Marshal(s)
	if got := st.api(t, http.MethodPut, admin.APIPrefix+"/settings", token, "application/json", string(b), nil); got != http.StatusOK {
		t.Errorf("PUT settings with flow sales.v2: got %d, want 200", got)
	}
	status, _, _ := st.post(t, `{"phone":"+1 201 555 0123","name":"Ann","flow":"sales.v2"}`)
	if status != http.StatusAccepted {
		t.Errorf("callback with flow sales.v2: got %d, want 202", status)
	}
}

// The IPv6 network length round-trips through the editor and the API like
// any whole-number setting, its problems shown next to it.
func TestSettingsIPv6Prefix(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	adm := st.signIn(t, auth.RoleAdmin)
	_, _, body := adm.get(t, admin.SettingsPath)
	if want := `name="velocity.ipv6_prefix" value="64"`; !strings.Contains(body, want) {
		t.Errorf("settings page lacks %s", want)
	}
	v := settingsValues(st.engine.SettingsStore().Settings())
	v.Set("velocity.ipv6_prefix", "56")
	if status, loc, body := adm.post(t, admin.SettingsPath, v); status != http.StatusSeeOther || loc != admin.SettingsPath {
		t.Fatalf("save: got %d to %q, want 303 to %s; body %s", status, loc, admin.SettingsPath, body)
	}
	if got, want := st.engine.SettingsStore().Settings().Velocity.IPv6Prefix, 56; got != want {
		t.Errorf("ipv6_prefix after save: got %d, want %d", got, want)
	}
	for typed, message := range map[string]string{"20": "between 32 and 128", "many": "must be a whole number"} {
		v.Set("velocity.ipv6_prefix", typed)
		status, _, body := adm.post(t, admin.SettingsPath, v)
		if status != http.StatusUnprocessableEntity {
			t.Fatalf("save with ipv6_prefix %q: status %d, want 422", typed, status)
		}
		for _, want := range []string{`data-testid="error-velocity.ipv6_prefix"`, message, `name="velocity.ipv6_prefix" value="` + typed + `"`} {
			if !strings.Contains(body, want) {
				t.Errorf("page after saving ipv6_prefix %q lacks %s", typed, want)
			}
		}
	}
	if got, want := st.engine.SettingsStore().Settings().Velocity.IPv6Prefix, 56; got != want {
		t.Errorf("ipv6_prefix after invalid saves: got %d, want %d", got, want)
	}

	token := st.token(t, auth.RoleAdmin)
	var s map[string]any
	if got := st.api(t, http.MethodGet, admin.APIPrefix+"/settings", token, "", "", &s); got != http.StatusOK {
		t.Fatalf("GET settings: status %d", got)
	}
	vel := s["velocity"].(map[string]any)
	if got, want := vel["ipv6_prefix"], 56.0; got != want {
		t.Errorf("GET settings: ipv6_prefix %v, want %v", got, want)
	}
	vel["ipv6_prefix"] = 128
	b, _ := json.Marshal(s)
	if got := st.api(t, http.MethodPut, admin.APIPrefix+"/settings", token, "application/json", string(b), nil); got != http.StatusOK {
		t.Fatalf("PUT settings with ipv6_prefix 128: status %d, want 200", got)
	}
	if got, want := st.engine.SettingsStore().Settings().Velocity.IPv6Prefix, 128; got != want {
		t.Errorf("ipv6_prefix after PUT: got %d, want %d", got, want)
	}
	vel["ipv6_prefix"] = 129
	b, _ = json.Marshal(s)
	var bad admin.SettingsProblems
	if got := st.api(t, http.MethodPut, admin.APIPrefix+"/settings", token, "application/json", string(b), &bad); got != http.StatusUnprocessableEntity || bad.Error.Field != "velocity.ipv6_prefix" {
		t.Errorf("PUT settings with ipv6_prefix 129: got %d, field %q; want 422 on velocity.ipv6_prefix", got, bad.Error.Field)
	}
}

// The admin API answers the reason table a viewer can read: every code
// with its name and description.
func TestAPIReasons(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	var got struct{ Reasons []risk.ReasonInfo }
	if status := st.api(t, "GET", "/api/v1/admin/reasons", st.token(t, auth.RoleViewer), "", "", &got); status != 200 {
		t.Fatalf("GET /api/v1/admin/reasons: %d", status)
	}
	if want := risk.ReasonTable(); !slices.Equal(got.Reasons, want) {
		t.Errorf("reasons: got %d rows, want the %d of risk.ReasonTable", len(got.Reasons), len(want))
	}
}

// A conflict between two settings shows by the one the admin changed; when
// both changed, by the later one in the form. Messages are plain words.
func TestSettingsPageConflictByChangedField(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	adm := st.signIn(t, auth.RoleAdmin)
	adm.get(t, admin.SettingsPath)
	for _, c := range []struct {
		deflect, block, field, message string
	}{
		{"40", "30", "block_at", "The block threshold (30) must be at least the deflect threshold (40)."},
		{"900", "80", "deflect_at", "The deflect threshold (900) must be at most the block threshold (80)."},
		{"900", "70", "block_at", "The block threshold (70) must be at least the deflect threshold (900)."},
	} {
		v := settingsValues(st.engine.SettingsStore().Settings())
		v.Set("deflect_at", c.deflect)
		v.Set("block_at", c.block)
		status, _, body := adm.post(t, admin.SettingsPath, v)
		if status != http.StatusUnprocessableEntity {
			t.Fatalf("deflect %s, block %s: status %d, want 422", c.deflect, c.block, status)
		}
		id := web.FieldID(c.field)
		for _, want := range []string{
			`data-testid="error-` + c.field + `">` + c.message,
			`href="#` + id + `"`,
			`aria-describedby="` + id + `-error" aria-invalid="true" data-testid="` + c.field + `" id="` + id + `"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("deflect %s, block %s: page lacks %s", c.deflect, c.block, want)
			}
		}
		if strings.Count(body, `aria-invalid="true"`) != 1 {
			t.Errorf("deflect %s, block %s: %d fields marked invalid, want 1", c.deflect, c.block, strings.Count(body, `aria-invalid="true"`))
		}
	}
}
