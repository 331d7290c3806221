package contactflows

import (
	"encoding/xml"
	"fmt"
	"net/url"
	"strings"
)

// TwilioContinue is where a Twilio call goes once Tollgate is done with it:
// dial a number or SIP address, join a queue by name, or redirect to the
// contact centre's own TwiML.
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
		if !IsE164(target) && !strings.HasPrefix(target, "sip:") {
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

// TwiML verbs Tollgate answers with, each marshalled under its own name.
type (
	// Say speaks Text.
	Say struct {
		XMLName xml.Name `xml:"Say"`
		Text    string   `xml:",chardata"`
	}
	// Gather collects NumDigits DTMF digits and posts them to Action, even
	// when none came, while its Says play.
	Gather struct {
		XMLName             xml.Name `xml:"Gather"`
		Input               string   `xml:"input,attr"`
		NumDigits           int      `xml:"numDigits,attr"`
		Timeout             int      `xml:"timeout,attr"`
		Action              string   `xml:"action,attr"`
		Method              string   `xml:"method,attr"`
		ActionOnEmptyResult bool     `xml:"actionOnEmptyResult,attr"`
		Says                []Say
	}
	// Hangup ends the call.
	Hangup struct {
		XMLName xml.Name `xml:"Hangup"`
	}
	dialVerb struct {
		XMLName xml.Name `xml:"Dial"`
		Number  string   `xml:"Number,omitempty"`
		Sip     string   `xml:"Sip,omitempty"`
	}
	enqueueVerb struct {
		XMLName xml.Name `xml:"Enqueue"`
		Queue   string   `xml:",chardata"`
	}
	redirectVerb struct {
		XMLName xml.Name `xml:"Redirect"`
		Method  string   `xml:"method,attr"`
		URL     string   `xml:",chardata"`
	}
)

// Next is the TwiML verb that continues the call as c says.
func (c TwilioContinue) Next() any {
	switch {
	case c.Verb == "dial" && strings.HasPrefix(c.Target, "sip:"):
		return dialVerb{Sip: c.Target}
	case c.Verb == "dial":
		return dialVerb{Number: c.Target}
	case c.Verb == "enqueue":
		return enqueueVerb{Queue: c.Target}
	case c.Verb == "redirect":
		return redirectVerb{Method: "POST", URL: c.Target}
	}
	return Say{Text: "Sorry, we cannot connect your call."}
}

// TwiML returns the document that says greeting, if any, then continues
// the call as c says.
func (c TwilioContinue) TwiML(greeting string) []byte {
	if greeting == "" {
		return TwiML(c.Next())
	}
	return TwiML(Say{Text: greeting}, c.Next())
}

// TwiML returns a TwiML document of verbs.
func TwiML(verbs ...any) []byte {
	doc := struct {
		XMLName xml.Name `xml:"Response"`
		Verbs   []any
	}{Verbs: verbs}
	b, err := xml.Marshal(doc)
	if err != nil { // only the verb types above are passed
		panic("contactflows: " + err.Error())
	}
	return append([]byte(xml.Header), b...)
}

// SpokenDigits spells a code digit by digit, as a Say reads it clearly:
// "4, 8, 2, 1".
func SpokenDigits(code string) string {
	return strings.Join(strings.Split(code, ""), ", ")
}
