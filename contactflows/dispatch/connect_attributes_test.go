package dispatch

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tollgate/tollgate/contactflows"
)

func TestConnectAttributesTruncatesLongNames(t *testing.T) {
	name := strings.Repeat("é", 300) // 600 bytes
	attrs, err := connectAttributes(Call{ID: "d1", Name: name})
	if err != nil {
		t.Fatalf("connectAttributes: %v", err)
	}
	got := attrs[contactflows.ConnectAttrName]
	if want := strings.Repeat("é", 256); got != want {
		t.Errorf("name = %d bytes, want %d bytes of whole characters", len(got), len(want))
	}
	if !utf8.ValidString(got) {
		t.Errorf("truncated name %q is not valid UTF-8", got)
	}
}

func TestConnectAttributesReplacesInvalidUTF8(t *testing.T) {
	attrs, err := connectAttributes(Call{ID: "d1", Name: "Zo\xffe", Attributes: map[string]string{"note": "a\xc3"}})
	if err != nil {
		t.Fatalf("connectAttributes: %v", err)
	}
	want := map[string]string{"callback_id": "d1", "name": "Zo\uFFFDe", "note": "a\uFFFD"}
	if !reflect.DeepEqual(attrs, want) {
		t.Errorf("attributes = %q, want %q", attrs, want)
	}
}

func TestConnectAttributesSizeLimit(t *testing.T) {
	// callback_id (11) + "d1" (2) + "v" (1) + value: exactly at the limit.
	fill := connectAttributesMaxBytes - len("callback_id") - len("d1") - len("v")
	c := Call{ID: "d1", Attributes: map[string]string{"v": strings.Repeat("a", fill)}}
	if _, err := connectAttributes(c); err != nil {
		t.Errorf("attributes of exactly %d bytes: %v, want accepted", connectAttributesMaxBytes, err)
	}
	c.Attributes["v"] += "a"
	if _, err := connectAttributes(c); err == nil {
		t.Errorf("attributes of %d bytes accepted, want an error", connectAttributesMaxBytes+1)
	}
}

func TestValidConnectAttributeKey(t *testing.T) {
	for key, want := range map[string]bool{
		"score": true, "ip_country": true, "number-type": true, "A9": true,
		"": false, "ip country": false, "naïve": false, "a.b": false, "a/b": false,
	} {
		if got := validConnectAttributeKey(key); got != want {
			t.Errorf("validConnectAttributeKey(%q) = %v, want %v", key, got, want)
		}
	}
}
