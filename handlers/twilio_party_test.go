package handlers

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/ivr"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

// TestTwilioOutboundCountsCallee fails an answered callback's challenge
// over signed Twilio requests, where From is Tollgate's own number and To
// the callee: the callee is counted, Tollgate's number is not. On the
// voice route an outbound call screens To as well.
func TestTwilioOutboundCountsCallee(t *testing.T) {
	t.Parallel()
	redistest.Each(t, testTwilioOutboundCountsCallee)
}

func testTwilioOutboundCountsCallee(t *testing.T, rdb redis.UniversalClient) {
	// Tollgate's own number is deny-listed in the stack, so screening it
	// instead of the callee would block.
	const tollgate, callee = "+12015550166", "+12015550160"
	st := newStackOn(t, rdb, nil, &dispatch.Simulator{}, withTelephony)
	outbound := func(sid string) url.Values {
		return url.Values{"CallSid": {sid}, "Direction": {"outbound-api"}, "From": {tollgate}, "To": {callee}}
	}
	failed := func(number string) bool {
		t.Helper()
		sc, err := st.engine.ScreenCaller(context.Background(), risk.CallerRequest{Caller: number})
		if err != nil {
			t.Fatal(err)
		}
		return sc.Has(risk.CodeCallerFailedWarning) || sc.Has(risk.CodeCallerFailedCritical)
	}

	action, code := gathered(t, twilioPost(t, st.echo, dispatch.TwilioOutboundPath+"?callback_id=cb1", outbound("CA-out")))
	keyed := outbound("CA-out")
	keyed.Set("Digits", otherCode(code))
	for i := range 3 {
		doc := twilioPost(t, st.echo, action, keyed)
		if i < 2 {
			action, _ = gathered(t, doc)
		}
	}
	if got, want := failed(callee), true; got != want {
		t.Errorf("callee %s counted as failing: got %v, want %v", callee, got, want)
	}
	if got, want := failed(tollgate), false; got != want {
		t.Errorf("Tollgate's own number %s counted as failing: got %v, want %v", tollgate, got, want)
	}

	if doc := twilioPost(t, st.echo, ivr.TwilioVoicePath+"?flow=support", outbound("CA-voice")); !strings.Contains(doc, "<Gather") {
		t.Errorf("outbound call on the voice route: got %s, want the callee challenged", doc)
	}
	inbound := url.Values{"CallSid": {"CA-in"}, "Direction": {"inbound"}, "From": {tollgate}, "To": {callee}}
	if doc := twilioPost(t, st.echo, ivr.TwilioVoicePath+"?flow=support", inbound); !strings.Contains(doc, ivr.SayGoodbye) {
		t.Errorf("inbound call from the deny-listed number: got %s, want goodbye", doc)
	}
}
