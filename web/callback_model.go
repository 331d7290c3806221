package web

import "strings"

// AcceptedModel is the page thanking the visitor once a callback request is
// taken. Every field comes from what the visitor sent or from the decision's
// id, never from its action: a blocked request gets the same page.
type AcceptedModel struct {
	// Number is the number to call, masked (risk.MaskNumber).
	Number string
	// Reference is the short reference of the decision (Reference).
	Reference string
	// Framing is how the page is shown.
	Framing Framing
}

// DeflectedModel is the page shown when a callback cannot be arranged.
type DeflectedModel struct {
	// Channels are the other ways to reach the business; empty fields are
	// left out.
	Channels Channels
	// Flow is the flow the form posted for, kept by the link back to it.
	Flow string
	// Framing is how the page is shown.
	Framing Framing
}

// formURL is the link back to the form.
func (m DeflectedModel) formURL() string { return FormURL(m.Flow, m.Framing) }

// ReferenceLen is how many characters of a decision id its reference
// shows.
const ReferenceLen = 8

// Reference is the short reference a visitor is given for the decision id:
// its first ReferenceLen characters in upper case, in two groups of four,
// e.g. "NMFI-PY3Y". The console's decision filter finds a decision by it.
func Reference(id string) string {
	if len(id) > ReferenceLen {
		id = id[:ReferenceLen]
	}
	id = strings.ToUpper(id)
	if len(id) <= ReferenceLen/2 {
		return id
	}
	return id[:ReferenceLen/2] + "-" + id[ReferenceLen/2:]
}
