package ivr

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/contactflows/connectevent"
	"github.com/tollgate/tollgate/contactflows/flowsig"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
)

// connectFlowDefault is the flow an Amazon Connect event names when its
// parameters do not.
const connectFlowDefault = "connect"

// HandleConnect takes an Amazon Connect flow's Lambda event, forwarded and
// signed by cmd/connect-bridge, and answers the flat map of strings a
// flow reads as $.External. Details.Parameters.action says what to do:
//
//   - screen: screen the caller (CustomerEndpoint.Address) and, to
//     challenge it, issue a code: result, verdict, challenge_id, code,
//     attempts.
//   - issue: issue a code without screening, as for an answered callback:
//     result, challenge_id, code, attempts.
//   - verify: check Parameters.digits against Parameters.challenge_id:
//     result (pass, retry, fail, expired, spent, unknown), attempts_left,
//     and reason store_unavailable when the IVR fail mode answered.
//   - complete: the callback Parameters.callback_id (or the contact
//     attribute callback_id) ended with Parameters.outcome: result.
//
// Parameters.flow names the flow; every value answered holds only letters,
// digits, '-' and '_', as Connect requires. A replay of a signed event
// within the clock skew is answered as the event was, with no second
// effect. A field of the event whose JSON type does not fit
// events.ConnectEvent is ignored, not the event.
func (s *Handlers) HandleConnect(c echo.Context) error {
	if len(s.BridgeSecrets) == 0 || s.Challenges == nil {
		return &respond.Error{Code: respond.CodeNotFound, Err: errors.New("Connect flow endpoint called but TOLLGATE_BRIDGE_SECRET is not set")}
	}
	r := c.Request()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return respond.BodyReadError(err)
	}
	err = flowsig.VerifyAny(s.BridgeSecrets, r.Header.Get(flowsig.HeaderTimestamp), r.Header.Get(flowsig.HeaderSignature), body, s.now(), 0)
	if err != nil {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Signature realm="tollgate"`)
		return &respond.Error{Code: respond.CodeUnauthorized, Message: "The request is not signed with the bridge secret.", Err: err}
	}
	digest := requestDigest("connect", r.Header.Get(flowsig.HeaderTimestamp), string(body))
	return s.answerOnce(c, digest, connectReplayTTL, func() error { return s.answerConnect(c, body) })
}

// answerConnect answers a Connect event whose signature was verified.
func (s *Handlers) answerConnect(c echo.Context, body []byte) error {
	r := c.Request()
	ev, ignored, err := connectevent.Decode(body)
	if err != nil {
		return &respond.Error{Code: respond.CodeMalformedJSON, Message: "The request body must be an Amazon Connect event, a JSON object.", Err: err}
	}
	if ignored != "" {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "Connect event fields of unexpected types ignored",
			slog.String("contact", ev.Details.ContactData.ContactID), slog.String("first", ignored))
	}
	p, cd := ev.Details.Parameters, ev.Details.ContactData
	flow := p["flow"]
	if flow == "" {
		flow = connectFlowDefault
	}
	if !risk.ValidFlowName(flow) {
		return respond.FieldError(respond.CodeInvalidFlow, "flow", "The flow parameter may hold only letters, digits, '.', '_' and '-'.")
	}
	ctx := r.Context()
	switch p["action"] {
	case "screen":
		st, err := s.startIVR(ctx, risk.CallerRequest{Caller: cd.CustomerEndpoint.Address, Flow: flow}, cd.ContactID)
		if err != nil {
			return err
		}
		res := map[string]string{"result": "ok", "verdict": string(st.Screening.Verdict)}
		if st.Screening.Verdict == risk.Challenge {
			addChallenge(res, st.Challenge)
		}
		return c.JSON(http.StatusOK, res)
	case "issue":
		if cd.ContactID == "" || len(cd.ContactID) > maxContactIDLen {
			return respond.FieldError(respond.CodeBadRequest, "ContactId", "Details.ContactData.ContactId is missing or too long.")
		}
		ch, err := s.issueChallenge(ctx, flow, cd.ContactID)
		if err != nil {
			return err
		}
		res := map[string]string{"result": "ok"}
		addChallenge(res, ch)
		return c.JSON(http.StatusOK, res)
	case "verify":
		v, err := s.verifyIVR(ctx, p["challenge_id"], p["digits"], cd.CustomerEndpoint.Address, cd.ContactID)
		if err != nil {
			return err
		}
		res := map[string]string{"result": string(v.Result), "attempts_left": strconv.Itoa(v.AttemptsLeft)}
		if v.StoreDown {
			res["reason"] = risk.CodeStoreUnavailable
		}
		return c.JSON(http.StatusOK, res)
	case "complete":
		id := p["callback_id"]
		if id == "" {
			id = cd.Attributes[contactflows.ConnectAttrCallbackID]
		}
		outcome := p["outcome"]
		if outcome == "" {
			outcome = contactflows.OutcomeAnswered
		}
		return s.endCall(c, id, outcome, func() error { return c.JSON(http.StatusOK, map[string]string{"result": "ok"}) })
	}
	return respond.FieldError(respond.CodeBadRequest, "action", "Details.Parameters.action must be screen, issue, verify or complete.")
}

// addChallenge puts a challenge's id, code and attempts in a flow answer.
func addChallenge(res map[string]string, ch contactflows.Challenge) {
	res["challenge_id"], res["code"], res["attempts"] = ch.ID, ch.Code, strconv.Itoa(ch.Attempts)
}

// HandleContactFlowDownload serves an importable Amazon Connect flow with
// the deployment's values filled in from the query: lambda_arn, queue_arn
// and flow.
func (s *Handlers) HandleContactFlowDownload(c echo.Context) error {
	name := strings.TrimSuffix(c.Param("name"), ".json")
	flow, err := contactflows.ContactFlow(name, contactflows.FlowValues{
		LambdaARN: c.QueryParam("lambda_arn"), QueueARN: c.QueryParam("queue_arn"), FlowName: c.QueryParam("flow"),
	})
	switch {
	case errors.Is(err, contactflows.ErrUnknownFlow):
		return respond.Failed(err)
	case err != nil:
		return &respond.Error{Code: respond.CodeBadRequest, Message: "Give lambda_arn, queue_arn and flow: " + strings.TrimPrefix(err.Error(), "contactflows: "), Err: err}
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.json"`)
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, flow)
}
