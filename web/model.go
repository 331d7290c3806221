// Package web holds the templ components of Tollgate's public pages: the
// callback form, its outcome pages and the error page.
package web

import "strings"

// Form field names, shared by the form markup and the handlers reading it.
const (
	// FieldName is the visitor's name, optional.
	FieldName = "name"
	// FieldPhone is the number to call back, as typed.
	FieldPhone = "phone"
	// FieldFlow names the flow a form posts for, carried in a hidden field.
	FieldFlow = "flow"
	// FieldRegion is the country a number typed without +country is in.
	FieldRegion = "region"
)

// CallbackFormModel is what the callback form shows: the visitor's input,
// kept across a failed submission, and an error message per field.
type CallbackFormModel struct {
	// Name is the name the visitor typed.
	Name string
	// Phone is the number the visitor typed.
	Phone string
	// Flow is carried in a hidden field when the form was posted with one.
	Flow string
	// Errors maps a field name (FieldName, FieldPhone) to its message.
	Errors map[string]string
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

// empty reports whether no channel is configured.
func (c Channels) empty() bool {
	return c.ChatURL == "" && c.Phone == "" && c.Hours == ""
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
