package contactflows

// How a placed call ended: what a dialer reports, a telephony flow sends
// to the call-end API and the Connect flows complete a callback with.
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

// Outcomes lists every call outcome.
var Outcomes = []string{OutcomeAnswered, OutcomeNoAnswer, OutcomeBusy, OutcomeFailed}
