package web

import (
	"net/url"
	"time"
)

// DecisionFilterModel is the decision log's filter form, as typed.
type DecisionFilterModel struct {
	Action, Number, IP, Country, Reason string
	// From and To are datetime-local values, in UTC.
	From, To string
}

// Query returns the filter as URL query parameters, with cursor before
// when it is not empty.
func (f DecisionFilterModel) Query(before string) string {
	v := url.Values{}
	for k, s := range map[string]string{"action": f.Action, "number": f.Number, "ip": f.IP, "country": f.Country,
		"reason": f.Reason, "from": f.From, "to": f.To, "before": before} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v.Encode()
}

// ReasonView is one reason of a decision.
type ReasonView struct {
	// Name is the reason's human name, Description says when it is given
	// (both from the engine's reason table).
	Code, Name, Description, Detail string
	Weight                          int
	Hard                            bool
	// Waived is true when an allow list exempted the request from it.
	Waived bool
}

// DecisionRow is one logged decision as the log and the detail page show it.
type DecisionRow struct {
	// Entry is the decision's id in the console.
	Entry string
	// ID is the engine's decision id, also the callback id.
	ID string
	At time.Time
	// Number is masked in the log and whole on the detail page.
	Number, NumberCountry, NumberType string
	IP, IPCountry                     string
	ASN                               uint
	Flow                              string
	Action                            string
	// Shown is what the visitor's answer showed: "deflect" for the
	// alternatives, anything else for the accepted page.
	Shown   string
	Score   int
	Reasons []ReasonView
	// Label is "spam", "legit" or empty.
	Label string
}

// DecisionsModel is the decision log page.
type DecisionsModel struct {
	Filter DecisionFilterModel
	Rows   []DecisionRow
	// Next is the cursor of the following page, empty on the last.
	Next string
	// Paged is true when this is not the first page.
	Paged bool
	// Error says why the filter was refused.
	Error string
	// Reasons are the reasons the filter offers, by name.
	Reasons []ReasonOption
}

// ReasonOption is a reason the decisions filter offers: its code and its
// name.
type ReasonOption struct{ Code, Name string }

// CallView is a queued call's record.
type CallView struct {
	ID, State, LastError, ProviderID, Outcome string
	Attempts                                  int
}

// DecisionDetailModel is the detail page of one decision.
type DecisionDetailModel struct {
	Decision DecisionRow
	// DeflectAt and BlockAt are the thresholds in force now.
	DeflectAt, BlockAt int
	// Call is the call queued for the decision, nil when none.
	Call *CallView
	// Prefix is the default number prefix to deny: the number without its
	// last four digits.
	Prefix string
	// Network is the IP's /24 (IPv4) or /64 (IPv6) network.
	Network string
}

// QueueCountsView is how many calls are in each part of the queue.
type QueueCountsView struct {
	Queued, Dialing, Retrying, Dead int64
}

// CallRow is a recent call on the callback queue page.
type CallRow struct {
	ID, Number, Country, Flow, State, LastError, ProviderID, Outcome string
	Attempts                                                         int
	RequestedAt                                                      time.Time
}

// DeadRow is a dead letter on the callback queue page.
type DeadRow struct {
	Entry, CallID, Number, Country, Error string
	Attempts                              int
	At                                    time.Time
}

// CallsModel is the callback queue page.
type CallsModel struct {
	Counts QueueCountsView
	Recent []CallRow
	Dead   []DeadRow
}

// IVRRow is one flow's IVR counts on one UTC day.
type IVRRow struct {
	// Day is "2006-01-02"; Flow is empty on a totals row.
	Day, Flow                                                               string
	Screened, LetThrough, Challenged, Passed, Failed, Expired, Disconnected int64
}

// IVRModel is the IVR report page.
type IVRModel struct {
	Days  int
	Rows  []IVRRow
	Total IVRRow
}

// Refused reports whether the decision deflected or blocked the request.
func (d DecisionRow) Refused() bool { return d.Action == "deflect" || d.Action == "block" }

// shownAs says in words what the visitor saw for a decision shown as
// action.
func shownAs(action string) string {
	if action == "deflect" {
		return "the other ways to reach us (deflected)"
	}
	return "the accepted page"
}
