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
	html := render(t, CallbackAccepted("x"))
	assertContains(t, html,
		`<link rel="stylesheet" href="`+static.Path("app.css")+`">`,
		`href="`+static.Path("favicon.svg")+`"`,
		`<html lang="en">`,
		`name="viewport"`,
	)
	if static.Path("app.css") == "/static/app.css" {
		t.Errorf("static.Path(app.css) is not hashed")
	}
	assertNotContains(t, html, "<script")
}

func TestCallbackFormEmpty(t *testing.T) {
	html := render(t, CallbackForm(CallbackFormModel{}))
	assertContains(t, html,
		`<form method="post" action="/" data-testid="callback-form">`,
		`<label for="phone">`,
		`<label for="name">`,
		`type="tel"`,
		`autocomplete="tel"`,
		`required`,
		`aria-describedby="phone-hint"`,
	)
	assertNotContains(t, html, "aria-invalid", `data-testid="phone-error"`, `name="flow"`, "<script")
}

func TestCallbackFormErrorsAndKeptInput(t *testing.T) {
	m := CallbackFormModel{
		Name:   `Ann "<b>"`,
		Phone:  "+44 12",
		Flow:   "sales",
		Errors: map[string]string{FieldPhone: "too short", FieldName: "bad name"},
	}
	html := render(t, CallbackForm(m))
	assertContains(t, html,
		`value="+44 12"`,
		`value="Ann &#34;&lt;b&gt;&#34;"`,
		`<input type="hidden" name="flow" value="sales">`,
		`aria-describedby="phone-hint phone-error"`,
		`<p id="phone-error" class="field-error" data-testid="phone-error">too short</p>`,
		`aria-describedby="name-error"`,
		`<p id="name-error" class="field-error" data-testid="name-error">bad name</p>`,
		`aria-invalid="true"`,
	)
}

func TestCallbackAccepted(t *testing.T) {
	html := render(t, CallbackAccepted("abc123"))
	assertContains(t, html,
		`data-testid="callback-accepted"`,
		`<h1>Thanks — we'll call you shortly.</h1>`,
		`<span data-testid="callback-id">abc123</span>`,
	)
	assertNotContains(t, html, "risk", "fraud", "block", "score")
}

func TestCallbackDeflected(t *testing.T) {
	t.Run("all channels", func(t *testing.T) {
		html := render(t, CallbackDeflected(Channels{ChatURL: "https://example.com/chat", Phone: "+44 20 7946 0000", Hours: "Mon–Fri 9–17"}))
		assertContains(t, html,
			`data-testid="callback-deflected"`,
			`<a href="https://example.com/chat" data-testid="deflect-chat">`,
			`<a href="tel:+442079460000" data-testid="deflect-phone">+44 20 7946 0000</a>`,
			`Opening hours: Mon–Fri 9–17`,
		)
		assertNotContains(t, html, "risk", "fraud", "block", "score", "deflect-generic")
	})
	t.Run("none configured", func(t *testing.T) {
		html := render(t, CallbackDeflected(Channels{}))
		assertContains(t, html, `data-testid="deflect-generic"`)
		assertNotContains(t, html, "<ul", "risk", "fraud")
	})
	t.Run("unsafe chat url", func(t *testing.T) {
		html := render(t, CallbackDeflected(Channels{ChatURL: "javascript:alert(1)"}))
		assertNotContains(t, html, "javascript:")
	})
}

func TestErrorPage(t *testing.T) {
	html := render(t, ErrorPage(http.StatusNotFound, "No such page."))
	assertContains(t, html,
		`data-testid="error-page"`,
		`data-status="404"`,
		`<h1>Not Found</h1>`,
		`<p data-testid="error-message">No such page.</p>`,
	)
}
