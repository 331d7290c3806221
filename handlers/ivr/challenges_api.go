package ivr

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
)

// ChallengeRequest is the JSON body of POST /api/v1/challenges.
type ChallengeRequest struct {
	Caller      string `json:"caller"`
	Flow        string `json:"flow"`
	ContactID   string `json:"contact_id"`
	Attestation string `json:"attestation"`
}

// ChallengeResponse answers a screening: the verdict and, to challenge,
// the code to read to the caller.
type ChallengeResponse struct {
	Verdict     risk.Verdict `json:"verdict"`
	Reasons     []string     `json:"reasons"`
	ChallengeID string       `json:"challenge_id,omitempty"`
	Code        string       `json:"code,omitempty"`
	Attempts    int          `json:"attempts,omitempty"`
	ExpiresAt   *time.Time   `json:"expires_at,omitempty"`
}

// VerifyRequest is the JSON body of POST /api/v1/challenges/{id}/verify.
type VerifyRequest struct {
	Digits string `json:"digits"`
	Caller string `json:"caller"`
	// ContactID is the call now keying the code, required: a challenge
	// issued to another contact is unknown.
	ContactID string `json:"contact_id"`
}

// VerifyResponse answers a verification.
type VerifyResponse struct {
	Result       string `json:"result"`
	AttemptsLeft int    `json:"attempts_left"`
	// Reason is store_unavailable when the code could not be checked and
	// the IVR fail mode answered.
	Reason string `json:"reason,omitempty"`
}

// Input limits of the challenge API, in bytes.
const (
	maxCallerLen    = 64
	maxContactIDLen = 128
	maxDigitsLen    = 32
)

// HandleChallengeCreate screens a caller for a telephony flow and, when
// the caller must be challenged, issues its code.
func (s *Handlers) HandleChallengeCreate(c echo.Context) error {
	var req ChallengeRequest
	if err := respond.DecodeJSON(c.Request(), &req, "caller, flow, contact_id and attestation"); err != nil {
		return err
	}
	switch {
	case req.ContactID == "" || len(req.ContactID) > maxContactIDLen:
		return respond.FieldError(respond.CodeBadRequest, "contact_id", "contact_id must hold the telephony platform's id of the call, at most 128 characters.")
	case len(req.Caller) > maxCallerLen || len(req.Attestation) > maxCallerLen:
		return respond.FieldError(respond.CodeBadRequest, "caller", "caller and attestation must be at most 64 characters.")
	case !risk.ValidFlowName(req.Flow):
		return respond.FieldError(respond.CodeInvalidFlow, "flow", "flow must name the IVR flow: letters, digits, '.', '_' and '-', at most 64.")
	}
	st, err := s.startIVR(c.Request().Context(), risk.CallerRequest{Caller: req.Caller, Flow: req.Flow, Attestation: req.Attestation}, req.ContactID)
	if err != nil {
		return err
	}
	res := ChallengeResponse{Verdict: st.Screening.Verdict, Reasons: risk.Decision{Reasons: st.Screening.Reasons}.Codes()}
	if ch := st.Challenge; st.Screening.Verdict == risk.Challenge {
		res.ChallengeID, res.Code, res.Attempts, res.ExpiresAt = ch.ID, ch.Code, ch.Attempts, &ch.ExpiresAt
	}
	return c.JSON(http.StatusOK, res)
}

// HandleChallengeVerify checks the digits a caller keyed.
func (s *Handlers) HandleChallengeVerify(c echo.Context) error {
	var req VerifyRequest
	if err := respond.DecodeJSON(c.Request(), &req, "digits, caller and contact_id"); err != nil {
		return err
	}
	if len(req.Digits) > maxDigitsLen || len(req.Caller) > maxCallerLen {
		return respond.FieldError(respond.CodeBadRequest, "digits", "digits must be at most 32 characters and caller at most 64.")
	}
	if req.ContactID == "" || len(req.ContactID) > maxContactIDLen {
		return respond.FieldError(respond.CodeBadRequest, "contact_id", "contact_id must hold the id of the call keying the code, the one the challenge was issued for, at most 128 characters.")
	}
	v, err := s.verifyIVR(c.Request().Context(), c.Param("id"), req.Digits, req.Caller, req.ContactID)
	if err != nil {
		return err
	}
	res := VerifyResponse{Result: string(v.Result), AttemptsLeft: v.AttemptsLeft}
	if v.StoreDown {
		res.Reason = risk.CodeStoreUnavailable
	}
	return c.JSON(http.StatusOK, res)
}

// StatsResponse is a day's IVR outcomes.
type StatsResponse struct {
	Day   string                      `json:"day"`
	Flows map[string]map[string]int64 `json:"flows"`
}

// HandleChallengeStats reports a UTC day's IVR outcomes per flow: callers
// screened, passed unchallenged, disconnected, and codes issued, passed,
// failed and expired. ?day=YYYY-MM-DD, default today.
func (s *Handlers) HandleChallengeStats(c echo.Context) error {
	if s.Challenges == nil {
		return &respond.Error{Code: respond.CodeNotFound}
	}
	day := s.now().UTC()
	if q := c.QueryParam("day"); q != "" {
		d, err := time.Parse(time.DateOnly, q)
		if err != nil {
			return respond.FieldError(respond.CodeBadRequest, "day", "day must be a date such as 2026-11-22.")
		}
		day = d
	}
	ctx, cancel := s.Budget.Bound(c.Request().Context())
	defer cancel()
	stats, err := s.Challenges.Stats(ctx, day)
	if err != nil {
		return respond.Failed(err)
	}
	if stats == nil {
		stats = map[string]map[string]int64{}
	}
	return c.JSON(http.StatusOK, StatsResponse{Day: day.Format(time.DateOnly), Flows: stats})
}
