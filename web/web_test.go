package web

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"github.com/tollgate/tollgate/static"
)

func render(t *testing.T, c templ.Component) string {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return buf.String()
}

func assertContains(t *testing.T, html string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(html, want) {
			t.Errorf("page does not contain %s\npage:\n%s", want, html)
		}
	}
}

func assertNotContains(t *testing.T, html string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(strings.ToLower(html), strings.ToLower(u)) {
			t.Errorf("page contains %q", u)
		}
	}
}

func TestLayoutLinksHashedAssets(t *testing.T) {
	html := render(t, CallbackAccepted(Branding{}, AcceptedModel{}))
	assertContains(t, html,
		`<link rel="stylesheet" href="`+static.Path("app.css")+`">`,
		`<link rel="stylesheet" href="`+DefaultBranding().StylesheetPath()+`">`,
		`href="`+static.Path("favicon.svg")+`"`,
		`<html lang="en">`,
		`name="viewport"`,
	)
	if static.Path("app.css") == "/static/app.css" {
		t.Errorf("static.Path(app.css) is not hashed")
	}
	assertNotContains(t, html, "<script")
}

var testRegions = []Region{{"DE", "Germany", 49}, {"GB", "United Kingdom", 44}, {"US", "United States", 1}}

func TestCallbackFormEmpty(t *testing.T) {
	html := render(t, CallbackForm(Branding{}, CallbackFormModel{Region: "GB", Regions: testRegions, Token: "tok"}))
	assertContains(t, html,
		`<title>Request a call back</title>`,
		`<h1>Request a call back</h1>`,
		`<form method="post" action="/" novalidate data-testid="callback-form">`,
		`<input type="hidden" name="token" value="tok">`,
		`<label for="name">`,
		`autocomplete="name"`,
		`<label for="region">Country</label>`,
		`<option value="DE">Germany (+49)</option>`,
		`<option value="GB" selected>United Kingdom (+44)</option>`,
		`<label for="phone">`,
		`type="tel"`,
		`autocomplete="tel"`,
		`inputmode="tel"`,
		`required`,
		`aria-describedby="phone-hint"`,
		`<label for="reason">`,
		`maxlength="200"`,
		`<input id="consent" name="consent" type="checkbox" value="yes" required>`,
		`<label for="consent">I agree to be called at this number</label>`,
	)
	assertNotContains(t, html, "aria-invalid", `data-testid="phone-error"`, `name="flow"`, "error-summary", "<script", "Error:")
}

func TestCallbackFormHoneypotIsOutOfReach(t *testing.T) {
	html := render(t, CallbackForm(Branding{}, CallbackFormModel{}))
	assertContains(t, html,
		`<div class="hp" aria-hidden="true">`,
		`<input id="leave_blank" name="leave_blank" type="text" tabindex="-1" autocomplete="off">`,
	)
}

func TestCallbackFormErrorsAndKeptInput(t *testing.T) {
	m := CallbackFormModel{
		Name:    `Ann "<b>"`,
		Region:  "DE",
		Phone:   "+44 12",
		Reason:  "About <my> order",
		Consent: true,
		Flow:    "sales",
		Regions: testRegions,
		Errors: map[string]string{
			FieldPhone:  "too short",
			FieldName:   "bad name",
			FieldReason: "bad reason",
		},
	}
	html := render(t, CallbackForm(Branding{}, m))
	assertContains(t, html,
		`<title>Error: Request a call back</title>`,
		`value="+44 12"`,
		`value="Ann &#34;&lt;b&gt;&#34;"`,
		`value="About &lt;my&gt; order"`,
		`<option value="DE" selected>`,
		`value="yes" required checked>`,
		`<input type="hidden" name="flow" value="sales">`,
		`aria-describedby="phone-hint phone-error"`,
		`<p id="phone-error" class="field-error" data-testid="phone-error">too short</p>`,
		`aria-describedby="name-error"`,
		`<p id="name-error" class="field-error" data-testid="name-error">bad name</p>`,
		`aria-describedby="reason-error"`,
		`aria-invalid="true"`,
		`data-testid="error-summary"`,
		`<li><a href="#name">bad name</a></li><li><a href="#phone">too short</a></li><li><a href="#reason">bad reason</a></li>`,
	)
}

func TestCallbackFormConsentError(t *testing.T) {
	html := render(t, CallbackForm(Branding{}, CallbackFormModel{Errors: map[string]string{FieldConsent: "Tick the box."}}))
	assertContains(t, html,
		`type="checkbox" value="yes" required aria-invalid="true" aria-describedby="consent-error">`,
		`<p id="consent-error" class="field-error" data-testid="consent-error">Tick the box.</p>`,
		`<li><a href="#consent">Tick the box.</a></li>`,
	)
}

func TestCallbackAccepted(t *testing.T) {
	html := render(t, CallbackAccepted(Branding{}, AcceptedModel{Number: "+4477******23", Reference: Reference("nmfipy3yabcdefghijklmnopqr")}))
	assertContains(t, html,
		`data-testid="callback-accepted"`,
		`<h1>Thanks — we&#39;ll call you shortly.</h1>`,
		`<strong class="number" data-testid="callback-number">+4477******23</strong>`,
		`Keep the line free`,
		`If no call comes`,
		`<strong data-testid="callback-reference">NMFI-PY3Y</strong>`,
	)
	assertNotContains(t, html, "risk", "fraud", "block", "score", "nmfipy3yabcdefghijklmnopqr", "<script")
}

func TestReference(t *testing.T) {
	for id, want := range map[string]string{"nmfipy3yabcdefghijklmnopqr": "NMFI-PY3Y", "abc": "ABC", "abcdef": "ABCD-EF", "": ""} {
		if got := Reference(id); got != want {
			t.Errorf("Reference(%q) = %q, want %q", id, got, want)
		}
	}
}

func TestEmbeddedLayout(t *testing.T) {
	html := render(t, CallbackForm(Branding{}, CallbackFormModel{Region: "GB", Regions: testRegions, Flow: "sales", Framing: Embedded}))
	assertContains(t, html,
		`<script src="`+static.Path("frame.js")+`" defer></script>`,
		`<body class="embedded">`,
		`action="/?embed=1"`,
	)
	own := render(t, CallbackForm(Branding{}, CallbackFormModel{Region: "GB", Regions: testRegions}))
	assertContains(t, own, `action="/"`, `<body>`)
	assertNotContains(t, own, "<script", "embedded")
}

func TestCallbackDeflected(t *testing.T) {
	t.Run("all channels", func(t *testing.T) {
		html := render(t, CallbackDeflected(Branding{}, DeflectedModel{Channels: Channels{ChatURL: "https://example.com/chat", Phone: "+44 20 7946 0000", Hours: "Mon–Fri 9–17"}}))
		assertContains(t, html,
			`<a class="button-link" href="/" data-testid="deflect-back">`,
			`data-testid="callback-deflected"`,
			`<a href="https://example.com/chat" data-testid="deflect-chat">`,
			`<a href="tel:+442079460000" data-testid="deflect-phone">+44 20 7946 0000</a>`,
			`Opening hours: Mon–Fri 9–17`,
		)
		assertNotContains(t, html, "risk", "fraud", "block", "score", "deflect-generic")
	})
	t.Run("none configured", func(t *testing.T) {
		html := render(t, CallbackDeflected(Branding{}, DeflectedModel{Flow: "sales", Framing: Embedded}))
		assertContains(t, html, `data-testid="deflect-generic"`, `send the form again`, `href="/?embed=1&amp;flow=sales" data-testid="deflect-back"`)
		assertNotContains(t, html, "<ul", "risk", "fraud", "other way", "try again later")
	})
	t.Run("unsafe chat url", func(t *testing.T) {
		html := render(t, CallbackDeflected(Branding{}, DeflectedModel{Channels: Channels{ChatURL: "javascript:alert(1)"}}))
		assertNotContains(t, html, "javascript:")
	})
}

func TestErrorPage(t *testing.T) {
	html := render(t, ErrorPage(Branding{}, http.StatusNotFound, "No such page."))
	assertContains(t, html,
		`data-testid="error-page"`,
		`data-status="404"`,
		`<h1>Not Found</h1>`,
		`<p data-testid="error-message">No such page.</p>`,
	)
}
