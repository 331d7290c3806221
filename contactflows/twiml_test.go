package contactflows

import (
	"strings"
	"testing"
)

func TestTwilioContinue(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"dial:+442071838750", `<Response><Say>Hello</Say><Dial><Number>+442071838750</Number></Dial></Response>`, ""},
		{"dial:sip:agents@pbx.example.com", `<Response><Say>Hello</Say><Dial><Sip>sip:agents@pbx.example.com</Sip></Dial></Response>`, ""},
		{"enqueue:callbacks & <more>", `<Response><Say>Hello</Say><Enqueue>callbacks &amp; &lt;more&gt;</Enqueue></Response>`, ""},
		{"redirect:https://cc.example.com/twiml?a=1&b=2", `<Response><Say>Hello</Say><Redirect method="POST">https://cc.example.com/twiml?a=1&amp;b=2</Redirect></Response>`, ""},
		{"dial:020 7183 8750", "", "neither an E.164 number"},
		{"enqueue:", "", "1 to 64 characters"},
		{"redirect:http://cc.example.com/", "", "not an absolute https URL"},
		{"hangup", "", "does not start with dial:"},
	}
	for _, tt := range tests {
		c, err := ParseTwilioContinue(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseTwilioContinue(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseTwilioContinue(%q): %v", tt.in, err)
			continue
		}
		if got, want := string(c.TwiML("Hello")), `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+tt.want; got != want {
			t.Errorf("%s: TwiML =\n%s\nwant\n%s", tt.in, got, want)
		}
	}
}
