package handlers

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tollgate/tollgate/contactflows/dispatch"
)

// The settings page fits a phone and a desktop window and axe-core finds
// nothing wrong with it, before and after a failed save. After a save
// with two problems, the summary has the focus and links to both fields;
// each problem sits by the field the admin changed, which says it is
// invalid and points at its message.
func TestSettingsPageFitsAndShowsProblems(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	for _, width := range []int64{375, 1280} {
		ctx := consoleBrowserSized(t, st, width)
		openConsolePage(t, ctx, st.url+"/admin/settings", `[data-testid="settings-form"]`)
		if got := evaluate[int](t, ctx, `document.querySelectorAll(".settings-toc a").length`); got != 9 {
			t.Errorf("table of contents: got %d links, want 9", got)
		}
		checkPage(t, ctx, fmt.Sprintf("settings-%d", width))

		// The deflect threshold goes past the block threshold, which is
		// left as it is, and a window reads as nothing.
		evaluate[bool](t, ctx, `(() => {
			document.getElementById("field-deflect_at").value = "900";
			document.getElementById("field-velocity-ip-0-window").value = "soon";
			return true;
		})()`)
		if err := chromedp.Do(within(t, ctx),
			chromedp.Click(chromedp.CSS(`[data-testid="settings-save"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="settings-errors"]`)),
		); err != nil {
			t.Fatalf("saving: %v", err)
		}
		if got := focused(t, ctx); got != "settings-errors" {
			t.Errorf("%d px: focus after a failed save on %q, want the summary", width, got)
		}
		links := evaluate[[]string](t, ctx, `[...document.querySelectorAll("#settings-errors a")].map(a => a.getAttribute("href") + " " + a.textContent)`)
		want := []string{
			"#field-velocity-ip-0-window The window for requests from one IP (row 1) must be a duration such as 30 s, 15 min, 1 h or 2 h 30 min; “soon” does not start with a number.",
			"#field-deflect_at The deflect threshold (900) must be at most the block threshold (80).",
		}
		if fmt.Sprint(links) != fmt.Sprint(want) {
			t.Errorf("%d px: summary links\n got %q\nwant %q", width, links, want)
		}
		for _, id := range []string{"field-deflect_at", "field-velocity-ip-0-window"} {
			got := evaluate[string](t, ctx, `(() => {
				const f = document.getElementById(`+jsString(id)+`);
				const msg = document.getElementById(f.getAttribute("aria-describedby") || "none");
				if (f.getAttribute("aria-invalid") !== "true") return "not aria-invalid=true";
				if (!msg) return "no message it describes itself by";
				if (msg.parentElement !== f.parentElement) return "message not by the field";
				return "";
			})()`)
			if got != "" {
				t.Errorf("%d px: %s: %s", width, id, got)
			}
		}
		if got := evaluate[string](t, ctx, `document.getElementById("field-block_at").getAttribute("aria-invalid") || ""`); got != "" {
			t.Errorf("%d px: the unchanged block threshold is aria-invalid=%q, want no mark", width, got)
		}
		checkPage(t, ctx, fmt.Sprintf("settings-errors-%d", width))
	}
}
