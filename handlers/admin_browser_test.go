package handlers

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/admin/auth"
)

// consoleBrowser is a desktop-sized browser signed in to st's console as
// an admin named "admin".
func consoleBrowser(t *testing.T, st *stack) context.Context {
	t.Helper()
	return consoleBrowserSized(t, st, 1280)
}

// consoleBrowserSized is consoleBrowser with a window width CSS pixels
// wide.
func consoleBrowserSized(t *testing.T, st *stack, width int64) context.Context {
	t.Helper()
	if _, err := st.users.CreateUser(context.Background(), "admin", testPassword, auth.RoleAdmin); err != nil && !errors.Is(err, auth.ErrUserExists) {
		t.Fatal(err)
	}
	ctx := newBrowserSized(t, width, 900)
	if err := chromedp.Do(within(t, ctx),
		chromedp.Navigate(st.url+"/admin"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="sign-in-name"]`)),
	); err != nil {
		t.Fatalf("opening the console: %v", err)
	}
	screenshot(t, ctx, "console-sign-in.png", "the sign-in page")
	if err := chromedp.Do(within(t, ctx),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="sign-in-name"]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="sign-in-password"]`), testPassword+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="signed-in-user"]`)),
	); err != nil {
		t.Fatalf("signing in: %v", err)
	}
	return ctx
}

// openConsolePage navigates to a console path and waits for the element
// ready names.
func openConsolePage(t *testing.T, ctx context.Context, url, ready string) {
	t.Helper()
	if err := chromedp.Do(within(t, ctx), chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(ready))); err != nil {
		t.Fatalf("opening %s: %v", url, err)
	}
}

// text is the text content of the first element matching css.
func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	return evaluate[string](t, ctx, `(document.querySelector(`+jsString(css)+`) || {}).textContent || ""`)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// Sign in, manage users and tokens, and see every page in the console's
// look, keeping screenshots.
func TestConsoleUsersInBrowser(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	ctx := consoleBrowser(t, st)
	openConsolePage(t, ctx, st.url+admin.UsersPath, `[data-testid="users-table"]`)
	if err := chromedp.Do(within(t, ctx),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="new-user-name"]`), "viewer.one"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="new-user-password"]`), testPassword+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)),
	); err != nil {
		t.Fatalf("adding a user: %v", err)
	}
	if got := text(t, ctx, `[data-testid="user-viewer.one"]`); !strings.Contains(got, "viewer") {
		t.Errorf("new user's row: %q, want it listed as a viewer", got)
	}
	screenshot(t, ctx, "console-users.png", "the users page")
}

// Every console page, with a few decisions behind it, in a desktop
// browser: each renders in the console's frame without sideways scrolling.
// The screenshots are the console's look, kept as artefacts.
func TestConsoleTourInBrowser(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	for _, body := range []string{
		`{"phone":"+1 201 555 0123","name":"Ann"}`,
		`{"phone":"+12015550166"}`,
		`{"phone":"+44 20 7946 0123"}`,
	} {
		if status, _, _ := st.post(t, body); status/100 != 2 {
			t.Fatalf("seeding %s: status %d", body, status)
		}
	}
	ctx := consoleBrowser(t, st)
	pages := []struct{ section, ready string }{
		{"dashboard", `[data-testid="card-requests"]`},
		{"decisions", `[data-testid="decisions-table"]`},
		{"calls", `[data-testid="queue-counts"]`},
		{"ivr", `[data-testid="ivr-table"]`},
		{"lists", `[data-testid="list-table"]`},
		{"policy", `[data-testid="policy-order"]`},
		{"settings", `[data-testid="settings-form"]`},
		{"audit", `[data-testid="audit-table"]`},
		{"tokens", `[data-testid="tokens-table"]`},
	}
	for _, p := range pages {
		openConsolePage(t, ctx, st.url+"/admin/"+p.section, p.ready)
		if got := evaluate[string](t, ctx, `document.querySelector('[aria-current="page"]').dataset.testid`); got != "nav-"+p.section {
			t.Errorf("%s: the nav marks %q as the current page", p.section, got)
		}
		if w := evaluate[int](t, ctx, `document.documentElement.scrollWidth`); w > 1280 {
			t.Errorf("%s: the page is %d pixels wide in a 1280-pixel window", p.section, w)
		}
		screenshot(t, ctx, "console-"+p.section+".png", "the "+p.section+" page")
	}
	openConsolePage(t, ctx, st.url+"/admin/decisions", `[data-testid="decisions-table"]`)
	if err := chromedp.Do(within(t, ctx),
		chromedp.Click(chromedp.CSS(`[data-testid="decisions-table"] tbody a`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="decision-detail"]`)),
	); err != nil {
		t.Fatalf("opening a decision: %v", err)
	}
	screenshot(t, ctx, "console-decision.png", "a decision's detail")
}

// The scenario: an admin signs in, deny-lists a number, a visitor
// asks for a call to it with the public form, the admin finds the
// decision blocked with the deny-list reason, marks another request as
// spam, and sees both changes in the audit log.
func TestConsoleScenarioInBrowser(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	ctx := consoleBrowser(t, st)

	openConsolePage(t, ctx, st.url+"/admin/lists/deny_number", `[data-testid="add-value"]`)
	if err := chromedp.Do(within(t, ctx),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="add-value"]`), "+1 201 555 0177"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="add-reason"]`), "IRSF wave, ticket 4711"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="entry-+12015550177"]`)),
	); err != nil {
		t.Fatalf("deny-listing a number: %v", err)
	}
	screenshot(t, ctx, "console-scenario-list.png", "the deny list with the new number")

	openConsolePage(t, ctx, st.url+"/", `[data-testid="callback-form"]`)
	opened := time.Now()
	if err := chromedp.Do(within(t, ctx),
		chromedp.SendKeys(chromedp.ID("name"), "Mallory"),
		chromedp.SendKeys(chromedp.ID("phone"), "+1 201 555 0177"),
		chromedp.Click(chromedp.ID("consent")),
	); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(opened.Add(1600 * time.Millisecond))) // the stack's minimum fill time
	if err := chromedp.Do(within(t, ctx),
		chromedp.SendKeys(chromedp.ID("phone"), kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="callback-accepted"]`)),
	); err != nil {
		t.Fatalf("sending the form: %v", err)
	}

	openConsolePage(t, ctx, st.url+"/admin/decisions?action=block", `[data-testid="decisions-table"]`)
	row := text(t, ctx, `[data-testid="decisions-table"] tbody tr`)
	if !strings.Contains(row, "+1201*****77") || !strings.Contains(row, "Number on the deny list") || !strings.Contains(row, "block") {
		t.Errorf("newest blocked decision: %q, want +1201*****77 blocked, the reason named Number on the deny list", row)
	}
	screenshot(t, ctx, "console-scenario-decisions.png", "the blocked decision in the log")

	status, other, _ := st.post(t, `{"phone":"+1 201 555 0788","name":"Bot"}`)
	if status != 202 {
		t.Fatalf("second request: status %d", status)
	}
	id, _ := other["id"].(string)
	openConsolePage(t, ctx, st.url+"/admin/decisions", `[data-testid="spam-`+id+`"]`)
	if err := chromedp.Do(within(t, ctx),
		chromedp.Click(chromedp.CSS(`[data-testid="spam-`+id+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)),
	); err != nil {
		t.Fatalf("marking spam: %v", err)
	}
	if got := text(t, ctx, `[data-testid="flash"]`); !strings.Contains(got, "+12015550788") {
		t.Errorf("flash after marking spam: %q, want it to name the number", got)
	}

	openConsolePage(t, ctx, st.url+"/admin/audit", `[data-testid="audit-table"]`)
	audit := text(t, ctx, `[data-testid="audit-table"]`)
	for _, want := range []string{"list.add", "+12015550177", "decision.mark_spam", "admin"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %q: %s", want, audit)
		}
	}
	screenshot(t, ctx, "console-scenario-audit.png", "the audit log after the scenario")
}
