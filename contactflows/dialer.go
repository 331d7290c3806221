// Package contactflows places the outbound calls that allowed callbacks
// become: the Dialer interface, the default Simulator, and the Dispatcher
// that queues calls for dialing.
package contactflows

import (
	"context"
	"time"
)

// Call outcomes a Dialer reports in Result.Outcome.
const (
	// OutcomeAnswered means the visitor picked up.
	OutcomeAnswered = "answered"
	// OutcomeNoAnswer means the call rang out.
	OutcomeNoAnswer = "no-answer"
	// OutcomeBusy means the line was busy.
	OutcomeBusy = "busy"
	// OutcomeFailed means the call could not be connected.
	OutcomeFailed = "failed"
)

// Call is one outbound callback to place.
type Call struct {
	// ID is the callback id, which is also the risk decision id holding the
	// number's outstanding-callback lock.
	ID string
	// Number is the E.164 number to dial.
	Number string
	// Name is the name the visitor gave, possibly empty.
	Name string
	// Flow names the form or flow the request came from.
	Flow string
	// Attributes are passed to the contact flow as contact attributes.
	Attributes map[string]string
	// RequestedAt is when the visitor asked for the call.
	RequestedAt time.Time
}

// Result is what a Dialer reports once a call is over.
type Result struct {
	// ProviderID is the telephony provider's id for the call.
	ProviderID string
	// Outcome is one of OutcomeAnswered, OutcomeNoAnswer, OutcomeBusy or
	// OutcomeFailed.
	Outcome string
}

// Dialer places one call and returns when the call is over. A Dialer must
// be safe for concurrent use and should return promptly once ctx is done.
type Dialer interface {
	// Dial places c and reports how it ended; an error means the call could
	// not be placed or completed.
	Dial(ctx context.Context, c Call) (Result, error)
}
