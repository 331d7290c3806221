package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// callbackRequest is the JSON body of POST /api/v1/callbacks.
type callbackRequest struct {
	Phone        string `json:"phone"`
	Name         string `json:"name"`
	Flow         string `json:"flow"`
	Region       string `json:"region"`
	Reason       string `json:"reason"`
	VisitorToken string `json:"visitor_token"`
}

// acceptedResponse answers an allowed or blocked callback alike.
type acceptedResponse struct {
	Status string `json:"status"`
	ID     string `json:"id"`
}

// deflectedResponse answers a deflected callback with the alternatives.
type deflectedResponse struct {
	Status       string       `json:"status"`
	Alternatives web.Channels `json:"alternatives"`
}

// handleCallbackCreate takes a callback request as JSON. A decision shown
// as deflected (risk.Decision.Shown) gets 200 with the alternatives, any
// other the same 202: the answer never depends on hidden reasons.
func (s *server) handleCallbackCreate(c echo.Context) error {
	req, err := decodeCallbackRequest(c.Request())
	if err != nil {
		return err
	}
	in := callbackInput{Phone: req.Phone, Name: req.Name, Flow: req.Flow, Region: req.Region, Note: req.Reason, VisitorToken: req.VisitorToken}
	d, err := s.decide(c, in, surfaceAPI)
	if err != nil {
		return err
	}
	if d.Shown() == risk.Deflect {
		return c.JSON(http.StatusOK, deflectedResponse{
			Status:       "deflected",
			Alternatives: s.deflection(),
		})
	}
	return c.JSON(http.StatusAccepted, acceptedResponse{Status: "accepted", ID: d.ID})
}

// decodeCallbackRequest reads r's body as a callbackRequest.
func decodeCallbackRequest(r *http.Request) (callbackRequest, error) {
	var req callbackRequest
	err := respond.DecodeJSON(r, &req, "phone, name, flow, region, reason and visitor_token")
	return req, err
}
