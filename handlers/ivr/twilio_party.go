package ivr

import (
	"net/url"
	"strings"
)

// twilioParty is the person on a Twilio call, the number screened and
// counted: From on an inbound call, To on one Tollgate placed (Direction
// outbound-api, or outbound-dial for a <Dial>ed leg), where From is
// Tollgate's own number. Amazon Connect names the person the same way
// whatever the direction: CustomerEndpoint.
func twilioParty(form url.Values) string {
	if strings.HasPrefix(form.Get("Direction"), "outbound") {
		return form.Get("To")
	}
	return form.Get("From")
}
