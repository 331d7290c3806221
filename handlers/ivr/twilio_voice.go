package ivr

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/risk"
)

// What callers hear.
const (
	SayGoodbye   = "Sorry, we cannot take your call. Goodbye."
	SayWrongCode = "That code was not right."
	SayNoInput   = "We did not receive a code."
	// SayCodeUnchecked comes before a new code when the store could not
	// check the one keyed.
	SayCodeUnchecked = "We could not check that code. Here is a new one."
)

// Query parameters the Twilio voice routes carry from one request to the
// next. Twilio signs the whole URL, so they cannot be changed on the way.
const (
	paramFlow      = "flow"
	paramChallenge = "challenge"
	ParamCode      = "code"
	// paramStep counts the Gathers of a challenge, so that a caller who
	// keys the same wrong digits twice sends two requests, not one and a
	// replay of it.
	paramStep = "step"
)

// Paths of the Twilio voice routes.
const (
	TwilioVoicePath  = "/flows/twilio/voice"
	TwilioVerifyPath = "/flows/twilio/voice/verify"
)

// HandleTwilioVoice screens an inbound call Twilio reports (the number's
// voice webhook, with ?flow=<name>) and answers TwiML: on to the contact
// centre, a code to key in, or a polite goodbye.
func (s *Handlers) HandleTwilioVoice(c echo.Context) error {
	f := c.Request().PostForm
	flow := c.QueryParam(paramFlow)
	if !risk.ValidFlowName(flow) {
		flow = "twilio"
	}
	st, err := s.startIVR(c.Request().Context(), risk.CallerRequest{
		Caller: twilioParty(f), Flow: flow, Attestation: f.Get("StirVerstat"),
	}, f.Get("CallSid"))
	if err != nil {
		return err
	}
	switch st.Screening.Verdict {
	case risk.Pass:
		return twiml(c, s.TwilioContinue.Next())
	case risk.Challenge:
		return twiml(c, s.gather(flow, st.Challenge.ID, st.Challenge.Code, "", 1))
	}
	return twiml(c, contactflows.Say{Text: SayGoodbye}, contactflows.Hangup{})
}

// HandleTwilioVerify checks the digits a caller keyed into a Gather; a
// failure counts against the person on the call (twilioParty), the callee
// on an answered callback.
func (s *Handlers) HandleTwilioVerify(c echo.Context) error {
	r := c.Request()
	flow, id, code := c.QueryParam(paramFlow), c.QueryParam(paramChallenge), c.QueryParam(ParamCode)
	digits := r.PostForm.Get("Digits")
	v, err := s.verifyIVR(r.Context(), id, digits, twilioParty(r.PostForm), r.PostForm.Get("CallSid"))
	if err != nil {
		return err
	}
	if sid := r.PostForm.Get("CallSid"); v.StoreDown && v.Result == contactflows.VerifyExpired && sid != "" && len(sid) <= maxContactIDLen {
		// The code cannot be checked: read the caller a stateless one.
		if !risk.ValidFlowName(flow) {
			flow = "twilio"
		}
		ch, err := s.issueChallenge(r.Context(), flow, sid)
		if err != nil {
			return err
		}
		return twiml(c, s.gather(flow, ch.ID, ch.Code, SayCodeUnchecked, 1))
	}
	switch v.Result {
	case contactflows.VerifyPass:
		return twiml(c, s.TwilioContinue.Next())
	case contactflows.VerifyRetry:
		first := SayWrongCode
		if digits == "" {
			first = SayNoInput
		}
		step, _ := strconv.Atoi(c.QueryParam(paramStep))
		return twiml(c, s.gather(flow, id, code, first, max(step, 1)+1))
	}
	return twiml(c, contactflows.Say{Text: SayGoodbye}, contactflows.Hangup{})
}

// gather asks the caller to key in code, read twice digit by digit, after
// first, if any; the digits go to the verify route, or an empty result
// when none came, which counts as a wrong attempt. step numbers the
// Gathers of one challenge from 1.
func (s *Handlers) gather(flow, id, code, first string, step int) contactflows.Gather {
	q := url.Values{paramFlow: {flow}, paramChallenge: {id}, ParamCode: {code}, paramStep: {strconv.Itoa(step)}}
	g := contactflows.Gather{
		Input: "dtmf", NumDigits: len(code), Timeout: 8, Method: http.MethodPost, ActionOnEmptyResult: true,
		Action: s.PublicURL + TwilioVerifyPath + "?" + q.Encode(),
	}
	if first != "" {
		g.Says = append(g.Says, contactflows.Say{Text: first})
	}
	spoken := contactflows.SpokenDigits(code)
	g.Says = append(g.Says,
		contactflows.Say{Text: "To continue, please enter the code " + spoken + " on your keypad."},
		contactflows.Say{Text: "Again, the " + strconv.Itoa(len(code)) + " digit code is " + spoken + "."},
	)
	return g
}

// twiml answers with a TwiML document of verbs.
func twiml(c echo.Context, verbs ...any) error {
	return c.Blob(http.StatusOK, "text/xml; charset=utf-8", contactflows.TwiML(verbs...))
}
