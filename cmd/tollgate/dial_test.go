package main

import (
	"fmt"
	"testing"

	"github.com/tollgate/tollgate/contactflows/dispatch"
)

func TestNewDialerBuildsTheConfiguredOne(t *testing.T) {
	tests := []struct {
		cfg  DialConfig
		want string
	}{
		{DialConfig{Dialer: "simulator", SimulatorOutcome: "answered"}, "*dispatch.Simulator"},
		{DialConfig{Dialer: "connect", ConnectRegion: "eu-west-2", ConnectInstanceID: "12345678-aaaa-bbbb-cccc-0123456789ab",
			ConnectContactFlowID: "87654321-aaaa-bbbb-cccc-0123456789ab", ConnectQueueID: "11111111-aaaa-bbbb-cccc-0123456789ab"}, "*dispatch.ConnectDialer"},
		{DialConfig{Dialer: "twilio", TwilioAccountSID: "AC0123456789abcdef0123456789abcdef", TwilioAuthToken: "0123456789abcdef0123456789abcdef",
			TwilioFrom: "+442071838750", PublicURL: "https://callbacks.example.com"}, "*dispatch.TwilioDialer"},
	}
	for _, tt := range tests {
		d, err := newDialer(tt.cfg, nil)
		if err != nil {
			t.Errorf("%s: %v", tt.cfg.Dialer, err)
			continue
		}
		if got := typeName(d); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.cfg.Dialer, got, tt.want)
		}
	}
	d, _ := newDialer(DialConfig{Dialer: "simulator", SimulatorOutcome: "failed"}, nil)
	if _, err := d.Dial(t.Context(), dispatch.Call{ID: "x", Number: "+442071838750"}); err == nil {
		t.Error("TOLLGATE_SIMULATOR_OUTCOME=failed: Dial succeeded")
	}
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }
