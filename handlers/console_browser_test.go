package handlers

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tollgate/tollgate/contactflows/dispatch"
)

// On a phone-sized window: the charts' axis text is at least 11 px as
// drawn with several y ticks, each decision row's buttons have names of
// their own, the detail page's primary action matches the decision, and
// the list's date field shows only for a date expiry.
func TestConsoleReadableInBrowser(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	for _, body := range []string{`{"phone":"+1 201 555 0123","name":"Ann"}`, `{"phone":"+53 5 123 4567"}`, `{"phone":"+1 201 555 0124"}`} {
		if status, _, _ := st.post(t, body); status/100 != 2 {
			t.Fatalf("seeding %s: status %d", body, status)
		}
	}
	ctx := consoleBrowserSized(t, st, 375)

	openConsolePage(t, ctx, st.url+"/admin/dashboard", `[data-testid="axis-hours"]`)
	if got := evaluate[float64](t, ctx, `Math.min(...[...document.querySelectorAll(".chart-axis text, .chart text")].filter(e => e.getBBox().width > 0).map(e => parseFloat(getComputedStyle(e).fontSize) * e.getScreenCTM().a))`); got < 11 {
		t.Errorf("smallest axis text drawn at %.1f px, want at least 11", got)
	}
	if got := evaluate[int](t, ctx, `document.querySelectorAll('[data-testid="axis-hours"] text').length`); got < 3 {
		t.Errorf("hourly chart's y axis has %d ticks, want at least 3", got)
	}
	if got := evaluate[int](t, ctx, `document.querySelectorAll('[data-testid="chart-table-hours"] tbody tr').length`); got != 24 {
		t.Errorf("hourly chart's table has %d rows, want 24", got)
	}

	openConsolePage(t, ctx, st.url+"/admin/decisions", `[data-testid="decisions-table"]`)
	names := evaluate[[]string](t, ctx, `[...document.querySelectorAll('[data-testid="decisions-table"] tbody button')].map(b => b.getAttribute("aria-label") || b.textContent)`)
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("two row buttons are named %q", n)
		}
		seen[n] = true
	}
	if len(names) != 6 {
		t.Errorf("row buttons: %q, want a Mark spam and a Mark legit per decision", names)
	}
	for action, primary := range map[string]string{"block": "mark-spam-submit", "allow": "mark-legit-submit"} {
		openConsolePage(t, ctx, st.url+"/admin/decisions?action="+action, `[data-testid="decisions-table"]`)
		if err := chromedp.Do(within(t, ctx),
			chromedp.Click(chromedp.CSS(`[data-testid="decisions-table"] tbody a`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="decision-detail"]`)),
		); err != nil {
			t.Fatalf("opening a decision: %v", err)
		}
		if got := evaluate[string](t, ctx, `document.querySelector("button.primary[data-testid$='-submit']").dataset.testid`); got != primary {
			t.Errorf("%s decision: the primary action is %s, want %s", action, got, primary)
		}
	}

	openConsolePage(t, ctx, st.url+"/admin/lists/deny_number", `[data-testid="add-entry"]`)
	dateShown := `document.querySelector('[data-testid="add-date"]').offsetParent !== null`
	if evaluate[bool](t, ctx, dateShown) {
		t.Error("the expiry date shows with 'never' chosen")
	}
	if err := chromedp.Do(within(t, ctx), chromedp.Click(chromedp.CSS(`[data-testid="add-expiry-date"]`))); err != nil {
		t.Fatal(err)
	}
	if !evaluate[bool](t, ctx, dateShown) {
		t.Error("the expiry date is hidden with 'at the end of a date' chosen")
	}
}

// With scripts off, a list entry's Remove link, named after the entry,
// leads to a confirmation page whose button removes it.
func TestConsoleRemoveConfirmsWithoutScript(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	ctx := consoleBrowserSized(t, st, 375)
	if _, err := chromedp.Call(within(t, ctx), emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	openConsolePage(t, ctx, st.url+"/admin/lists/deny_number", `[data-testid="add-value"]`)
	if err := chromedp.Do(within(t, ctx),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="add-value"]`), "+12015550166"+kb.Enter),
		// The row's last cell, not its first: a page still arriving may
		// show a row before its Remove link.
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="remove-+12015550166"]`)),
	); err != nil {
		t.Fatalf("adding an entry: %v", err)
	}
	remove := `[data-testid="remove-+12015550166"]`
	if got, want := evaluate[string](t, ctx, `document.querySelector('`+remove+`').getAttribute("aria-label")`), "Remove +12015550166 from Denied numbers"; got != want {
		t.Errorf("remove link named %q, want %q", got, want)
	}
	if err := chromedp.Do(within(t, ctx),
		chromedp.Click(chromedp.CSS(remove)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="remove-confirm"]`)),
	); err != nil {
		t.Fatalf("opening the confirmation: %v", err)
	}
	screenshot(t, ctx, "console-remove-confirm-noscript-375.png", "the remove confirmation without scripts")
	if err := chromedp.Do(within(t, ctx),
		chromedp.Click(chromedp.CSS(`[data-testid="remove-confirm-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)),
	); err != nil {
		t.Fatalf("confirming: %v", err)
	}
	if got := text(t, ctx, `[data-testid="flash"]`); !strings.Contains(got, "+12015550166 removed from deny_number") {
		t.Errorf("flash %q, want the removal confirmed", got)
	}
	if evaluate[bool](t, ctx, `!!document.querySelector('[data-testid="entry-+12015550166"]')`) {
		t.Error("the entry is still listed")
	}
}
