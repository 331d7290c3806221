package dispatch

import (
	"context"
	"errors"
	"time"
)

// Call is one outbound callback to place.
type Call struct {
	// ID is the callback id, which is also the risk decision id holding the
	// number's outstanding-callback lock.
	ID string `json:"id"`
	// Number is the E.164 number to dial.
	Number string `json:"number"`
	// Country is the number's ISO 3166-1 region, e.g. "GB".
	Country string `json:"country,omitempty"`
	// Name is the name the visitor gave, possibly empty.
	Name string `json:"name,omitempty"`
	// Flow names the form or flow the request came from.
	Flow string `json:"flow,omitempty"`
	// Attributes are passed to the contact flow as contact attributes.
	Attributes map[string]string `json:"attributes,omitempty"`
	// RequestedAt is when the visitor asked for the call.
	RequestedAt time.Time `json:"requested_at"`
}

// Result is what a Dialer reports once a call is placed.
type Result struct {
	// ProviderID is the telephony provider's id for the call.
	ProviderID string
	// Outcome is one of contactflows.OutcomeAnswered, contactflows.OutcomeNoAnswer, contactflows.OutcomeBusy or
	// contactflows.OutcomeFailed when the Dialer knows how the call ended, or empty when
	// the provider reports the end later (a status callback or the call-end
	// API), which is when the number's hold is released.
	Outcome string
}

// Dialer places one call. A Dialer must be safe for concurrent use and
// should return promptly once ctx is done. An error means the call was not
// placed; wrap it with Permanent when trying again cannot help.
type Dialer interface {
	// Dial places c and reports the provider's id and, when known, how the
	// call ended.
	Dial(ctx context.Context, c Call) (Result, error)
}

// IdempotentDialer is a Dialer for which dialing the same Call.ID twice
// places one call (Amazon Connect's ClientToken). After a worker died
// between dialing and recording the result, the dispatcher dials such a
// call again to learn its id; any other Dialer's call is not dialed again.
type IdempotentDialer interface {
	Dialer
	// Idempotent reports whether repeated dials of one Call.ID place one
	// call.
	Idempotent() bool
}

// permanentError marks a dial error that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as one retrying cannot fix (a rejected number, bad
// credentials, a missing contact flow): the call goes to the dead letters
// at once. Nil stays nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// maybePlacedError marks a dial error after which the provider may have
// placed the call all the same.
type maybePlacedError struct{ err error }

func (e *maybePlacedError) Error() string { return e.err.Error() }
func (e *maybePlacedError) Unwrap() error { return e.err }

// MaybePlaced marks err as one after which the call may have been placed:
// the request reached the provider but no answer came back (a timeout, a
// reset connection). A call of an IdempotentDialer is dialed again, which
// returns the same call; any other goes to the dead letters rather than
// risk a second call. Nil stays nil.
func MaybePlaced(err error) error {
	if err == nil {
		return nil
	}
	return &maybePlacedError{err: err}
}

// IsMaybePlaced reports whether err, or an error it wraps, was marked with
// MaybePlaced.
func IsMaybePlaced(err error) bool {
	var me *maybePlacedError
	return errors.As(err, &me)
}

// IsPermanent reports whether err, or an error it wraps, was marked with
// Permanent.
func IsPermanent(err error) bool {
	var pe *permanentError
	return errors.As(err, &pe)
}
