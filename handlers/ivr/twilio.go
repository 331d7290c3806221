package ivr

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/respond"
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

// RequireTwilioSignature admits requests Twilio signed with the account's
// auth token, or with the previous one while it is rotated. The signed URL is the public URL the request was sent to,
// which a TLS-terminating proxy does not change. Without a token or a
// public URL the Twilio routes do not exist.
func (s *Handlers) RequireTwilioSignature(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.TwilioAuthToken == "" || s.PublicURL == "" {
			return &respond.Error{Code: respond.CodeNotFound, Err: errors.New("Twilio webhook called but TOLLGATE_TWILIO_AUTH_TOKEN or TOLLGATE_PUBLIC_URL is not set")}
		}
		if c.Path() != dispatch.TwilioStatusPath && s.TwilioContinue.Verb == "" {
			return &respond.Error{Code: respond.CodeNotFound, Err: errors.New("Twilio voice webhook called but TOLLGATE_TWILIO_CONTINUE is not set")}
		}
		r := c.Request()
		if err := r.ParseForm(); err != nil {
			return respond.BodyReadError(err)
		}
		url := s.PublicURL + r.URL.RequestURI()
		sig := r.Header.Get("X-Twilio-Signature")
		if !contactflows.ValidTwilioSignature(s.TwilioAuthToken, url, r.PostForm, sig) &&
			!contactflows.ValidTwilioSignature(s.TwilioPreviousAuthToken, url, r.PostForm, sig) {
			return &respond.Error{Code: respond.CodeForbidden}
		}
		return next(c)
	}
}

// TwilioGreeting is what the callee hears on answering a callback.
const TwilioGreeting = "Hello, this is the call back you asked for."

// twilioCallbackFlow is the flow the challenges of answered callbacks are
// counted under.
const twilioCallbackFlow = "callback"

// HandleTwilioOutbound answers Twilio's request for the TwiML of an
// answered callback: a greeting, then a code the callee keys in before an
// agent is connected (which stops bots and recordings sitting on pumped
// numbers), or, without a challenge service, on to the contact centre.
func (s *Handlers) HandleTwilioOutbound(c echo.Context) error {
	if s.Challenges == nil {
		return twiml(c, contactflows.Say{Text: TwilioGreeting}, s.TwilioContinue.Next())
	}
	sid := c.Request().PostForm.Get("CallSid")
	if sid == "" || len(sid) > maxContactIDLen {
		return respond.FieldError(respond.CodeBadRequest, "CallSid", "CallSid is missing or too long.")
	}
	ctx, cancel := s.Budget.Bound(c.Request().Context())
	defer cancel()
	ch, err := s.Challenges.Issue(ctx, twilioCallbackFlow, sid)
	switch {
	case errors.Is(err, contactflows.ErrTooManyChallenges):
		return &respond.Error{Code: respond.CodeUnavailable, Err: fmt.Errorf("issuing a callback's challenge: %w", err)}
	case err != nil:
		// The store failed: the IVR fail mode decides, as for a caller.
		s.Budget.FellBack(ctx, surface, string(s.FailMode), fmt.Errorf("issuing a callback's challenge: %w", err))
		if s.FailMode == FailPass {
			return twiml(c, contactflows.Say{Text: TwilioGreeting}, s.TwilioContinue.Next())
		}
		if ch, err = s.Fallback.Issue(twilioCallbackFlow, sid); err != nil {
			return &respond.Error{Code: respond.CodeInternal, Err: fmt.Errorf("issuing a callback's fallback challenge: %w", err)}
		}
	}
	return twiml(c, s.gather(twilioCallbackFlow, ch.ID, ch.Code, TwilioGreeting, 1))
}

// HandleTwilioStatus takes Twilio's status callback for a placed call and,
// once the call is over, frees its number's hold.
func (s *Handlers) HandleTwilioStatus(c echo.Context) error {
	id := c.QueryParam(dispatch.TwilioCallbackParam)
	outcome, final := twilioOutcomes[c.Request().PostForm.Get("CallStatus")]
	if id == "" || len(id) > maxCallIDLen || !final {
		return c.NoContent(http.StatusNoContent)
	}
	return s.endCall(c, id, outcome, func() error { return c.NoContent(http.StatusNoContent) })
}
