package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/web"
)

// Error codes sent to clients. Each maps to one status in statusByCode.
const (
	codeBadRequest       = "bad_request"
	codeNotFound         = "not_found"
	codeMethodNotAllowed = "method_not_allowed"
	codeBodyTooLarge     = "body_too_large"
	codeUnsupportedMedia = "unsupported_media_type"
	codeMalformedJSON    = "malformed_json"
	codeUnknownField     = "unknown_field"
	codeWrongType        = "wrong_type"
	codeTrailingData     = "trailing_data"
	codeInvalidUTF8      = "invalid_utf8"
	codeMissingPhone     = "missing_phone"
	codePhoneTooLong     = "phone_too_long"
	codeInvalidPhone     = "invalid_phone"
	codeNameTooLong      = "name_too_long"
	codeInvalidName      = "invalid_name"
	codeInvalidFlow      = "invalid_flow"
	codeInvalidRegion    = "invalid_region"
	codeInvalidOutcome   = "invalid_outcome"
	codeUnauthorized     = "unauthorized"
	codeForbidden        = "forbidden"
	codeReasonTooLong    = "reason_too_long"
	codeInvalidReason    = "invalid_reason"
	codeMissingConsent   = "missing_consent"
	codeInvalidFilter    = "invalid_filter"
	codeInvalidEntry     = "invalid_entry"
	codeInvalidToken     = "invalid_token"
	codeInvalidSettings  = "invalid_settings"
	codeUnavailable      = "unavailable"
	codeImportRefused    = "import_refused"
	codeInternal         = "internal"

	// The callback API's access modes refuse a request without a key or
	// visitor token they accept.
	codeInvalidAPIKey       = "invalid_api_key"
	codeInvalidVisitorToken = "invalid_visitor_token"
)

// statusByCode is the one place an error code becomes an HTTP status.
var statusByCode = map[string]int{
	codeBadRequest:       http.StatusBadRequest,
	codeNotFound:         http.StatusNotFound,
	codeMethodNotAllowed: http.StatusMethodNotAllowed,
	codeBodyTooLarge:     http.StatusRequestEntityTooLarge,
	codeUnsupportedMedia: http.StatusUnsupportedMediaType,
	codeMalformedJSON:    http.StatusBadRequest,
	codeUnknownField:     http.StatusBadRequest,
	codeWrongType:        http.StatusBadRequest,
	codeTrailingData:     http.StatusBadRequest,
	codeInvalidUTF8:      http.StatusBadRequest,
	codeMissingPhone:     http.StatusUnprocessableEntity,
	codePhoneTooLong:     http.StatusUnprocessableEntity,
	codeInvalidPhone:     http.StatusUnprocessableEntity,
	codeNameTooLong:      http.StatusUnprocessableEntity,
	codeInvalidName:      http.StatusUnprocessableEntity,
	codeInvalidFlow:      http.StatusUnprocessableEntity,
	codeInvalidRegion:    http.StatusUnprocessableEntity,
	codeInvalidOutcome:   http.StatusUnprocessableEntity,
	codeUnauthorized:     http.StatusUnauthorized,
	codeForbidden:        http.StatusForbidden,
	codeReasonTooLong:    http.StatusUnprocessableEntity,
	codeInvalidReason:    http.StatusUnprocessableEntity,
	codeMissingConsent:   http.StatusUnprocessableEntity,
	codeInvalidFilter:    http.StatusUnprocessableEntity,
	codeInvalidToken:     http.StatusUnprocessableEntity,
	codeInvalidEntry:     http.StatusUnprocessableEntity,
	codeInvalidSettings:  http.StatusUnprocessableEntity,
	codeUnavailable:      http.StatusServiceUnavailable,
	codeImportRefused:    http.StatusUnprocessableEntity,
	codeInternal:         http.StatusInternalServerError,

	codeInvalidAPIKey:       http.StatusUnauthorized,
	codeInvalidVisitorToken: http.StatusUnauthorized,
}

// defaultMessages are the messages of errors that carry none of their own.
var defaultMessages = map[string]string{
	codeBadRequest:       "The request could not be understood.",
	codeNotFound:         "There is nothing at this address.",
	codeMethodNotAllowed: "This method is not allowed here.",
	codeBodyTooLarge:     "The request body is larger than " + bodyLimit + ".",
	codeUnsupportedMedia: "Content-Type must be application/json.",
	codeUnavailable:      "The service is temporarily unavailable. Please try again shortly.",
	codeUnauthorized:     "A valid API key is required: send Authorization: Bearer <key>.",
	codeForbidden:        "The request's signature is not valid.",
	codeInternal:         "Something went wrong on our side. Please try again later.",
}

// appError is an error a client may see: a stable code, a message safe to
// show and, for validation errors, the field concerned. Err is the
// internal cause; it is logged, never sent.
type appError struct {
	Code    string
	Message string
	Field   string
	Err     error
}

func (e *appError) Error() string {
	msg := e.Code
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *appError) Unwrap() error { return e.Err }

// status returns the HTTP status for e's code.
func (e *appError) status() int {
	if st, ok := statusByCode[e.Code]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// message returns e's message or its code's default one.
func (e *appError) message() string {
	if e.Message != "" {
		return e.Message
	}
	if m, ok := defaultMessages[e.Code]; ok {
		return m
	}
	return defaultMessages[codeInternal]
}

// fieldError is a validation error on one input field.
func fieldError(code, field, message string) *appError {
	return &appError{Code: code, Field: field, Message: message}
}

// asAppError converts any error a handler or middleware returns into an
// appError, keeping err as the internal cause.
func asAppError(err error) *appError {
	var ae *appError
	if errors.As(err, &ae) {
		return ae
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code := codeInternal
		switch he.Code {
		case http.StatusNotFound:
			code = codeNotFound
		case http.StatusMethodNotAllowed:
			code = codeMethodNotAllowed
		case http.StatusRequestEntityTooLarge:
			code = codeBodyTooLarge
		case http.StatusUnsupportedMediaType:
			code = codeUnsupportedMedia
		case http.StatusServiceUnavailable:
			code = codeUnavailable
		default:
			if he.Code >= 400 && he.Code < 500 {
				code = codeBadRequest
			}
		}
		return &appError{Code: code, Err: err}
	}
	return &appError{Code: codeInternal, Err: err}
}

// errorResponse is the JSON body of every error.
type errorResponse struct {
	Error errorBody `json:"error"`
}

// errorBody is the error object inside errorResponse.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// errorHandledKey marks a request whose error handleError has dealt with.
const errorHandledKey = "tollgate.error_handled"

// handleError is echo's HTTPErrorHandler: it maps err to a status and a safe
// message, logs server-side failures with their detail and answers HTML or
// JSON. Echo calls it twice for one error (from the request logger, then
// from ServeHTTP); only the first call counts. An error after the response
// was committed is logged, and nothing more is written.
func (s *server) handleError(err error, c echo.Context) {
	if c.Get(errorHandledKey) != nil {
		return
	}
	c.Set(errorHandledKey, true)
	ae := asAppError(err)
	status := ae.status()
	committed := c.Response().Committed
	if status >= http.StatusInternalServerError {
		attrs := []slog.Attr{
			slog.String("code", ae.Code),
			slog.String("method", c.Request().Method),
			slog.String("path", c.Request().URL.Path),
			slog.Bool("committed", committed),
			slog.Any("err", err),
		}
		var pe *panicError
		if errors.As(err, &pe) {
			attrs = append(attrs, slog.String("stack", string(pe.stack)))
		}
		s.log.LogAttrs(c.Request().Context(), slog.LevelError, "request failed", attrs...)
	}
	if committed {
		return
	}

	var werr error
	switch {
	case c.Request().Method == http.MethodHead:
		werr = c.NoContent(status)
	case wantsHTML(c) && isConsolePath(c.Request().URL.Path):
		werr = s.render(c, status, web.AdminErrorPage(status, http.StatusText(status), ae.message()))
	case wantsHTML(c):
		werr = s.render(c, status, web.ErrorPage(s.form.brand, status, ae.message()))
	default:
		werr = c.JSON(status, errorResponse{Error: errorBody{Code: ae.Code, Message: ae.message(), Field: ae.Field}})
	}
	if werr != nil {
		s.log.Error("writing error response", slog.Any("err", werr))
		if !c.Response().Committed {
			_ = c.String(status, ae.message())
		}
	}
}

// isConsolePath reports whether path is a page of the admin console.
func isConsolePath(path string) bool {
	return path == adminPrefix || strings.HasPrefix(path, adminPrefix+"/")
}

// wantsHTML reports whether an error should be answered as a page: never
// under /api/, otherwise when the Accept header names HTML.
func wantsHTML(c echo.Context) bool {
	if strings.HasPrefix(c.Request().URL.Path, "/api/") {
		return false
	}
	accept := c.Request().Header.Get(echo.HeaderAccept)
	return strings.Contains(accept, echo.MIMETextHTML) || strings.Contains(accept, "application/xhtml+xml")
}
