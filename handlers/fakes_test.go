package handlers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/risk"
)

// fakeEngine is an Evaluator whose methods are set per test.
type fakeEngine struct {
	EvaluateFunc func(ctx context.Context, req risk.Request) (risk.Decision, error)
	ReleaseFunc  func(ctx context.Context, number, id string) error
	// IPCountryFunc answers IPCountry; nil places every IP nowhere.
	IPCountryFunc func(ip netip.Addr) string
	// CheckNumberFunc answers CheckNumber; nil finds every number valid.
	CheckNumberFunc func(phone, region string) error
}

var _ Evaluator = (*fakeEngine)(nil)

func (f *fakeEngine) Evaluate(ctx context.Context, req risk.Request) (risk.Decision, error) {
	return f.EvaluateFunc(ctx, req)
}

func (f *fakeEngine) Release(ctx context.Context, number, id string) error {
	return f.ReleaseFunc(ctx, number, id)
}

func (f *fakeEngine) ReleaseLater(number, id string) {
	go f.ReleaseFunc(context.Background(), number, id)
}

// ScreenCaller is not faked: the IVR tests use the real engine.
func (f *fakeEngine) ScreenCaller(context.Context, risk.CallerRequest) (risk.Screening, error) {
	return risk.Screening{}, errors.New("fakeEngine: ScreenCaller is not faked")
}

func (f *fakeEngine) RecordChallengeFailed(context.Context, string) error { return nil }

// Fallback answers a fail-mode decision: the action asked for on the
// number as typed, with the store_unavailable reason.
func (f *fakeEngine) Fallback(req risk.Request, action risk.Action, cause string) (risk.Decision, error) {
	return risk.Decision{ID: testIDFallback, Action: action, Number: req.Phone, Flow: req.Flow,
		Reasons: []risk.Reason{{Code: risk.CodeStoreUnavailable, Detail: cause}}}, nil
}

// ScreenFallback answers a fail-mode screening with the verdict asked for.
func (f *fakeEngine) ScreenFallback(req risk.CallerRequest, verdict risk.Verdict, cause string) risk.Screening {
	return risk.Screening{Verdict: verdict, Flow: req.Flow, Reasons: []risk.Reason{{Code: risk.CodeStoreUnavailable, Detail: cause}}}
}

func (f *fakeEngine) CheckNumber(_ context.Context, _ netip.Addr, phone, region string) error {
	if f.CheckNumberFunc == nil {
		return nil
	}
	return f.CheckNumberFunc(phone, region)
}

func (f *fakeEngine) IPCountry(ip netip.Addr) string {
	if f.IPCountryFunc == nil {
		return ""
	}
	return f.IPCountryFunc(ip)
}

// fakeQueue is a CallQueue whose methods are set per test.
type fakeQueue struct {
	RecordFunc func(ctx context.Context, d risk.Decision, call *dispatch.Call) error
	EndFunc    func(ctx context.Context, id, outcome string) (dispatch.Call, error)
}

var _ CallQueue = (*fakeQueue)(nil)

func (f *fakeQueue) Record(ctx context.Context, d risk.Decision, call *dispatch.Call) error {
	return f.RecordFunc(ctx, d, call)
}

func (f *fakeQueue) End(ctx context.Context, id, outcome string) (dispatch.Call, error) {
	return f.EndFunc(ctx, id, outcome)
}

// Test data: one raw number, as typed and normalised, and a fixed-length id.
const (
	testPhone   = "+44 7700 900123"
	testNumber  = "+447700900123"
	testID      = "01JDQ6Z3V8R2M4K7N9P0S1T2W3"
	testIDOther = "01JDQ6Z3V8R2M4K7N9P0S1T2XX"
	// testIDFallback is the id of the fake engine's fail-mode decisions.
	testIDFallback = "01JDQ6Z3V8R2M4K7N9P0S1FALL"
)

// testDecision is what the fake engine answers with for action.
func testDecision(action risk.Action, req risk.Request) risk.Decision {
	return risk.Decision{
		ID:            testID,
		Action:        action,
		Score:         35,
		Number:        testNumber,
		NumberCountry: "GB",
		NumberType:    "mobile",
		IP:            req.IP,
		IPCountry:     "FR",
		ASN:           64500,
		Flow:          req.Flow,
		Reasons: []risk.Reason{
			{Code: "ip_country_mismatch", Weight: 20},
			{Code: "mobile_number", Weight: 15},
		},
		At: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
	}
}

// harness is a server with a fake engine and dispatcher that record what
// they were given.
type harness struct {
	e        *echo.Echo
	logs     *bytes.Buffer
	deps     Deps
	requests []risk.Request
	calls    []dispatch.Call
	recorded []risk.Action
	released chan string // "number/id", sent from whichever goroutine releases
	now      time.Time   // the server's clock; tests move it
}

// Form settings of every harness: the shipped minimum fill time and a
// fixed key.
const testMinFill = 3 * time.Second

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// newHarness returns a harness whose engine decides action; mods adjust the
// Deps before the server is built.
func newHarness(t *testing.T, action risk.Action, mods ...func(*harness)) *harness {
	t.Helper()
	h := &harness{
		logs:     &bytes.Buffer{},
		released: make(chan string, 16),
		now:      time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
	}
	engine := &fakeEngine{
		EvaluateFunc: func(ctx context.Context, req risk.Request) (risk.Decision, error) {
			h.requests = append(h.requests, req)
			return testDecision(action, req), nil
		},
		ReleaseFunc: func(ctx context.Context, number, id string) error {
			h.released <- number + "/" + id
			return nil
		},
	}
	h.deps = Deps{
		Engine: engine,
		Calls: &fakeQueue{
			RecordFunc: func(ctx context.Context, d risk.Decision, c *dispatch.Call) error {
				h.recorded = append(h.recorded, d.Action)
				if c != nil {
					h.calls = append(h.calls, *c)
				}
				return nil
			},
			EndFunc: func(ctx context.Context, id, outcome string) (dispatch.Call, error) {
				return dispatch.Call{}, dispatch.ErrUnknownCall
			},
		},
		Logger: slog.New(slog.NewJSONHandler(h.logs, nil)),
		Channels: func() Deflection {
			return Deflection{ChatURL: "https://example.com/chat", Phone: "+44 20 7946 0000", Hours: "Mon–Fri 9:00–17:00"}
		},
		Form: FormConfig{Secret: testSecret, MinFillTime: testMinFill},
		Now:  func() time.Time { return h.now },
	}
	for _, mod := range mods {
		mod(h)
	}
	h.e = NewServer(h.deps)
	return h
}

// nextRelease waits for the next lock release and returns it as
// "number/id".
func (h *harness) nextRelease(t *testing.T) string {
	t.Helper()
	select {
	case r := <-h.released:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for a lock release")
		return ""
	}
}

// evaluateWith replaces the engine's Evaluate.
func evaluateWith(f func(ctx context.Context, req risk.Request) (risk.Decision, error)) func(*harness) {
	return func(h *harness) {
		h.deps.Engine.(*fakeEngine).EvaluateFunc = func(ctx context.Context, req risk.Request) (risk.Decision, error) {
			h.requests = append(h.requests, req)
			return f(ctx, req)
		}
	}
}

// request describes one test request.
type request struct {
	method     string
	path       string
	body       io.Reader
	header     http.Header
	remoteAddr string
	// ctx, when set, is the request's context.
	ctx context.Context
}

// do serves r and returns the response.
func (h *harness) do(t *testing.T, r request) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(r.method, r.path, r.body)
	for k, vs := range r.header {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	if r.remoteAddr != "" {
		req.RemoteAddr = r.remoteAddr
	}
	if r.ctx != nil {
		req = req.WithContext(r.ctx)
	}
	rec := httptest.NewRecorder()
	h.e.ServeHTTP(rec, req)
	return rec
}

// postJSON posts body to the callback API.
func (h *harness) postJSON(t *testing.T, body string) *httptest.ResponseRecorder {
	t.Helper()
	return h.do(t, request{
		method: http.MethodPost,
		path:   "/api/v1/callbacks",
		body:   strings.NewReader(body),
		header: http.Header{"Content-Type": {"application/json"}},
	})
}

// engineIP is the IP the engine was last asked about.
func (h *harness) engineIP(t *testing.T) netip.Addr {
	t.Helper()
	if len(h.requests) == 0 {
		t.Fatal("engine was not called")
	}
	return h.requests[len(h.requests)-1].IP
}

// assertLookAlike fails unless the allow and block answers have the same
// status, body and headers (Date aside).
func assertLookAlike(t *testing.T, allow, block *httptest.ResponseRecorder) {
	t.Helper()
	if got, want := block.Code, allow.Code; got != want {
		t.Errorf("block status = %d, allow status = %d", got, want)
	}
	if got, want := block.Body.String(), allow.Body.String(); got != want {
		t.Errorf("block body differs from allow body:\n%s\n%s", got, want)
	}
	if got, want := withoutDate(block.Header()), withoutDate(allow.Header()); !reflect.DeepEqual(got, want) {
		t.Errorf("block headers = %v, allow headers = %v", got, want)
	}
}

// withoutDate returns a copy of hdr without the Date header, which differs
// from one response to the next.
func withoutDate(hdr http.Header) http.Header {
	out := hdr.Clone()
	out.Del("Date")
	return out
}
