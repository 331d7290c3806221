package handlers

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
)

// dashboardSettings price calls to Cuba at 2.50 and elsewhere at 0.10,
// with a daily budget of one call.
func dashboardSettings(s *risk.Settings) {
	s.Spend.DailyBudget = 10
	s.Spend.Costs = map[string]int64{"CU": 250}
	s.Spend.DefaultCost = 10
}

// decideAll makes one allowed and placed call, one deflected request (the
// budget is spent) and two blocked ones (a blocked country, a denied
// number), through the callback API.
func decideAll(t *testing.T, st *stack) {
	t.Helper()
	_, first, _ := st.post(t, `{"phone":"+1 201 555 0123"}`)
	st.settle(t, first["id"].(string))
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if spent, _ := st.engine.SpentToday(t.Context()); spent > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the placed call was not counted against the budget")
		}
	}
	for _, body := range []string{`{"phone":"+1 201 555 0124"}`, `{"phone":"+53 5 123 4567"}`, `{"phone":"+1 201 555 0166"}`} {
		if status, got, _ := st.post(t, body); status >= 300 {
			t.Fatalf("post %s: got %d %v", body, status, got)
		}
	}
}

// testidText returns the text of the element with data-testid id.
func testidText(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`data-testid="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no element with data-testid %q", id)
	}
	return m[1]
}

func TestDashboardShowsTheCounters(t *testing.T) {
	st := newStack(t, dashboardSettings, &dispatch.Simulator{})
	decideAll(t, st)
	viewer := st.signIn(t, auth.RoleViewer)
	status, _, body := viewer.get(t, admin.Home)
	if status != http.StatusOK {
		t.Fatalf("dashboard: got %d, want 200", status)
	}
	for id, want := range map[string]string{
		"card-requests-value":  "4",
		"card-blocked-value":   "50.0%",
		"card-deflected-value": "25.0%",
		"card-placed-value":    "1",
		"card-avoided-value":   "2.70",
	} {
		if got := testidText(t, body, id); got != want {
			t.Errorf("%s: got %q, want %q", id, got, want)
		}
	}
	if got, want := strings.Count(body, `data-testid="bar-hours"`), 24; got != want {
		t.Errorf("hourly bars: got %d, want %d", got, want)
	}
	if got, want := strings.Count(body, `data-testid="bar-days"`), 7; got != want {
		t.Errorf("daily bars: got %d, want %d", got, want)
	}
	if got, want := strings.Count(body, `class="bar-block"`), 2; got != want {
		t.Errorf("blocked segments (this hour, today): got %d, want %d", got, want)
	}
	if !strings.Contains(body, "<title") || !strings.Contains(body, "4 requests: 1 allowed, 1 deflected, 2 blocked.") {
		t.Error("charts lack a title and a description with the numbers")
	}
	if !strings.Contains(body, risk.MaskNumber("+12015550166")) || strings.Contains(body, "+12015550166") {
		t.Error("top numbers: want the denied number masked, and never in full")
	}
	if strings.Contains(body, `style="`) || strings.Contains(body, "<script>") {
		t.Error("the page has inline style or script, which the CSP refuses")
	}
	if strings.Contains(body, `data-testid="dashboard-empty"`) {
		t.Error("the empty state is shown with data")
	}
}

func TestDashboardEmpty(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	status, _, body := st.signIn(t, auth.RoleAdmin).get(t, admin.Home)
	if status != http.StatusOK || !strings.Contains(body, `data-testid="dashboard-empty"`) {
		t.Fatalf("empty admin.Dashboard: got %d, want 200 with the empty state", status)
	}
	if got, want := testidText(t, body, "card-requests-value"), "0"; got != want {
		t.Errorf("requests: got %q, want %q", got, want)
	}
	if strings.Contains(body, `data-testid="bar-hours"`) {
		t.Error("charts drawn without data")
	}
}

func TestAPIDashboard(t *testing.T) {
	st := newStack(t, dashboardSettings, &dispatch.Simulator{})
	decideAll(t, st)
	token := st.token(t, auth.RoleViewer)
	var got admin.Dashboard
	if status := st.api(t, http.MethodGet, admin.APIPrefix+"/dashboard?top=7", token, "", "", &got); status != http.StatusOK {
		t.Fatalf("status: got %d, want 200", status)
	}
	if got.Requests24h != 4 || got.Allowed24h != 1 || got.Deflected24h != 1 || got.Blocked24h != 2 {
		t.Errorf("last 24 h: got %d requests, %d/%d/%d; want 4, 1/1/2", got.Requests24h, got.Allowed24h, got.Deflected24h, got.Blocked24h)
	}
	if got.PlacedToday != 1 || got.SpendAvoided7d != 270 || got.TopDays != 7 {
		t.Errorf("got placed %d, avoided %d, top days %d; want 1, 270, 7", got.PlacedToday, got.SpendAvoided7d, got.TopDays)
	}
	if len(got.Hours) != 24 || len(got.Days) != 7 {
		t.Errorf("buckets: got %d hours and %d days, want 24 and 7", len(got.Hours), len(got.Days))
	}
	if len(got.Top.NumberCountries) != 2 || got.Top.NumberCountries[0] != (dispatch.Ranked{Value: "US", Count: 2}) {
		t.Errorf("top number countries: got %v, want US 2 first, then CU", got.Top.NumberCountries)
	}
	for _, r := range got.Top.Numbers {
		if !strings.Contains(r.Value, "*") {
			t.Errorf("top number %q is not masked", r.Value)
		}
	}

	var e respond.ErrorResponse
	if status := st.api(t, http.MethodGet, admin.APIPrefix+"/dashboard?top=3", token, "", "", &e); status != http.StatusUnprocessableEntity || e.Error.Field != "top" {
		t.Errorf("top=3: got %d %+v, want 422 on field top", status, e)
	}
}

// While no deflection channel is set the dashboard warns; it shows the
// snippet that frames the form, trusting messages from the form's origin
// only.
func TestDashboardDeflectionNoticeAndEmbedSnippet(t *testing.T) {
	for _, tt := range []struct {
		name     string
		settings func(*risk.Settings)
		deps     []func(*Deps)
		notice   bool
		origin   string
	}{
		{name: "channels set"},
		{name: "hours only", settings: func(s *risk.Settings) { s.Deflect = risk.Channels{Hours: "9-5"} }, notice: true,
			deps: []func(*Deps){func(d *Deps) { d.PublicURL = testPublicURL }}, origin: testPublicURL},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := newStackOn(t, miniRedis(t), tt.settings, &dispatch.Simulator{}, tt.deps...)
			status, _, body := st.signIn(t, auth.RoleViewer).get(t, admin.Home)
			if status != http.StatusOK {
				t.Fatalf("dashboard: status %d", status)
			}
			origin := tt.origin
			if origin == "" {
				origin = st.url // the origin the console was reached at
			}
			if got := strings.Contains(body, `data-testid="notice-no-deflection"`); got != tt.notice {
				t.Errorf("no-deflection notice shown: %v, want %v", got, tt.notice)
			}
			for _, want := range []string{`data-testid="embed-snippet"`, `src=&#34;` + origin + `/?embed=1&#34;`, `e.origin !== &#34;` + origin + `&#34;`, `tollgate:height`} {
				if !strings.Contains(body, want) {
					t.Errorf("dashboard lacks %s", want)
				}
			}
		})
	}
}
