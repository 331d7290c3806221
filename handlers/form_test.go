package handlers

import (
	"bytes"
	"context"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/risk"
)

// postForm posts form values to "/" as a browser would.
func (h *harness) postForm(t *testing.T, v url.Values) *httptest.ResponseRecorder {
	t.Helper()
	return h.do(t, request{
		method: http.MethodPost,
		path:   "/",
		body:   strings.NewReader(v.Encode()),
		header: http.Header{
			"Content-Type": {"application/x-www-form-urlencoded"},
			"Accept":       {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
		},
	})
}

func assertHTML(t *testing.T, rec *httptest.ResponseRecorder, wantStatus int, wants ...string) {
	t.Helper()
	if got, want := rec.Code, wantStatus; got != want {
		t.Fatalf("status = %d, want %d; body %s", got, want, rec.Body)
	}
	if got, want := rec.Header().Get("Content-Type"), "text/html; charset=UTF-8"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	for _, want := range wants {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("page does not contain %s\npage: %s", want, rec.Body)
		}
	}
}

func assertSecurityHeaders(t *testing.T, hdr http.Header) {
	t.Helper()
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Content-Security-Policy": "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
		"X-Frame-Options":         "DENY",
	}
	for k, w := range want {
		if got := hdr.Get(k); got != w {
			t.Errorf("%s = %q, want %q", k, got, w)
		}
	}
}

func TestFormShow(t *testing.T) {
	h := newHarness(t, risk.Allow)
	rec := h.do(t, request{method: http.MethodGet, path: "/"})
	assertHTML(t, rec, http.StatusOK,
		`data-testid="callback-form"`, `name="phone"`, `type="tel"`, `name="region"`, `name="reason"`,
		`name="consent"`, `name="leave_blank"`, `<option value="US" selected>United States (+1)</option>`,
	)
	assertFormPageHeaders(t, rec.Header())
	if strings.Contains(rec.Body.String(), "<script") {
		t.Errorf("page has a script")
	}
	if m := tokenField.FindStringSubmatch(rec.Body.String()); m == nil || m[1] == "" {
		t.Errorf("page has no form token")
	}
}

func TestFormShowPreselectsVisitorCountry(t *testing.T) {
	countries := map[string]string{"198.51.100.7": "GB", "192.0.2.7": "AQ"}
	tests := []struct {
		name, remote, want string
	}{
		{"known country", "198.51.100.7:1234", "GB"},
		{"country without phone numbers", "192.0.2.7:1234", "DE"},
		{"unknown address", "127.0.0.1:1234", "DE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, risk.Allow, func(h *harness) {
				h.deps.Form.DefaultRegion = "de"
				h.deps.Engine.(*fakeEngine).IPCountryFunc = func(ip netip.Addr) string { return countries[ip.String()] }
			})
			rec := h.do(t, request{method: http.MethodGet, path: "/", remoteAddr: tt.remote})
			assertHTML(t, rec, http.StatusOK, `<option value="`+tt.want+`" selected>`)
			if got := strings.Count(rec.Body.String(), " selected>"); got != 1 {
				t.Errorf("%d options selected, want 1", got)
			}
		})
	}
}

func TestFormShowCarriesFlow(t *testing.T) {
	h := newHarness(t, risk.Allow)
	rec := h.do(t, request{method: http.MethodGet, path: "/?flow=sales"})
	assertHTML(t, rec, http.StatusOK, `<input type="hidden" name="flow" value="sales">`)
	rec = h.do(t, request{method: http.MethodGet, path: "/?flow=" + url.QueryEscape("no spaces")})
	if strings.Contains(rec.Body.String(), `name="flow"`) {
		t.Errorf("an invalid flow was carried into the form")
	}
}

func TestFormSubmitOutcomes(t *testing.T) {
	tests := []struct {
		action    risk.Action
		wantCalls int
		wants     []string
	}{
		{risk.Allow, 1, []string{`data-testid="callback-accepted"`, `data-testid="callback-reference">01JD-Q6Z3</strong>`, `data-testid="callback-number">` + risk.MaskNumber(testNumber) + `</strong>`}},
		{risk.Block, 0, []string{`data-testid="callback-accepted"`, `data-testid="callback-reference">01JD-Q6Z3</strong>`, `data-testid="callback-number">` + risk.MaskNumber(testNumber) + `</strong>`}},
		{risk.Deflect, 0, []string{`data-testid="callback-deflected"`, `href="https://example.com/chat"`, `href="tel:+442079460000"`, `Mon–Fri 9:00–17:00`, `data-testid="deflect-back"`}},
	}
	for _, tt := range tests {
		t.Run(string(tt.action), func(t *testing.T) {
			h := newHarness(t, tt.action)
			rec := h.submitClean(t, filledForm())
			assertHTML(t, rec, http.StatusOK, tt.wants...)
			assertFormPageHeaders(t, rec.Header())
			if got := rec.Header().Values("Set-Cookie"); len(got) != 0 {
				t.Errorf("outcome page sets cookies %q", got)
			}
			if got, want := len(h.calls), tt.wantCalls; got != want {
				t.Errorf("calls submitted = %d, want %d", got, want)
			}
			req := h.requests[0]
			if req.Phone != testPhone || req.Region != "GB" || len(req.Extra) != 0 {
				t.Errorf("engine got phone %q region %q extra %v, want %q, GB and no form reasons", req.Phone, req.Region, req.Extra, testPhone)
			}
			if strings.Contains(rec.Body.String(), testID) {
				t.Errorf("page shows the whole decision id %s, want only its reference", testID)
			}
			for _, word := range []string{"risk", "fraud", "block", "score", "deflect"} {
				if strings.Contains(strings.ToLower(visibleText(rec.Body.String())), word) {
					t.Errorf("page text mentions %q", word)
				}
			}
		})
	}
}

// visibleText drops tags, so attribute values such as data-testid are not
// taken for page text.
func visibleText(html string) string {
	var b strings.Builder
	inTag := false
	for _, r := range html {
		switch {
		case r == '<':
			inTag = true
		case r == '>':
			inTag = false
		case !inTag:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestFormSubmitAllowAndBlockLookAlike(t *testing.T) {
	assertLookAlike(t, newHarness(t, risk.Allow).submitClean(t, filledForm()), newHarness(t, risk.Block).submitClean(t, filledForm()))
}

func TestFormSubmitDeflectWithoutAlternatives(t *testing.T) {
	h := newHarness(t, risk.Deflect, func(h *harness) { h.deps.Channels = nil })
	rec := h.submitClean(t, filledForm())
	assertHTML(t, rec, http.StatusOK, `data-testid="callback-deflected"`, `data-testid="deflect-generic"`, `<a class="button-link" href="/" data-testid="deflect-back">`)
	if text := visibleText(rec.Body.String()); strings.Contains(text, "another way") || strings.Contains(text, "try again later") {
		t.Errorf("a deflected page without channels promises other channels or only says to try later:\n%s", text)
	}
}

func TestFormSubmitMissingPhoneKeepsInput(t *testing.T) {
	h := newHarness(t, risk.Allow)
	rec := h.postForm(t, url.Values{"phone": {"  "}, "name": {`Ann "<b>"`}, "flow": {"sales"}, "region": {"gb"}, "reason": {"Re: <order>"}, "consent": {"yes"}})
	assertHTML(t, rec, http.StatusUnprocessableEntity,
		`data-testid="callback-form"`,
		`value="Ann &#34;&lt;b&gt;&#34;"`,
		`value="Re: &lt;order&gt;"`,
		`<option value="GB" selected>`,
		`type="checkbox" value="yes" required checked>`,
		`<input type="hidden" name="flow" value="sales">`,
		`aria-describedby="phone-hint phone-error"`,
		`aria-invalid="true"`,
		`<p id="phone-error" class="field-error" data-testid="phone-error">Enter your phone number.</p>`,
		`<li><a href="#phone">Enter your phone number.</a></li>`,
	)
	assertFormPageHeaders(t, rec.Header())
	if got, want := len(h.requests), 0; got != want {
		t.Errorf("engine calls = %d, want %d", got, want)
	}
}

func TestFormSubmitInvalidNumber(t *testing.T) {
	h := newHarness(t, risk.Allow, evaluateWith(func(ctx context.Context, req risk.Request) (risk.Decision, error) {
		return risk.Decision{}, &risk.NumberError{Problem: "This is not a valid phone number."}
	}))
	rec := h.postForm(t, url.Values{"phone": {"+44 12"}, "name": {"Ann"}, "consent": {"yes"}})
	assertHTML(t, rec, http.StatusUnprocessableEntity,
		`value="+44 12"`,
		`value="Ann"`,
		`data-testid="phone-error">This is not a valid phone number.</p>`,
	)
	if got, want := len(h.calls), 0; got != want {
		t.Errorf("calls submitted = %d, want %d", got, want)
	}
}

func TestFormSubmitShowsEveryFieldError(t *testing.T) {
	h := newHarness(t, risk.Allow)
	rec := h.postForm(t, url.Values{
		"phone":  {strings.Repeat("1", 65)},
		"name":   {strings.Repeat("a", 101)},
		"reason": {strings.Repeat("é", 201)},
		"region": {"XX"},
	})
	assertHTML(t, rec, http.StatusUnprocessableEntity,
		`data-testid="phone-error">The phone number must be at most 64 characters.</p>`,
		`aria-describedby="name-error"`,
		`data-testid="name-error">The name must be at most 100 characters.</p>`,
		`data-testid="reason-error">The reason must be at most 200 characters.</p>`,
		`data-testid="region-error">Choose a country from the list (an ISO 3166-1 code such as GB).</p>`,
		`data-testid="consent-error">Tick the box to agree to be called at this number.</p>`,
		`<li><a href="#name">`, `<li><a href="#region">`, `<li><a href="#phone">`, `<li><a href="#reason">`, `<li><a href="#consent">`,
	)
	if got, want := len(h.requests), 0; got != want {
		t.Errorf("engine calls = %d, want %d", got, want)
	}
}

func TestFormSubmitInvalidUTF8IsReplacedOnRerender(t *testing.T) {
	h := newHarness(t, risk.Allow)
	rec := h.do(t, request{
		method: http.MethodPost,
		path:   "/",
		body:   strings.NewReader("phone=&name=Ann%FF&reason=x%00y"),
		header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"text/html"}},
	})
	assertHTML(t, rec, http.StatusUnprocessableEntity, `value="Ann`+"\uFFFD"+`"`, `data-testid="name-error"`,
		`data-testid="reason-error">The reason must not contain control characters.</p>`)
}

func TestFormSubmitMultipart(t *testing.T) {
	h := newHarness(t, risk.Allow)
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("phone", testPhone)
	_ = w.WriteField("name", "Ann")
	_ = w.WriteField("reason", " My order 1234 ")
	_ = w.WriteField("consent", "yes")
	_ = w.Close()
	rec := h.do(t, request{
		method: http.MethodPost,
		path:   "/",
		body:   &body,
		header: http.Header{"Content-Type": {w.FormDataContentType()}},
	})
	assertHTML(t, rec, http.StatusOK, `data-testid="callback-accepted"`)
	if got, want := len(h.calls), 1; got != want {
		t.Fatalf("calls submitted = %d, want %d", got, want)
	}
	if got, want := h.calls[0].Name, "Ann"; got != want {
		t.Errorf("call name = %q, want %q", got, want)
	}
	if got, want := h.calls[0].Attributes["visitor_reason"], "My order 1234"; got != want {
		t.Errorf("call's visitor_reason = %q, want %q", got, want)
	}
}

// Media types are case-insensitive (RFC 9110 8.3.1), so a multipart body
// whose Content-Type is written in capitals is still read.
func TestFormSubmitMultipartMediaTypeCase(t *testing.T) {
	h := newHarness(t, risk.Allow)
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("phone", testPhone)
	_ = w.WriteField("consent", "yes")
	_ = w.Close()
	rec := h.do(t, request{
		method: http.MethodPost,
		path:   "/",
		body:   &body,
		header: http.Header{"Content-Type": {"Multipart/Form-Data; boundary=" + w.Boundary()}},
	})
	assertHTML(t, rec, http.StatusOK, `data-testid="callback-accepted"`)
	if got, want := len(h.calls), 1; got != want {
		t.Errorf("calls submitted = %d, want %d", got, want)
	}
}

func TestFormSubmitIgnoresQueryString(t *testing.T) {
	h := newHarness(t, risk.Allow)
	rec := h.do(t, request{
		method: http.MethodPost,
		path:   "/?phone=" + url.QueryEscape(testPhone),
		body:   strings.NewReader(""),
		header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"text/html"}},
	})
	assertHTML(t, rec, http.StatusUnprocessableEntity, `data-testid="phone-error"`)
}

// With the engine down, the form answers with its fail mode: what a
// customer sees for that action, never an error page.
func TestFormSubmitEngineDown(t *testing.T) {
	tests := []struct {
		mode     FormFailMode
		testID   string
		wantText string
	}{
		{FailDeflect, "callback-deflected", "You can reach us another way"},
		{FailBlock, "callback-accepted", "01JD-Q6Z3"},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			h := newHarness(t, risk.Allow, evaluateWith(func(context.Context, risk.Request) (risk.Decision, error) {
				return risk.Decision{}, errors.New("redis: i/o timeout")
			}), func(h *harness) { h.deps.Faults = Faults{Form: tt.mode} })
			rec := h.do(t, request{
				method: http.MethodPost,
				path:   "/",
				body:   struct{ *strings.Reader }{strings.NewReader(url.Values{"phone": {testPhone}, "consent": {"yes"}}.Encode())},
				header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"text/html"}},
			})
			assertHTML(t, rec, http.StatusOK, `data-testid="`+tt.testID+`"`, tt.wantText)
			if strings.Contains(rec.Body.String(), "redis") {
				t.Error("page leaks the store error")
			}
		})
	}
}

func TestFormSubmitErrorPages(t *testing.T) {
	tests := []struct {
		name       string
		evaluate   func(context.Context, risk.Request) (risk.Decision, error)
		values     url.Values
		body       string
		wantStatus int
		wantText   string
		unwanted   string
	}{
		{
			name:       "bad flow",
			values:     url.Values{"phone": {testPhone}, "consent": {"yes"}, "flow": {"no spaces allowed"}},
			wantStatus: http.StatusUnprocessableEntity,
			wantText:   "The flow may hold only",
		},
		{
			name:       "oversized",
			body:       "phone=1&name=" + strings.Repeat("a", 70<<10),
			wantStatus: http.StatusRequestEntityTooLarge,
			wantText:   "larger than 64KB",
		},
		{
			name:       "malformed encoding",
			body:       "phone=%zz",
			wantStatus: http.StatusBadRequest,
			wantText:   "could not be read",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mods []func(*harness)
			if tt.evaluate != nil {
				mods = append(mods, evaluateWith(tt.evaluate))
			}
			h := newHarness(t, risk.Allow, mods...)
			body := tt.body
			if body == "" {
				body = tt.values.Encode()
			}
			rec := h.do(t, request{
				method: http.MethodPost,
				path:   "/",
				body:   struct{ *strings.Reader }{strings.NewReader(body)},
				header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"text/html"}},
			})
			assertHTML(t, rec, tt.wantStatus, `data-testid="error-page"`, tt.wantText)
			assertFormPageHeaders(t, rec.Header())
			if tt.unwanted != "" && strings.Contains(rec.Body.String(), tt.unwanted) {
				t.Errorf("page leaks %q", tt.unwanted)
			}
		})
	}
}

// A bad number, a missing consent and a long name come back together, each
// at its field, and nothing is decided or counted.
func TestFormSubmitReportsEveryErrorInOnePass(t *testing.T) {
	var checked []string
	h := newHarness(t, risk.Allow, func(h *harness) {
		h.deps.Engine.(*fakeEngine).CheckNumberFunc = func(phone, region string) error {
			checked = append(checked, region+" "+phone)
			return &risk.NumberError{Problem: "That number is too short."}
		}
	})
	rec := h.postForm(t, url.Values{"phone": {"020 12"}, "region": {"GB"}, "name": {strings.Repeat("a", 101)}})
	assertHTML(t, rec, http.StatusUnprocessableEntity,
		`<li><a href="#name">The name must be at most 100 characters.</a></li>`,
		`<li><a href="#phone">That number is too short.</a></li>`,
		`<li><a href="#consent">Tick the box to agree to be called at this number.</a></li>`,
		`aria-invalid="true" aria-describedby="name-error"`,
		`aria-describedby="phone-hint phone-error" aria-invalid="true"`,
		`aria-invalid="true" aria-describedby="consent-error"`,
		`data-testid="phone-error">That number is too short.</p>`,
	)
	if got, want := strings.Join(checked, ","), "GB 020 12"; got != want {
		t.Errorf("numbers checked: %q, want %q", got, want)
	}
	if len(h.requests) != 0 || len(h.calls) != 0 {
		t.Errorf("engine decided %d requests and %d calls were queued, want none", len(h.requests), len(h.calls))
	}
}

// Embedded (?embed=1), the form pages run static/frame.js and nothing
// else, keep the framing through a failed submission and link back to it.
func TestFormEmbedded(t *testing.T) {
	h := newHarness(t, risk.Deflect, func(h *harness) { h.deps.Channels = nil })
	wantCSP := "default-src 'self'; base-uri 'none'; form-action 'self'; script-src 'self'; frame-ancestors 'self'"
	show := h.do(t, request{method: http.MethodGet, path: "/?embed=1&flow=sales"})
	assertHTML(t, show, http.StatusOK, `<body class="embedded">`, `/static/frame.`, `action="/?embed=1"`, `name="flow" value="sales"`)
	invalid := h.do(t, request{
		method: http.MethodPost, path: "/?embed=1",
		body:   strings.NewReader(url.Values{"phone": {""}, "flow": {"sales"}}.Encode()),
		header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"text/html"}},
	})
	assertHTML(t, invalid, http.StatusUnprocessableEntity, `<body class="embedded">`, `action="/?embed=1"`, `data-testid="error-summary"`)
	for name, rec := range map[string]*httptest.ResponseRecorder{"form": show, "re-render": invalid} {
		if got := rec.Header().Get("Content-Security-Policy"); got != wantCSP {
			t.Errorf("%s: Content-Security-Policy = %q, want %q", name, got, wantCSP)
		}
	}
	deflected := h.do(t, request{
		method: http.MethodPost, path: "/?embed=1",
		body:   strings.NewReader(with(filledForm(), "flow", "sales").Encode()),
		header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"text/html"}},
	})
	assertHTML(t, deflected, http.StatusOK, `<body class="embedded">`, `href="/?embed=1&amp;flow=sales" data-testid="deflect-back"`)
}
