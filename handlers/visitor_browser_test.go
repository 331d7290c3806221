package handlers

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// startVisitorServer serves the form like startRealServer, with the
// deflection channels *channels holds, framed by ancestors.
func startVisitorServer(t *testing.T, channels *atomic.Pointer[Deflection], ancestors ...string) string {
	t.Helper()
	engine, _ := realEngine(t)
	e := NewServer(Deps{
		Engine:         engine,
		Channels:       func() Deflection { return *channels.Load() },
		Calls:          &fakeQueue{RecordFunc: func(context.Context, risk.Decision, *dispatch.Call) error { return nil }},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		Form: FormConfig{DefaultRegion: "US", Secret: []byte(rand.Text()), MinFillTime: browserMinFill,
			FrameAncestors: ancestors},
	})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv.URL
}

// waitFor waits until the element sel matches is visible.
func waitFor(t *testing.T, ctx context.Context, sel string, what string) {
	t.Helper()
	if err := chromedp.Do(within(t, ctx), chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		t.Fatalf("%s: %s never showed: %v", what, sel, err)
	}
}

// fillAndSend opens the form at url, types phone, ticks consent when
// asked, waits out the minimum fill time and sends it with Enter; with
// noCookie, after forgetting the form's cookie.
func fillAndSend(t *testing.T, ctx context.Context, url, phone string, consent, noCookie bool) {
	t.Helper()
	if err := chromedp.Do(within(t, ctx), chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`[data-testid="callback-form"]`)),
		chromedp.SendKeys(chromedp.ID("phone"), phone)); err != nil {
		t.Fatalf("filling the form: %v", err)
	}
	if consent {
		if err := chromedp.Do(within(t, ctx), chromedp.Click(chromedp.ID("consent"))); err != nil {
			t.Fatal(err)
		}
	}
	if noCookie {
		if _, err := chromedp.Call(within(t, ctx), network.ClearBrowserCookies, cdp.Empty{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(within(t, ctx), chromedp.Sleep(browserMinFill), chromedp.SendKeys(chromedp.ID("phone"), kb.Enter)); err != nil {
		t.Fatalf("sending the form: %v", err)
	}
}

// assertEveryError checks the form shows each field's error at once: in
// the summary, linked to the field, next to the field and tied to it, the
// summary holding the focus. eval runs an expression in the form's page.
func assertEveryError(t *testing.T, eval func(string) string, fields ...string) {
	t.Helper()
	var links []string
	for _, f := range fields {
		links = append(links, "#"+f)
	}
	if got, want := eval(`[...document.querySelectorAll('[data-testid="error-summary"] a')].map(a => a.getAttribute("href")).join(" ")`), strings.Join(links, " "); got != want {
		t.Errorf("error summary links: got %q, want %q, all in one pass", got, want)
	}
	for _, f := range fields {
		expr := fmt.Sprintf(`(() => { const e = document.getElementById(%q); const msg = document.getElementById(%q);
			return [e.getAttribute("aria-invalid"), (e.getAttribute("aria-describedby") || "").split(" ").includes(%q), !!msg && msg.offsetHeight > 0].join(" ") })()`, f, f+"-error", f+"-error")
		if got := eval(expr); got != "true true true" {
			t.Errorf("field %s: aria-invalid, described by its error, error shown: got %q, want \"true true true\"", f, got)
		}
	}
	if got := eval(`document.activeElement.dataset.testid || document.activeElement.id`); got != "error-summary" {
		t.Errorf("focus after the failed submission is on %q, want the error summary", got)
	}
}

// The form's states at a phone's and a desktop's width: empty, with
// several errors at once, thanked, and deflected with and without
// channels, each fitting the window and passing axe-core.
func TestVisitorPagesInBrowser(t *testing.T) {
	axeScript(t)
	var channels atomic.Pointer[Deflection]
	channels.Store(&Deflection{})
	for _, width := range []int64{375, 1280} {
		// A fresh store per width, so one visitor's requests do not add
		// up to a refusal.
		url := startVisitorServer(t, &channels)
		ctx := newBrowserSized(t, width, 900)
		eval := func(expr string) string { return evaluate[string](t, ctx, expr) }
		name := func(state string) string { return fmt.Sprintf("visitor-%s-%d", state, width) }

		if err := chromedp.Do(within(t, ctx), chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`[data-testid="callback-form"]`))); err != nil {
			t.Fatal(err)
		}
		checkPage(t, ctx, name("form"))

		// A name past its limit (typed around maxlength), a number too
		// short for Britain and no consent: all three at once.
		evaluate[string](t, ctx, `document.getElementById("name").value = "a".repeat(101)`)
		if err := chromedp.Do(within(t, ctx), chromedp.SendKeys(chromedp.ID("phone"), "020 79"), chromedp.Sleep(browserMinFill),
			chromedp.SendKeys(chromedp.ID("phone"), kb.Enter), chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-summary"]`))); err != nil {
			t.Fatalf("sending a form with three errors: %v", err)
		}
		assertEveryError(t, eval, web.FieldName, web.FieldPhone, web.FieldConsent)
		checkPage(t, ctx, name("errors"))

		fillAndSend(t, ctx, url, "020 7946 0123", true, false)
		waitFor(t, ctx, `[data-testid="callback-accepted"]`, "a filled form")
		if got, want := eval(`document.querySelector('[data-testid="callback-number"]').textContent`), risk.MaskNumber("+442079460123"); got != want {
			t.Errorf("number on the thank-you page: got %q, want %q", got, want)
		}
		if got := eval(`document.querySelector('[data-testid="callback-reference"]').textContent`); !regexp.MustCompile(`^[A-Z2-7]{4}-[A-Z2-7]{4}$`).MatchString(got) {
			t.Errorf("reference on the thank-you page: got %q, want four and four upper-case letters and digits", got)
		}
		checkPage(t, ctx, name("accepted"))

		// A form without its cookie's token is deflected; each from an
		// address of its own, so the visitor's earlier requests (the bad
		// number among them) do not add up to a refusal.
		for i, ch := range []Deflection{{}, {ChatURL: "https://example.com/chat", Phone: "+44 20 7946 0000", Hours: "Mon–Fri 9:00–17:00"}} {
			channels.Store(&ch)
			if _, err := chromedp.Call(within(t, ctx), network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
				Headers: network.Headers{"X-Forwarded-For": fmt.Sprintf("198.51.100.%d", 30+i)},
			}); err != nil {
				t.Fatal(err)
			}
			state := "deflected-none"
			if ch.Phone != "" {
				state = "deflected-channels"
			}
			fillAndSend(t, ctx, url+"/?flow=sales", "020 7946 0124", true, true)
			waitFor(t, ctx, `[data-testid="callback-deflected"]`, "a form without its cookie")
			if got, want := eval(`document.querySelector('[data-testid="deflect-back"]').getAttribute("href")`), "/?flow=sales"; got != want {
				t.Errorf("%s: link back to the form: got %q, want %q", state, got, want)
			}
			if got, want := eval(`String(!!document.querySelector('[data-testid="deflect-phone"]'))`), fmt.Sprint(ch.Phone != ""); got != want {
				t.Errorf("%s: phone channel shown: %s, want %s", state, got, want)
			}
			checkPage(t, ctx, name(state))
		}
		channels.Store(&Deflection{})
	}
}

// frameEval runs expr in the page of the frame whose URL starts with
// prefix, in an isolated world: the frame's DOM, not its scripts.
func frameEval(t *testing.T, ctx context.Context, prefix, expr string) string {
	t.Helper()
	ctx = within(t, ctx)
	var id cdp.FrameID
	var seen []string
	for deadline := time.Now().Add(10 * time.Second); id == ""; time.Sleep(100 * time.Millisecond) {
		tree, err := chromedp.Call(ctx, page.GetFrameTree, cdp.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		seen = seen[:0]
		for _, f := range tree.FrameTree.ChildFrames {
			seen = append(seen, f.Frame.URL)
			if strings.HasPrefix(f.Frame.URL, prefix) {
				id = f.Frame.ID
			}
		}
		if id == "" && time.Now().After(deadline) {
			t.Fatalf("no frame at %s; frames: %q", prefix, seen)
		}
	}
	world, err := chromedp.Call(ctx, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{FrameID: id})
	if err != nil {
		t.Fatal(err)
	}
	byValue := true
	res, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: expr, ContextID: world.ExecutionContextID, ReturnByValue: &byValue})
	if err != nil {
		t.Fatalf("in the frame: %v", err)
	}
	if res.ExceptionDetails != nil {
		t.Fatalf("in the frame: %s: %s", expr, res.ExceptionDetails.Text)
	}
	var out string
	if err := json.Unmarshal(res.Result.Value, &out); err != nil {
		t.Fatalf("in the frame: %s gave %s, want a string", expr, res.Result.Value)
	}
	return out
}

// Embedded on another origin with the console's snippet, the form fits
// its frame: the frame gets the height message and takes the height, and
// after a failed submission the error summary inside the frame has the
// focus.
func TestEmbeddedFormInCrossOriginFrameInBrowser(t *testing.T) {
	var channels atomic.Pointer[Deflection]
	channels.Store(&Deflection{})
	var formURL string
	parent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><title>Shop</title><body style="margin:0;background:#e8e0d0">
<h1>Our shop</h1>
%s
<script>
  window.heights = [];
  window.addEventListener("message", function (e) { window.heights.push([e.origin, e.data && e.data.type, e.data && e.data.height]); });
</script>
<p id="below">Below the form</p></body></html>`, web.EmbedSnippet(formURL+"/"))
	}))
	t.Cleanup(parent.Close)
	formURL = startVisitorServer(t, &channels, parent.URL)
	if strings.TrimPrefix(parent.URL, "http://127.0.0.1:") == strings.TrimPrefix(formURL, "http://127.0.0.1:") {
		t.Fatal("parent and form on one origin")
	}

	for _, width := range []int64{375, 1280} {
		ctx := newBrowserSized(t, width, 900)
		if err := chromedp.Do(within(t, ctx), chromedp.Navigate(parent.URL)); err != nil {
			t.Fatal(err)
		}
		fitted := func(step string) {
			t.Helper()
			var last []any
			deadline := time.Now().Add(10 * time.Second)
			for {
				msgs := evaluate[[][]any](t, ctx, `window.heights`)
				if len(msgs) > 0 {
					last = msgs[len(msgs)-1]
				}
				content := frameEval(t, ctx, formURL, `String(Math.ceil(document.documentElement.getBoundingClientRect().height))`)
				frameHeight := evaluate[float64](t, ctx, `document.getElementById("tollgate-form").getBoundingClientRect().height`)
				if last != nil && fmt.Sprint(last[2]) == content && math.Abs(frameHeight-float64(atoi(content))) < 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s at %d px: last message %v, content %s px, frame %.0f px: the frame does not fit its content", step, width, last, content, frameHeight)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if last[0] != formURL || last[1] != "tollgate:height" {
				t.Errorf("%s: message %v, want tollgate:height from %s", step, last, formURL)
			}
		}
		waitFor(t, ctx, `#tollgate-form`, "the parent page")
		fitted("the empty form")
		screenshot(t, ctx, fmt.Sprintf("visitor-embedded-form-%d.png", width), "the form framed by another origin")

		// Send it from inside the frame, with the keyboard: a short
		// number, no consent.
		frames, err := chromedp.Run(within(t, ctx), chromedp.Nodes(chromedp.CSS(`#tollgate-form`)))
		if err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(within(t, ctx), chromedp.Sleep(browserMinFill),
			chromedp.SendKeys(chromedp.CSS(`#phone`), "020 79"+kb.Enter, chromedp.FromNode(frames[0]))); err != nil {
			t.Fatalf("typing in the frame: %v", err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for frameEval(t, ctx, formURL, `String(!!document.querySelector('[data-testid="error-summary"]'))`) != "true" {
			if time.Now().After(deadline) {
				t.Fatal("no error summary in the frame after a bad submission")
			}
			time.Sleep(100 * time.Millisecond)
		}
		assertEveryError(t, func(expr string) string { return frameEval(t, ctx, formURL, "String("+expr+")") }, web.FieldPhone, web.FieldConsent)
		fitted("the form with its errors")
		screenshot(t, ctx, fmt.Sprintf("visitor-embedded-errors-%d.png", width), "the framed form with its errors")
	}
}

// atoi reads a decimal number, 0 when it is none.
func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}
