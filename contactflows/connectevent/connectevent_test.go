package connectevent

import (
	"errors"
	"strings"
	"testing"
)

// TestDecodeIgnoresFieldsOneByOne reads the admin guide's older sample,
// whose Queue is a string, and fields and map entries of other types
// besides: each is skipped, the rest read.
func TestDecodeIgnoresFieldsOneByOne(t *testing.T) {
	doc := `{"Name":"ContactFlowEvent","Details":{"ContactData":{
		"Attributes":{"callback_id":"cb1","n":5},"Channel":"VOICE","ContactId":"c-1",
		"CustomerEndpoint":{"Address":"+447700900123","Type":7},"Queue":"QueueName",
		"InitiationMethod":"INBOUND","MediaStreams":{"Customer":{"Audio":null}}},
		"Parameters":{"action":"verify","digits":1234,"challenge_id":"ch1"}}}`
	ev, ignored, err := Decode([]byte(doc))
	if err != nil {
		t.Fatalf("Decode: got error %v, want none", err)
	}
	cd, p := ev.Details.ContactData, ev.Details.Parameters
	for _, c := range []struct{ name, got, want string }{
		{"Name", ev.Name, "ContactFlowEvent"},
		{"ContactId", cd.ContactID, "c-1"},
		{"Channel", cd.Channel, "VOICE"},
		{"InitiationMethod", cd.InitiationMethod, "INBOUND"},
		{"CustomerEndpoint.Address", cd.CustomerEndpoint.Address, "+447700900123"},
		{"CustomerEndpoint.Type", cd.CustomerEndpoint.Type, ""},
		{"Queue.Name", cd.Queue.Name, ""},
		{"Attributes.callback_id", cd.Attributes["callback_id"], "cb1"},
		{"Parameters.action", p["action"], "verify"},
		{"Parameters.challenge_id", p["challenge_id"], "ch1"},
		{"Parameters.digits", p["digits"], ""},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if got, want := ignored, "Details.ContactData.Attributes"; !strings.HasPrefix(got, want) {
		t.Errorf("ignored: got %q, want it to start with %q", got, want)
	}
}

func TestDecodeRefusesWhatIsNotAnObject(t *testing.T) {
	for _, doc := range []string{``, `[]`, `null`, `"ContactFlowEvent"`, `7`, `{"Name":`} {
		if _, _, err := Decode([]byte(doc)); !errors.Is(err, ErrNotEvent) {
			t.Errorf("Decode(%s): got %v, want ErrNotEvent", doc, err)
		}
	}
	if _, ignored, err := Decode([]byte(`{"Name":7}`)); err != nil || ignored == "" {
		t.Errorf(`Decode({"Name":7}): got %q, %v; want the field ignored and no error`, ignored, err)
	}
}
