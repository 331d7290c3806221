package risk

import (
	"net/netip"
	"time"

	"github.com/tollgate/tollgate/risk/geo"
)

// Action is what Tollgate does with a request.
type Action string

// The three actions a Decision can carry.
const (
	// Allow lets the request through: the callback is queued.
	Allow Action = "allow"
	// Deflect offers the visitor another channel instead of a call.
	Deflect Action = "deflect"
	// Block refuses the request silently: the visitor sees what Allow shows.
	Block Action = "block"
)

// Request is everything the engine knows about one callback request.
type Request struct {
	// Phone is the number exactly as the visitor typed it.
	Phone string
	// Region is the ISO 3166-1 alpha-2 region for numbers typed without
	// +country; empty means the engine's default region.
	Region string
	// IP is the visitor's address as the server determined it.
	IP netip.Addr
	// UserAgent is the visitor's User-Agent header.
	UserAgent string
	// Flow names the form or flow the request came from; it selects the
	// country policy for that flow. Empty means the account default.
	Flow string
	// FlowBound is true when something the visitor cannot choose binds the
	// request to Flow (an API key bound to it); only then may the flow's
	// policy loosen the account's. See Settings.CountryMode.
	FlowBound bool
	// Visitor is the signed-in account a host site vouched for with a
	// valid visitor token; nil for an anonymous visitor.
	Visitor *Visitor
	// Extra holds reasons found outside the engine (form friction, tokens);
	// they are scored with the engine's own.
	Extra []Reason
	// Geo, when set, is what is known of IP (a replay's facts, as they
	// were recorded): the engine's GeoIP databases are not asked, and what
	// they lack is not reported.
	Geo *geo.Info
}

// Visitor is a signed-in account a host site vouched for. The engine
// counts its requests and distinct numbers, and vouches for the request
// (authenticated) unless the token was bound to another number or was
// single-use and seen before.
type Visitor struct {
	// Account is the host site's id of the account.
	Account string
	// Number, when set, is the only number the token vouches for, as
	// typed or in E.164.
	Number string
	// Flow, when set, binds the request to that flow (see
	// Settings.CountryMode) when the request names it.
	Flow string
	// Once, when set, makes the token single-use: it is the token's id.
	Once string
	// Expiry is when the token stops being valid.
	Expiry time.Time
}

// Reason is one thing that contributed to a Decision.
type Reason struct {
	// Code is stable and machine-readable, e.g. "deny_number".
	Code string `json:"code"`
	// Weight is the points the reason added to the score (negative for trust).
	Weight int `json:"weight"`
	// Hard is true when the reason blocks whatever the score.
	Hard bool `json:"hard,omitempty"`
	// Detail is a short human explanation.
	Detail string `json:"detail,omitempty"`
	// Monitor is true when the code is in monitor mode (Settings.Monitor):
	// Weight is 0, Hard is false, and Detail says what it would have added.
	Monitor bool `json:"monitor,omitempty"`
	// Waived is true when an allow list exempted the request from this
	// reason: it counts toward what the visitor is shown (Decision.Visible)
	// but not toward the action, so the answer does not tell that the
	// number or address is listed.
	Waived bool `json:"waived,omitempty"`
	// Corroborating is true when the reason counts only alongside
	// evidence of another family: the volume of an address many people
	// share (CodeSharedAddress). Its weight is then left out of the
	// score when nothing else marks the request.
	Corroborating bool `json:"corroborating,omitempty"`
}

// Decision is the engine's answer for one Request.
type Decision struct {
	// ID identifies the decision; it doubles as the callback id and is the
	// holder of the number's outstanding-callback lock when Action is Allow.
	ID string `json:"id"`
	// Action is allow, deflect or block: what Tollgate does.
	Action Action `json:"action"`
	// Visible is the action the visitor's answer shows: the one the
	// reasons the visitor can see for themselves give, leaving out the
	// hidden ones (ReasonInfo.Hidden) and counting the waived ones. The
	// form and the API show the alternatives when it is Deflect and the
	// accepted page otherwise; a call is placed only when Action is Allow.
	Visible Action `json:"visible,omitempty"`
	// Score is the sum of the reasons' weights, never below zero.
	Score int `json:"score"`
	// Number is the normalised E.164 number, e.g. "+442071838750".
	Number string `json:"number"`
	// NumberCountry is the ISO region of the number, e.g. "GB".
	NumberCountry string `json:"number_country,omitempty"`
	// NumberType is the phonenumbers type in lower case, e.g. "mobile", "voip".
	NumberType string `json:"number_type,omitempty"`
	// IP is the client address the decision was made for.
	IP netip.Addr `json:"ip"`
	// IPCountry is the ISO country of the IP, empty when unknown.
	IPCountry string `json:"ip_country,omitempty"`
	// ASN is the autonomous system of the IP, 0 when unknown.
	ASN uint `json:"asn,omitempty"`
	// Flow is the flow the request came from.
	Flow string `json:"flow,omitempty"`
	// FlowBound is Request.FlowBound: the flow's policy could loosen the
	// account's.
	FlowBound bool `json:"flow_bound,omitempty"`
	// Reserved is the estimated cost, in minor units, held in the daily
	// budget for the call of an allowed decision; 0 when no budget is set.
	Reserved int64 `json:"reserved,omitempty"`
	// Reasons lists every reason that contributed, in the order found.
	Reasons []Reason `json:"reasons"`
	// At is when the decision was made.
	At time.Time `json:"at"`
}

// Shown is the action the visitor is shown: Visible, or Action for a
// decision recorded before Visible existed.
func (d Decision) Shown() Action {
	if d.Visible == "" {
		return d.Action
	}
	return d.Visible
}

// Codes returns the decision's reason codes in order.
func (d Decision) Codes() []string {
	codes := make([]string, len(d.Reasons))
	for i, r := range d.Reasons {
		codes[i] = r.Code
	}
	return codes
}

// Has reports whether the decision carries the reason code.
func (d Decision) Has(code string) bool {
	for _, r := range d.Reasons {
		if r.Code == code {
			return true
		}
	}
	return false
}
