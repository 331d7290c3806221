package handlers

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin"
	"github.com/tollgate/tollgate/handlers/ivr"
	"github.com/tollgate/tollgate/handlers/respond"
)

// TestPublicPostBodyLimits posts a body over the limit to every public
// POST route, announced by Content-Length and streamed without one: each
// answers 413 with the body_too_large error. The route table is read, so
// a new public POST route without a limit fails here.
func TestPublicPostBodyLimits(t *testing.T) {
	st := newStack(t, nil, &dispatch.Simulator{})
	ivrEcho, _ := ivrServer(t)
	servers := map[string]*echo.Echo{"stack": st.echo, "ivr": ivrEcho}
	// Routes served only by the IVR server (Twilio, Amazon Connect); the
	// rest by the stack, which has the flow API key.
	ivrOnly := map[string]bool{
		ivr.TwilioVoicePath: true, ivr.TwilioVerifyPath: true, dispatch.TwilioOutboundPath: true,
		dispatch.TwilioStatusPath: true, "/flows/connect": true,
	}
	big := strings.Repeat("a", 65<<10)
	var n int
	for _, r := range st.echo.Routes() {
		if r.Method != http.MethodPost || strings.HasPrefix(r.Path, admin.Prefix) || strings.HasPrefix(r.Path, admin.APIPrefix) {
			continue
		}
		n++
		e := servers["stack"]
		if ivrOnly[r.Path] {
			e = servers["ivr"]
		}
		path := routeParam.ReplaceAllString(r.Path, "x")
		for _, chunked := range []bool{false, true} {
			var body io.Reader = strings.NewReader(`{"phone":"` + big + `"}`)
			if chunked {
				body = io.MultiReader(body) // no length known: sent chunked
			}
			req := httptest.NewRequest(http.MethodPost, path, body)
			if chunked {
				req.ContentLength = -1
			}
			req.Header.Set("Content-Type", "application/json")
			if strings.Contains(r.Path, "/flows/twilio/") || r.Path == "/" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			req.Header.Set("Authorization", "Bearer "+testFlowKey)
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			var got respond.ErrorResponse
			_ = json.Unmarshal(rec.Body.Bytes(), &got)
			if rec.Code != http.StatusRequestEntityTooLarge || got.Error.Code != respond.CodeBodyTooLarge || !strings.Contains(got.Error.Message, respond.BodyLimit) {
				t.Errorf("POST %s (chunked %v) with 65 KB: got %d %s, want 413 %s saying %s", path, chunked, rec.Code, rec.Body, respond.CodeBodyTooLarge, respond.BodyLimit)
			}
		}
	}
	if n < 8 {
		t.Fatalf("only %d public POST routes found", n)
	}
}
