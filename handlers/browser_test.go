package handlers

import (
	"context"
	"crypto/rand"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/risk"
)

// browserMinFill is the minimum fill time of the server the browser
// tests: short, so the test waits little, but not zero.
const browserMinFill = 200 * time.Millisecond

// browserVisitorIP is where the browser's requests seem to come from: a
// British broadband address in the demo GeoIP database.
const browserVisitorIP = "198.51.100.7"

// headlessBrowser returns the path of Debian's chromium-headless-shell.
// Without it the test is skipped, except under CI=true, where it fails.
func headlessBrowser(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium-headless-shell")
	if err == nil {
		return path
	}
	msg := "chromium-headless-shell not found on PATH; install it (Debian: apt-get install chromium-headless-shell) to run the browser test"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// artifactPath is where the test writes the file name: under
// $TOLLGATE_TEST_ARTIFACTS when set, else in the test's temporary
// directory.
func artifactPath(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("TOLLGATE_TEST_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name)
}

// startRealServer serves the form on a loopback port with a real engine on
// miniredis and the demo GeoIP databases, trusting the browser's loopback
// address as a proxy so its X-Forwarded-For places it. Queued calls arrive
// on the channel.
func startRealServer(t *testing.T) (url string, calls <-chan dispatch.Call) {
	t.Helper()
	engine, _ := realEngine(t)
	queued := make(chan dispatch.Call, 4)
	e := NewServer(Deps{
		Engine: engine, Channels: EngineChannels(engine),
		Calls: &fakeQueue{RecordFunc: func(_ context.Context, _ risk.Decision, c *dispatch.Call) error {
			if c != nil {
				queued <- *c
			}
			return nil
		}},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		Form:           FormConfig{DefaultRegion: "US", Secret: []byte(rand.Text()), MinFillTime: browserMinFill},
	})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv.URL, queued
}

// newBrowser starts a headless browser tab sending X-Forwarded-For:
// browserVisitorIP, with a phone-sized viewport 320 CSS pixels wide.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return newBrowserSized(t, 320, 900)
}

// newBrowserSized is newBrowser with a viewport of width by height CSS
// pixels.
func newBrowserSized(t *testing.T, width, height int64) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(headlessBrowser(t)), chromedp.WindowSize(int(width), int(height)))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("starting the browser: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
		Headers: network.Headers{"X-Forwarded-For": browserVisitorIP},
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// screenshot keeps a full-page screenshot as the artefact name, logging
// where with what it shows.
func screenshot(t *testing.T, ctx context.Context, name, what string) {
	t.Helper()
	shot, err := chromedp.Run(within(t, ctx), chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	path := artifactPath(t, name)
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %s", what, path)
}

// within bounds one step of the test.
func within(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// evaluate runs a JavaScript expression in the page and returns its value.
func evaluate[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(within(t, ctx), chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// focused is the id of the element with the keyboard focus.
func focused(t *testing.T, ctx context.Context) string {
	t.Helper()
	return evaluate[string](t, ctx, `document.activeElement ? document.activeElement.id : ""`)
}

// openFormInBrowser loads the form and checks it fits a 320-pixel screen
// and preselects the visitor's country.
func openFormInBrowser(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if err := chromedp.Do(within(t, ctx), chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`[data-testid="callback-form"]`))); err != nil {
		t.Fatalf("opening the form: %v", err)
	}
	if got := evaluate[string](t, ctx, `document.getElementById("region").value`); got != "GB" {
		t.Errorf("country preselected for a visitor from %s: got %q, want GB", browserVisitorIP, got)
	}
	if w := evaluate[int](t, ctx, `document.documentElement.scrollWidth`); w > 320 {
		t.Errorf("page is %d pixels wide on a 320-pixel screen: it scrolls sideways", w)
	}
}

// Fill the form with the keyboard alone, as a person would, and send it.
func TestFormInBrowser(t *testing.T) {
	url, calls := startRealServer(t)
	ctx := newBrowser(t)
	openFormInBrowser(t, ctx, url)
	opened := time.Now()

	// Tab through the fields in order, typing into each; the hidden field is
	// never reached.
	steps := []struct{ id, keys string }{
		{"name", "Ann Example"},
		{"region", ""},
		{"phone", "020 7946 0123"},
		{"reason", "About my order"},
		{"consent", " "},
	}
	if err := chromedp.Do(within(t, ctx), chromedp.Focus(chromedp.ID("name"))); err != nil {
		t.Fatal(err)
	}
	for i, s := range steps {
		if i > 0 {
			if err := chromedp.Do(within(t, ctx), chromedp.KeyEvent(kb.Tab)); err != nil {
				t.Fatal(err)
			}
		}
		if got := focused(t, ctx); got != s.id {
			t.Fatalf("after %d Tab presses the focus is on %q, want %q", i, got, s.id)
		}
		if s.keys != "" {
			if err := chromedp.Do(within(t, ctx), chromedp.KeyEvent(s.keys)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !evaluate[bool](t, ctx, `document.getElementById("consent").checked`) {
		t.Errorf("Space on the consent box did not tick it")
	}
	if err := chromedp.Do(within(t, ctx), chromedp.KeyEvent(kb.Tab)); err != nil {
		t.Fatal(err)
	}
	if got := evaluate[string](t, ctx, `document.activeElement.tagName + " " + document.activeElement.type`); got != "BUTTON submit" {
		t.Fatalf("focus after the consent box: got %q, want the submit button", got)
	}
	if got := evaluate[string](t, ctx, `getComputedStyle(document.activeElement).outlineStyle`); got == "none" {
		t.Errorf("the focused button shows no outline")
	}
	screenshot(t, ctx, "form-filled.png", "screenshot of the filled form")

	time.Sleep(time.Until(opened.Add(browserMinFill)))
	if err := chromedp.Do(within(t, ctx), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(`[data-testid="callback-accepted"]`))); err != nil {
		t.Fatalf("sending the form: %v", err)
	}
	heading := evaluate[string](t, ctx, `document.querySelector("h1").textContent`)
	if !strings.Contains(strings.ToLower(heading), "we'll call you shortly") {
		t.Errorf("page heading after sending: got %q, want \"We'll call you shortly\"", heading)
	}

	select {
	case c := <-calls:
		if c.Number != "+442079460123" || c.Name != "Ann Example" {
			t.Errorf("queued call to %s for %q, want +442079460123 (the number read as British) for \"Ann Example\"", c.Number, c.Name)
		}
		if strings.Contains(c.Attributes["reasons"], "form_") {
			t.Errorf("a person's submission carried form reasons: %s", c.Attributes["reasons"])
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no call queued for an allowed request")
	}
}

// Send the form without ticking the consent box: the error summary and the
// field's error show, and what was typed is kept.
func TestFormInBrowserMissingConsent(t *testing.T) {
	url, calls := startRealServer(t)
	ctx := newBrowser(t)
	openFormInBrowser(t, ctx, url)
	if err := chromedp.Do(within(t, ctx),
		chromedp.SendKeys(chromedp.ID("name"), "Ann Example"),
		chromedp.SendKeys(chromedp.ID("phone"), "020 7946 0123"),
		chromedp.SendKeys(chromedp.ID("reason"), "About my order"),
		chromedp.Sleep(browserMinFill),
		chromedp.SendKeys(chromedp.ID("phone"), kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-summary"]`)),
	); err != nil {
		t.Fatalf("sending the form: %v", err)
	}
	checks := []struct{ expr, want string }{
		{`document.querySelector('[data-testid="error-summary"] a').getAttribute("href")`, "#consent"},
		{`document.querySelector('[data-testid="error-summary"] a').textContent`, "Tick the box to agree to be called at this number."},
		{`document.getElementById("consent-error").textContent`, "Tick the box to agree to be called at this number."},
		{`document.getElementById("consent").getAttribute("aria-invalid")`, "true"},
		{`document.getElementById("consent").getAttribute("aria-describedby")`, "consent-error"},
		{`document.getElementById("name").value`, "Ann Example"},
		{`document.getElementById("phone").value`, "020 7946 0123"},
		{`document.getElementById("reason").value`, "About my order"},
		{`document.getElementById("region").value`, "GB"},
		{`document.title`, "Error: Request a call back"},
		{`document.activeElement.dataset.testid || document.activeElement.id`, "error-summary"},
	}
	for _, c := range checks {
		if got := evaluate[string](t, ctx, c.expr); got != c.want {
			t.Errorf("%s: got %q, want %q", c.expr, got, c.want)
		}
	}
	screenshot(t, ctx, "form-missing-consent.png", "screenshot of the form with its error")
	select {
	case c := <-calls:
		t.Errorf("a call was queued for a form without consent: %+v", c)
	default:
	}
}
