package contactflows

import (
	"encoding/xml"
	"fmt"
	"net/url"
	"strings"
)

// TwilioContinue is where a Twilio call goes once Tollgate is done with it:
// dial a number or SIP address, join a TaskRouter/queue by name, or
// redirect to the contact centre's own TwiML.
type TwilioContinue struct {
	// Verb is "dial", "enqueue" or "redirect".
	Verb string
	// Target is the E.164 number or sip: URI, the queue name, or the
	// absolute https URL.
	Target string
}

// ParseTwilioContinue reads "dial:+442071838750", "dial:sip:agents@pbx.example.com",
// "enqueue:callbacks" or "redirect:https://example.com/twiml".
func ParseTwilioContinue(s string) (TwilioContinue, error) {
	verb, target, _ := strings.Cut(s, ":")
	c := TwilioContinue{Verb: verb, Target: target}
	switch verb {
	case "dial":
		if !isE164(target) && !strings.HasPrefix(target, "sip:") {
			return c, fmt.Errorf("dial: %q is neither an E.164 number nor a sip: address", target)
		}
	case "enqueue":
		if target == "" || len(target) > 64 {
			return c, fmt.Errorf("enqueue: the queue name must have 1 to 64 characters")
		}
	case "redirect":
		u, err := url.Parse(target)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return c, fmt.Errorf("redirect: %q is not an absolute https URL", target)
		}
	default:
		return c, fmt.Errorf("%q does not start with dial:, enqueue: or redirect:", s)
	}
	return c, nil
}

// twimlResponse is a TwiML document of the verbs Tollgate uses.
type twimlResponse struct {
	XMLName  xml.Name    `xml:"Response"`
	Say      string      `xml:"Say,omitempty"`
	Dial     *twimlDial  `xml:"Dial,omitempty"`
	Enqueue  string      `xml:"Enqueue,omitempty"`
	Redirect *twimlRedir `xml:"Redirect,omitempty"`
}

type twimlDial struct {
	Number string `xml:"Number,omitempty"`
	Sip    string `xml:"Sip,omitempty"`
}

type twimlRedir struct {
	Method string `xml:"method,attr"`
	URL    string `xml:",chardata"`
}

// TwiML returns the document that says greeting, if any, then continues
// the call as c says.
func (c TwilioContinue) TwiML(greeting string) []byte {
	r := twimlResponse{Say: greeting}
	switch c.Verb {
	case "dial":
		if strings.HasPrefix(c.Target, "sip:") {
			r.Dial = &twimlDial{Sip: c.Target}
		} else {
			r.Dial = &twimlDial{Number: c.Target}
		}
	case "enqueue":
		r.Enqueue = c.Target
	case "redirect":
		r.Redirect = &twimlRedir{Method: "POST", URL: c.Target}
	}
	b, _ := xml.Marshal(r) // cannot fail: only strings
	return append([]byte(xml.Header), b...)
}
