package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

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
	err := decodeJSON(r, &req, "phone, name, flow, region, reason and visitor_token")
	return req, err
}

// decodeJSON reads r's body strictly into v: JSON media type, UTF-8, one
// object of v's fields (named in fields for the error message) and nothing
// after it.
func decodeJSON(r *http.Request, v any, fields string) error {
	mediaType, params, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil || mediaType != echo.MIMEApplicationJSON {
		return &appError{Code: codeUnsupportedMedia}
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return &appError{Code: codeUnsupportedMedia, Message: "The request body must be UTF-8 JSON."}
	}

	body, err := io.ReadAll(r.Body)
	if err != nil {
		return bodyReadError(err)
	}
	if !utf8.Valid(body) {
		return &appError{Code: codeInvalidUTF8, Message: "The request body is not valid UTF-8."}
	}

	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, fields)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &appError{Code: codeTrailingData, Message: "The request body must hold a single JSON object and nothing after it."}
	}
	return nil
}

// bodyReadError turns a failure reading a request body into an appError.
func bodyReadError(err error) *appError {
	var he *echo.HTTPError
	var mbe *http.MaxBytesError
	if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge || errors.As(err, &mbe) {
		return &appError{Code: codeBodyTooLarge, Err: err}
	}
	return &appError{Code: codeBadRequest, Message: "The request body could not be read.", Err: err}
}

// jsonError explains a json.Decoder error in terms a client can act on;
// fields names the fields allowed.
func jsonError(err error, fields string) *appError {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return &appError{Code: codeMalformedJSON, Message: "The request body is empty.", Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &appError{Code: codeMalformedJSON, Message: "The request body ends before the JSON is complete.", Err: err}
	case errors.As(err, &syntaxErr):
		return &appError{Code: codeMalformedJSON, Message: fmt.Sprintf("The request body is not valid JSON (at byte %d).", syntaxErr.Offset), Err: err}
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return &appError{Code: codeWrongType, Message: "The request body must be a JSON object.", Err: err}
		}
		return &appError{Code: codeWrongType, Field: typeErr.Field, Message: fmt.Sprintf("Field %q must be a string, not %s.", typeErr.Field, typeErr.Value), Err: err}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		if unq, uerr := strconv.Unquote(name); uerr == nil {
			name = unq
		}
		if utf8.RuneCountInString(name) > 40 {
			name = string([]rune(name)[:40]) + "…"
		}
		return &appError{Code: codeUnknownField, Message: fmt.Sprintf("Unknown field %q; allowed fields are %s.", name, fields), Err: err}
	default:
		return &appError{Code: codeMalformedJSON, Message: "The request body is not valid JSON.", Err: err}
	}
}
