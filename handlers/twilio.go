package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/contactflows"
)

// twilioOutcomes maps Twilio's final CallStatus values to call outcomes;
// other statuses are not the end of a call.
var twilioOutcomes = map[string]string{
	"completed": contactflows.OutcomeAnswered,
	"busy":      contactflows.OutcomeBusy,
	"no-answer": contactflows.OutcomeNoAnswer,
	"failed":    contactflows.OutcomeFailed,
	"canceled":  contactflows.OutcomeFailed,
}

// requireTwilioSignature admits requests Twilio signed with the account's
// auth token. The signed URL is the public URL the request was sent to,
// which a TLS-terminating proxy does not change. Without a token or a
// public URL the Twilio routes do not exist.
func (s *server) requireTwilioSignature(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.TwilioAuthToken == "" || s.PublicURL == "" {
			return &appError{Code: codeNotFound, Err: errors.New("Twilio webhook called but TOLLGATE_TWILIO_AUTH_TOKEN or TOLLGATE_PUBLIC_URL is not set")}
		}
		r := c.Request()
		if err := r.ParseForm(); err != nil {
			return bodyReadError(err)
		}
		url := s.PublicURL + r.URL.RequestURI()
		if !contactflows.ValidTwilioSignature(s.TwilioAuthToken, url, r.PostForm, r.Header.Get("X-Twilio-Signature")) {
			return &appError{Code: codeForbidden}
		}
		return next(c)
	}
}

// twilioGreeting is what the callee hears on answering a callback.
const twilioGreeting = "Hello, this is the call back you asked for. Please hold while we connect you."

// handleTwilioOutbound answers Twilio's request for the TwiML of an
// answered callback: a greeting, then on to the contact centre.
func (s *server) handleTwilioOutbound(c echo.Context) error {
	if s.TwilioContinue.Verb == "" {
		return &appError{Code: codeNotFound, Err: errors.New("Twilio asked for callback TwiML but TOLLGATE_TWILIO_CONTINUE is not set")}
	}
	return c.Blob(http.StatusOK, "text/xml; charset=utf-8", s.TwilioContinue.TwiML(twilioGreeting))
}

// handleTwilioStatus takes Twilio's status callback for a placed call and,
// once the call is over, frees its number's hold.
func (s *server) handleTwilioStatus(c echo.Context) error {
	id := c.QueryParam(contactflows.TwilioCallbackParam)
	outcome, final := twilioOutcomes[c.Request().PostForm.Get("CallStatus")]
	if id == "" || len(id) > maxCallIDLen || !final {
		return c.NoContent(http.StatusNoContent)
	}
	return s.endCall(c, id, outcome, func() error { return c.NoContent(http.StatusNoContent) })
}
