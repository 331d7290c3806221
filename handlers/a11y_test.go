package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/tollgate/tollgate/contactflows/dispatch"
)

// axeFile is axe-core's script, installed by `npm ci --prefix .ci` (.ci/run
// does it) from .ci/package.json.
const axeFile = ".ci/node_modules/axe-core/axe.min.js"

var axeOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			b, err := os.ReadFile(filepath.Join(dir, axeFile))
			return string(b), err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the test's directory")
		}
		dir = parent
	}
})

// axeScript is axe-core's source. Without it the accessibility checks are
// skipped, except under CI=true, where they fail.
func axeScript(t *testing.T) string {
	t.Helper()
	src, err := axeOnce()
	if err == nil {
		return src
	}
	msg := fmt.Sprintf("axe-core not found (%v); install it with npm ci --prefix .ci to run the accessibility checks", err)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// axeViolation is one rule axe-core found broken, with where.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// checkPage checks the page the browser shows, named name, at the
// viewport's width: no sideways scroll of the page itself (a wide table
// may scroll inside its own box), and no axe-core violation of WCAG 2.1
// A and AA. It keeps a full-page screenshot as name.png.
func checkPage(t *testing.T, bctx context.Context, name string) {
	t.Helper()
	screenshot(t, bctx, name+".png", name)
	if over := evaluate[string](t, bctx, `(() => {
		const w = document.documentElement.clientWidth;
		if (document.documentElement.scrollWidth <= w) return "";
		const wide = [...document.querySelectorAll("body *")].filter(e => {
			const r = e.getBoundingClientRect();
			return r.right > w + 1 && getComputedStyle(e).position !== "fixed";
		}).filter(e => !e.closest(".scroll-x"));
		return document.documentElement.scrollWidth + " px in a " + w + " px window; widest: " +
			wide.slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).split(" ").join(".") : "") + " (" + Math.round(e.getBoundingClientRect().right) + ")").join(", ");
	})()`); over != "" {
		t.Errorf("%s scrolls sideways: %s", name, over)
	}
	vs := axeViolations(t, bctx, name)
	for _, v := range vs {
		var where []string
		for i, n := range v.Nodes {
			if i == 3 {
				where = append(where, fmt.Sprintf("and %d more", len(v.Nodes)-3))
				break
			}
			where = append(where, fmt.Sprint(n.Target))
		}
		t.Errorf("%s: axe %s (%s): %s at %s", name, v.ID, v.Impact, v.Help, strings.Join(where, "; "))
	}
}

// axeViolations runs axe-core's WCAG 2.1 A and AA rules on the page the
// browser shows.
func axeViolations(t *testing.T, bctx context.Context, name string) []axeViolation {
	t.Helper()
	src := axeScript(t)
	if _, err := chromedp.Run(within(t, bctx), chromedp.Evaluate[*runtime.RemoteObject](src)); err != nil {
		t.Fatalf("%s: loading axe-core: %v", name, err)
	}
	raw, err := chromedp.Run(within(t, bctx), chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: running axe-core: %v", name, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		t.Fatalf("%s: axe-core's answer: %v", name, err)
	}
	return vs
}

// consolePages are the console's pages the checks visit, each with an
// element that shows it is ready.
var consolePages = []struct{ name, path, ready string }{
	{"dashboard", "/admin/dashboard", `[data-testid="card-requests"]`},
	{"decisions", "/admin/decisions", `[data-testid="decisions-table"]`},
	{"calls", "/admin/calls", `[data-testid="queue-counts"]`},
	{"ivr", "/admin/ivr", `[data-testid="ivr-table"]`},
	{"lists", "/admin/lists/deny_number", `[data-testid="list-table"]`},
	{"list-import", "/admin/lists/deny_number/import", `form`},
	{"policy", "/admin/policy", `[data-testid="policy-order"]`},
	{"settings", "/admin/settings", `[data-testid="settings-form"]`},
	{"audit", "/admin/audit", `[data-testid="audit-table"]`},
	{"users", "/admin/users", `main`},
	{"tokens", "/admin/tokens", `[data-testid="tokens-table"]`},
}

// Every console page fits a phone and a desktop window without scrolling
// sideways, with a day's worth of varied decisions in it, and axe-core
// finds nothing wrong with it.
func TestConsoleFitsAndIsAccessible(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	for _, body := range []string{
		`{"phone":"+1 201 555 0123","name":"Ann"}`,
		`{"phone":"+12015550166"}`,
		`{"phone":"+44 20 7946 0123","name":"A visitor with a rather long name indeed"}`,
		`{"phone":"+53 5 123 4567"}`,
	} {
		if status, _, _ := st.post(t, body); status/100 != 2 {
			t.Fatalf("seeding %s: status %d", body, status)
		}
	}
	for _, width := range []int64{375, 1280} {
		ctx := consoleBrowserSized(t, st, width)
		for _, p := range consolePages {
			openConsolePage(t, ctx, st.url+p.path, p.ready)
			checkPage(t, ctx, fmt.Sprintf("console-%s-%d", p.name, width))
		}
		openConsolePage(t, ctx, st.url+"/admin/decisions", `[data-testid="decisions-table"]`)
		if err := chromedp.Do(within(t, ctx),
			chromedp.Click(chromedp.CSS(`[data-testid="decisions-table"] tbody a`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="decision-detail"]`)),
		); err != nil {
			t.Fatalf("opening a decision: %v", err)
		}
		checkPage(t, ctx, fmt.Sprintf("console-decision-%d", width))
	}
}

// The check can fail: a field without a label is a violation.
func TestAxeFindsAnUnlabelledField(t *testing.T) {
	axeScript(t)
	ctx := newBrowserSized(t, 375, 600)
	page := `data:text/html,<!doctype html><html lang="en"><title>t</title><main><input type="text"></main></html>`
	if err := chromedp.Do(within(t, ctx), chromedp.Navigate(page)); err != nil {
		t.Fatal(err)
	}
	vs := axeViolations(t, ctx, "unlabelled field")
	if len(vs) == 0 || !slices.ContainsFunc(vs, func(v axeViolation) bool { return v.ID == "label" }) {
		t.Errorf("axe-core found %+v on a page with an unlabelled field, want the label rule broken", vs)
	}
}
