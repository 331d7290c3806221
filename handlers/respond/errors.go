// Package respond is what every HTTP surface of Tollgate answers with: the
// errors a client may see, their stable codes and the one table that turns
// a code, or a domain error, into an HTTP status; pages rendered whole or
// not at all; the request body limit; and the client's address.
package respond

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/admin/audit"
	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/risk/replay"
	"github.com/tollgate/tollgate/risk/spike"
)

// Error codes sent to clients. Each maps to one status in statusByCode.
const (
	CodeBadRequest       = "bad_request"
	CodeNotFound         = "not_found"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeBodyTooLarge     = "body_too_large"
	CodeUnsupportedMedia = "unsupported_media_type"
	CodeMalformedJSON    = "malformed_json"
	CodeUnknownField     = "unknown_field"
	CodeWrongType        = "wrong_type"
	CodeTrailingData     = "trailing_data"
	CodeInvalidUTF8      = "invalid_utf8"
	CodeMissingPhone     = "missing_phone"
	CodePhoneTooLong     = "phone_too_long"
	CodeInvalidPhone     = "invalid_phone"
	CodeNameTooLong      = "name_too_long"
	CodeInvalidName      = "invalid_name"
	CodeInvalidFlow      = "invalid_flow"
	CodeInvalidRegion    = "invalid_region"
	CodeInvalidOutcome   = "invalid_outcome"
	CodeUnauthorized     = "unauthorized"
	CodeForbidden        = "forbidden"
	CodeReasonTooLong    = "reason_too_long"
	CodeInvalidReason    = "invalid_reason"
	CodeMissingConsent   = "missing_consent"
	CodeInvalidFilter    = "invalid_filter"
	CodeInvalidEntry     = "invalid_entry"
	CodeInvalidToken     = "invalid_token"
	CodeInvalidSettings  = "invalid_settings"
	CodeUnavailable      = "unavailable"
	CodeImportRefused    = "import_refused"
	CodeInternal         = "internal"

	// The callback API's access modes refuse a request without a key or
	// visitor token they accept.
	CodeInvalidAPIKey       = "invalid_api_key"
	CodeInvalidVisitorToken = "invalid_visitor_token"
)

// statusByCode is the one place an error code becomes an HTTP status.
var statusByCode = map[string]int{
	CodeBadRequest:       http.StatusBadRequest,
	CodeNotFound:         http.StatusNotFound,
	CodeMethodNotAllowed: http.StatusMethodNotAllowed,
	CodeBodyTooLarge:     http.StatusRequestEntityTooLarge,
	CodeUnsupportedMedia: http.StatusUnsupportedMediaType,
	CodeMalformedJSON:    http.StatusBadRequest,
	CodeUnknownField:     http.StatusBadRequest,
	CodeWrongType:        http.StatusBadRequest,
	CodeTrailingData:     http.StatusBadRequest,
	CodeInvalidUTF8:      http.StatusBadRequest,
	CodeMissingPhone:     http.StatusUnprocessableEntity,
	CodePhoneTooLong:     http.StatusUnprocessableEntity,
	CodeInvalidPhone:     http.StatusUnprocessableEntity,
	CodeNameTooLong:      http.StatusUnprocessableEntity,
	CodeInvalidName:      http.StatusUnprocessableEntity,
	CodeInvalidFlow:      http.StatusUnprocessableEntity,
	CodeInvalidRegion:    http.StatusUnprocessableEntity,
	CodeInvalidOutcome:   http.StatusUnprocessableEntity,
	CodeUnauthorized:     http.StatusUnauthorized,
	CodeForbidden:        http.StatusForbidden,
	CodeReasonTooLong:    http.StatusUnprocessableEntity,
	CodeInvalidReason:    http.StatusUnprocessableEntity,
	CodeMissingConsent:   http.StatusUnprocessableEntity,
	CodeInvalidFilter:    http.StatusUnprocessableEntity,
	CodeInvalidToken:     http.StatusUnprocessableEntity,
	CodeInvalidEntry:     http.StatusUnprocessableEntity,
	CodeInvalidSettings:  http.StatusUnprocessableEntity,
	CodeUnavailable:      http.StatusServiceUnavailable,
	CodeImportRefused:    http.StatusUnprocessableEntity,
	CodeInternal:         http.StatusInternalServerError,

	CodeInvalidAPIKey:       http.StatusUnauthorized,
	CodeInvalidVisitorToken: http.StatusUnauthorized,
}

// defaultMessages are the messages of errors that carry none of their own.
var defaultMessages = map[string]string{
	CodeBadRequest:       "The request could not be understood.",
	CodeNotFound:         "There is nothing at this address.",
	CodeMethodNotAllowed: "This method is not allowed here.",
	CodeBodyTooLarge:     "The request body is larger than " + BodyLimit + ".",
	CodeUnsupportedMedia: "Content-Type must be application/json.",
	CodeUnavailable:      "The service is temporarily unavailable. Please try again shortly.",
	CodeUnauthorized:     "A valid API key is required: send Authorization: Bearer <key>.",
	CodeForbidden:        "The request's signature is not valid.",
	CodeInternal:         "Something went wrong on our side. Please try again later.",
}

// domainErrors are the errors of Tollgate's stores a client may be told
// of, each with its code and a message safe to show; Handlers pass a store's error
// to Failed, and this table alone says what the client is told.
var domainErrors = []struct {
	err           error
	code, message string
}{
	{dispatch.ErrUnknownCall, CodeNotFound, "No call has this id."},
	{dispatch.ErrUnknownDecision, CodeNotFound, "There is no decision with this id; the log may have dropped it."},
	{dispatch.ErrUnknownDeadLetter, CodeNotFound, "There is no such dead letter: it was already retried or discarded."},
	{audit.ErrNoEntry, CodeNotFound, "There is no audit entry with this ID; old entries are trimmed."},
	{auth.ErrNoToken, CodeNotFound, "No token has this ID."},
	{spike.ErrUnknownAlert, CodeNotFound, "There is no alert with this id; old alerts are trimmed."},
	{spike.ErrNothingToLift, CodeNotFound, "This alert has no block in force: it blocked nothing, or its block was lifted or ended."},
	{replay.ErrBusy, CodeUnavailable, "A backtest is already running on this instance; try again when it ends."},
	{contactflows.ErrUnknownFlow, CodeNotFound, "No contact flow has this name; there are " + strings.Join(contactflows.ContactFlowNames(), " and ") + "."},
}

// Failed is the error a client sees when a store call failed with err: the
// code and message of the domain error err is, or CodeUnavailable, with
// err as the cause either way.
func Failed(err error) *Error {
	for _, d := range domainErrors {
		if errors.Is(err, d.err) {
			return &Error{Code: d.code, Message: d.message, Err: err}
		}
	}
	return &Error{Code: CodeUnavailable, Err: err}
}

// Error is an error a client may see: a stable code, a message safe to
// show and, for validation errors, the field concerned. Err is the
// internal cause; it is logged, never sent.
type Error struct {
	Code    string
	Message string
	Field   string
	Err     error
}

func (e *Error) Error() string {
	msg := e.Code
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Status returns the HTTP status for e's code.
func (e *Error) Status() int {
	if st, ok := statusByCode[e.Code]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// Text returns e's message or its code's default one.
func (e *Error) Text() string {
	if e.Message != "" {
		return e.Message
	}
	if m, ok := defaultMessages[e.Code]; ok {
		return m
	}
	return defaultMessages[CodeInternal]
}

// FieldError is a validation error on one input field.
func FieldError(code, field, message string) *Error {
	return &Error{Code: code, Field: field, Message: message}
}

// As converts any error a handler or middleware returns into an
// Error, keeping err as the internal cause.
func As(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code := CodeInternal
		switch he.Code {
		case http.StatusNotFound:
			code = CodeNotFound
		case http.StatusMethodNotAllowed:
			code = CodeMethodNotAllowed
		case http.StatusRequestEntityTooLarge:
			code = CodeBodyTooLarge
		case http.StatusUnsupportedMediaType:
			code = CodeUnsupportedMedia
		case http.StatusServiceUnavailable:
			code = CodeUnavailable
		default:
			if he.Code >= 400 && he.Code < 500 {
				code = CodeBadRequest
			}
		}
		return &Error{Code: code, Err: err}
	}
	return &Error{Code: CodeInternal, Err: err}
}

// ErrorResponse is the JSON body of every error.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody is the error object inside ErrorResponse.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// CheckText checks an optional free-text field: valid UTF-8, at most max
// characters, no control characters. It returns the first problem, or nil.
func CheckText(v, field, label string, max int, tooLong, invalid string) *Error {
	switch {
	case !utf8.ValidString(v):
		return FieldError(CodeInvalidUTF8, field, "The "+label+" contains invalid characters.")
	case utf8.RuneCountInString(v) > max:
		return FieldError(tooLong, field, fmt.Sprintf("The %s must be at most %d characters.", label, max))
	case strings.ContainsFunc(v, unicode.IsControl):
		return FieldError(invalid, field, "The "+label+" must not contain control characters.")
	}
	return nil
}
