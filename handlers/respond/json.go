package respond

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
)

// DecodeJSON reads r's body strictly into v: JSON media type, UTF-8, one
// object of v's fields (named in fields for the error message) and nothing
// after it.
func DecodeJSON(r *http.Request, v any, fields string) error {
	mediaType, params, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil || mediaType != echo.MIMEApplicationJSON {
		return &Error{Code: CodeUnsupportedMedia}
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return &Error{Code: CodeUnsupportedMedia, Message: "The request body must be UTF-8 JSON."}
	}

	body, err := io.ReadAll(r.Body)
	if err != nil {
		return BodyReadError(err)
	}
	if !utf8.Valid(body) {
		return &Error{Code: CodeInvalidUTF8, Message: "The request body is not valid UTF-8."}
	}

	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, fields)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &Error{Code: CodeTrailingData, Message: "The request body must hold a single JSON object and nothing after it."}
	}
	return nil
}

// BodyReadError turns a failure reading a request body into an Error.
func BodyReadError(err error) *Error {
	var he *echo.HTTPError
	var mbe *http.MaxBytesError
	if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge || errors.As(err, &mbe) {
		return &Error{Code: CodeBodyTooLarge, Err: err}
	}
	return &Error{Code: CodeBadRequest, Message: "The request body could not be read.", Err: err}
}

// jsonError explains a json.Decoder error in terms a client can act on;
// fields names the fields allowed.
func jsonError(err error, fields string) *Error {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return &Error{Code: CodeMalformedJSON, Message: "The request body is empty.", Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Code: CodeMalformedJSON, Message: "The request body ends before the JSON is complete.", Err: err}
	case errors.As(err, &syntaxErr):
		return &Error{Code: CodeMalformedJSON, Message: fmt.Sprintf("The request body is not valid JSON (at byte %d).", syntaxErr.Offset), Err: err}
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return &Error{Code: CodeWrongType, Message: "The request body must be a JSON object.", Err: err}
		}
		return &Error{Code: CodeWrongType, Field: typeErr.Field, Message: fmt.Sprintf("Field %q must be a string, not %s.", typeErr.Field, typeErr.Value), Err: err}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		if unq, uerr := strconv.Unquote(name); uerr == nil {
			name = unq
		}
		if utf8.RuneCountInString(name) > 40 {
			name = string([]rune(name)[:40]) + "…"
		}
		return &Error{Code: CodeUnknownField, Message: fmt.Sprintf("Unknown field %q; allowed fields are %s.", name, fields), Err: err}
	default:
		return &Error{Code: CodeMalformedJSON, Message: "The request body is not valid JSON.", Err: err}
	}
}
