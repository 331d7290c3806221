package main

import (
	"strings"
	"testing"
)

func TestLoadConfigDialerNeeds(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{"TOLLGATE_DIALER": "connect"}, []string{"TOLLGATE_CONNECT_REGION", "TOLLGATE_CONNECT_INSTANCE_ID", "TOLLGATE_CONNECT_CONTACT_FLOW_ID", "TOLLGATE_CONNECT_SOURCE_PHONE or TOLLGATE_CONNECT_QUEUE_ID"}},
		{map[string]string{"TOLLGATE_DIALER": "twilio", "TOLLGATE_TWILIO_FROM": "+442071838750"}, []string{"TOLLGATE_TWILIO_ACCOUNT_SID", "TOLLGATE_TWILIO_AUTH_TOKEN", "TOLLGATE_PUBLIC_URL", "TOLLGATE_TWILIO_CONTINUE"}},
	}
	for _, tt := range tests {
		_, err := LoadConfig(envOf(tt.env))
		if err == nil {
			t.Fatalf("%v: got no error", tt.env)
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), "needs "+w) {
				t.Errorf("%v: error %q does not say it needs %s", tt.env, err, w)
			}
		}
		if strings.Contains(err.Error(), "TOLLGATE_TWILIO_FROM\n") {
			t.Errorf("error %q names a variable that is set", err)
		}
	}
	c, err := LoadConfig(envOf(map[string]string{
		"TOLLGATE_DIALER": "connect", "TOLLGATE_CONNECT_REGION": "eu-west-2",
		"TOLLGATE_CONNECT_INSTANCE_ID":     "12345678-aaaa-bbbb-cccc-0123456789ab",
		"TOLLGATE_CONNECT_CONTACT_FLOW_ID": "87654321-aaaa-bbbb-cccc-0123456789ab",
		"TOLLGATE_CONNECT_QUEUE_ID":        "11111111-aaaa-bbbb-cccc-0123456789ab",
	}))
	if err != nil || c.Dial.Dialer != "connect" || c.Dial.ConnectRegion != "eu-west-2" {
		t.Errorf("complete connect settings: %+v, %v", c.Dial, err)
	}
}

func TestLoadConfigTwilioPreviousAuthToken(t *testing.T) {
	const previous = "fedcba9876543210fedcba9876543210"
	twilio := map[string]string{
		"TOLLGATE_DIALER": "twilio", "TOLLGATE_TWILIO_ACCOUNT_SID": "AC0123456789abcdef0123456789abcdef",
		"TOLLGATE_TWILIO_AUTH_TOKEN": "0123456789abcdef0123456789abcdef", "TOLLGATE_TWILIO_FROM": "+442071838750",
		"TOLLGATE_PUBLIC_URL": "https://callbacks.example.com", "TOLLGATE_TWILIO_CONTINUE": "enqueue:support",
		"TOLLGATE_TWILIO_AUTH_TOKEN_PREVIOUS_FILE": writeFile(t, previous+"\n"),
	}
	c, err := LoadConfig(envOf(twilio))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Dial.TwilioAuthTokenPrevious, previous; got != want {
		t.Errorf("TwilioAuthTokenPrevious: got %q, want %q", got, want)
	}
	_, err = LoadConfig(envOf(map[string]string{"TOLLGATE_TWILIO_AUTH_TOKEN_PREVIOUS": previous}))
	if err == nil || !strings.Contains(err.Error(), "TOLLGATE_TWILIO_AUTH_TOKEN_PREVIOUS needs TOLLGATE_TWILIO_AUTH_TOKEN") {
		t.Errorf("previous token without a current one: got %v, want an error naming both", err)
	}
}
