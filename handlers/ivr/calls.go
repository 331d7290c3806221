package ivr

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/handlers/respond"
)

// maxCallIDLen bounds a callback id in a path.
const maxCallIDLen = 64

// CallEndRequest is the JSON body of POST /api/v1/calls/{id}/end.
type CallEndRequest struct {
	Outcome string `json:"outcome"`
}

// EndedResponse answers a recorded call end.
type EndedResponse struct {
	Status string `json:"status"`
	ID     string `json:"id"`
}

// RequireFlowKey admits requests bearing the flow API key. Without a
// configured key the routes it guards do not exist.
func (s *Handlers) RequireFlowKey(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.FlowAPIKey == "" {
			return &respond.Error{Code: respond.CodeNotFound, Err: errors.New("flow endpoint called but TOLLGATE_FLOW_API_KEY is not set")}
		}
		auth := c.Request().Header.Get(echo.HeaderAuthorization)
		key, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(key), []byte(s.FlowAPIKey)) != 1 {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="tollgate"`)
			return &respond.Error{Code: respond.CodeUnauthorized}
		}
		return next(c)
	}
}

// HandleCallEnd records that a call ended, from a telephony flow, and frees
// its number's hold.
func (s *Handlers) HandleCallEnd(c echo.Context) error {
	id := c.Param("id")
	if id == "" || len(id) > maxCallIDLen {
		return &respond.Error{Code: respond.CodeNotFound, Message: "No call has this id."}
	}
	var req CallEndRequest
	if err := respond.DecodeJSON(c.Request(), &req, "outcome"); err != nil {
		return err
	}
	if !slices.Contains(contactflows.Outcomes, req.Outcome) {
		return &respond.Error{Code: respond.CodeInvalidOutcome, Field: "outcome", Message: fmt.Sprintf("The outcome must be one of %s.", strings.Join(contactflows.Outcomes, ", "))}
	}
	return s.endCall(c, id, req.Outcome, func() error {
		return c.JSON(http.StatusOK, EndedResponse{Status: "ended", ID: id})
	})
}

// endCall ends call id and answers with ok, or with the error a client of
// either webhook should see. The store gets the webhook budget: past it
// the client is told to try again (503). The end may have been written
// before the deadline; the retry then finds the call ended and releases
// the number's hold again, which frees it if the first release never ran.
func (s *Handlers) endCall(c echo.Context, id, outcome string, ok func() error) error {
	ctx, cancel := s.Budget.Webhook(c.Request().Context())
	defer cancel()
	_, err := s.Calls.End(ctx, id, outcome)
	switch {
	case err != nil:
		return respond.Failed(err)
	}
	return ok()
}
