// Package connectevent reads the event an Amazon Connect flow's "Invoke
// AWS Lambda function" block sends, leniently: Connect's event has grown
// over the years and older samples and integrations give some fields
// other JSON types (the admin guide's older sample has "Queue":
// "QueueName" where events.ConnectEvent expects an object). A field whose
// type does not fit is left at its zero value, one by one; the event is
// refused only when it is not a JSON object.
package connectevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
)

// ErrNotEvent means the document is not a JSON object, so no Connect event.
var ErrNotEvent = errors.New("connectevent: not a JSON object")

// Decode reads doc into a ConnectEvent. Each field whose JSON type does
// not fit events.ConnectEvent is skipped and the rest read; ignored
// describes the first one skipped, "" when none was. The error is
// ErrNotEvent, wrapped, when doc is not a JSON object.
func Decode(doc []byte) (ev events.ConnectEvent, ignored string, err error) {
	trimmed := bytes.TrimSpace(doc)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return events.ConnectEvent{}, "", ErrNotEvent
	}
	// encoding/json skips a value of the wrong type, field by field and
	// map entry by map entry, decodes the rest, and reports the first
	// one skipped as an *UnmarshalTypeError.
	err = json.Unmarshal(doc, &ev)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return ev, "", nil
	case errors.As(err, &typeErr):
		return ev, fmt.Sprintf("%s: %s where %s is expected", typeErr.Field, typeErr.Value, typeErr.Type), nil
	}
	return events.ConnectEvent{}, "", fmt.Errorf("%w: %v", ErrNotEvent, err)
}
