// Package web holds the templ components of Tollgate's public pages: the
// callback form, its outcome pages and the error page.
package web

import (
	"net/url"
	"strconv"
	"strings"
)

// Form field names, shared by the form markup and the handlers reading it.
const (
	// FieldName is the visitor's name, optional.
	FieldName = "name"
	// FieldPhone is the number to call back, as typed.
	FieldPhone = "phone"
	// FieldFlow names the flow a form posts for, carried in a hidden field.
	FieldFlow = "flow"
	// FieldVisitorToken carries the visitor token a host site put in the
	// form's URL, in a hidden field.
	FieldVisitorToken = "visitor_token"
	// FieldRegion is the country picked for a number typed without
	// +country, as an ISO 3166-1 alpha-2 code.
	FieldRegion = "region"
	// FieldReason is why the visitor wants a call, optional free text.
	FieldReason = "reason"
	// FieldConsent is the checkbox agreeing to be called; ticked sends
	// ConsentValue.
	FieldConsent = "consent"
	// FieldToken carries the signed form token in a hidden field.
	FieldToken = "token"
	// FieldHoneypot is a field people never see or fill.
	FieldHoneypot = "leave_blank"
)

// ConsentValue is what a ticked consent checkbox sends.
const ConsentValue = "yes"

// formFields are the visible fields in page order, the order of the error
// summary.
var formFields = []string{FieldName, FieldRegion, FieldPhone, FieldReason, FieldConsent}

// CallbackFormModel is what the callback form shows: the visitor's input,
// kept across a failed submission, and an error message per field.
type CallbackFormModel struct {
	// Name is the name the visitor typed.
	Name string
	// Region is the selected country's code, e.g. "GB".
	Region string
	// Phone is the number the visitor typed.
	Phone string
	// Reason is the reason for the call the visitor typed.
	Reason string
	// Consent is whether the consent box is ticked.
	Consent bool
	// Flow is carried in a hidden field when the form was shown or posted
	// with one.
	Flow string
	// VisitorToken is the host site's visitor token, carried in a hidden
	// field when the form was shown with one.
	VisitorToken string
	// Token is the signed form token, carried in a hidden field.
	Token string
	// Regions are the countries offered, in display order.
	Regions []Region
	// Errors maps a field name (FieldName, FieldPhone, ...) to its message.
	Errors map[string]string
	// Framing is how the page is shown: on its own or embedded.
	Framing Framing
}

// action is where the form posts: home, keeping the embedded framing.
func (m CallbackFormModel) action() string { return FormURL("", m.Framing) }

// Framing is how a public page is shown.
type Framing int

const (
	// OwnPage is a page on its own: the page's background, a card around
	// its content.
	OwnPage Framing = iota
	// Embedded is a page inside another site's frame (?embed=1): a
	// transparent background, no card, and a script that tells the parent
	// the page's height and moves the focus to the error summary.
	Embedded
)

// EmbedParam is the query parameter that asks for the Embedded framing,
// with the value "1".
const EmbedParam = "embed"

// FormURL is the path of the form for flow ("" for none) in framing f.
func FormURL(flow string, f Framing) string {
	q := url.Values{}
	if flow != "" {
		q.Set(FieldFlow, flow)
	}
	if f == Embedded {
		q.Set(EmbedParam, "1")
	}
	if len(q) == 0 {
		return "/"
	}
	return "/?" + q.Encode()
}

// Region is one country offered for a phone number.
type Region struct {
	// Code is the ISO 3166-1 alpha-2 code, e.g. "GB".
	Code string
	// Name is the country's name in English.
	Name string
	// CallingCode is the country calling code, e.g. 44.
	CallingCode int
}

// Label is the option text: the name and the calling code.
func (r Region) Label() string {
	return r.Name + " (+" + strconv.Itoa(r.CallingCode) + ")"
}

// fieldMessage is one entry of the error summary.
type fieldMessage struct {
	field, message string
}

// errorList returns the errors in page order.
func (m CallbackFormModel) errorList() []fieldMessage {
	var list []fieldMessage
	for _, f := range formFields {
		if msg := m.Error(f); msg != "" {
			list = append(list, fieldMessage{f, msg})
		}
	}
	return list
}

// title is the form page's title: its heading, marked when the page shows
// errors so screen reader users hear it first.
func (m CallbackFormModel) title(b Branding) string {
	if len(m.Errors) > 0 {
		return "Error: " + b.Heading
	}
	return b.Heading
}

// Error returns the message for field, or "" when it has none.
func (m CallbackFormModel) Error(field string) string {
	return m.Errors[field]
}

// describedBy lists the ids of the elements describing field: its hint, if
// any, then its error when there is one.
func (m CallbackFormModel) describedBy(field string, hint bool) string {
	var ids []string
	if hint {
		ids = append(ids, field+"-hint")
	}
	if m.Error(field) != "" {
		ids = append(ids, field+"-error")
	}
	return strings.Join(ids, " ")
}

// Channels are the other ways to reach the business offered when a
// callback is deflected, on the page and in the JSON API. Empty fields are
// not shown.
type Channels struct {
	// ChatURL links to a web chat.
	ChatURL string `json:"chat_url,omitempty"`
	// Phone is a number the visitor can call, as it should be displayed.
	Phone string `json:"phone,omitempty"`
	// Hours describes when the phone line or chat is staffed.
	Hours string `json:"hours,omitempty"`
}

// Empty reports whether no channel is configured: opening hours alone
// are no way to reach anyone.
func (c Channels) Empty() bool {
	return c.ChatURL == "" && c.Phone == ""
}

// telURL returns a tel: URL for a displayed phone number, keeping only a
// leading plus and the digits.
func telURL(phone string) string {
	var b strings.Builder
	b.WriteString("tel:")
	for i, r := range phone {
		if (r >= '0' && r <= '9') || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
