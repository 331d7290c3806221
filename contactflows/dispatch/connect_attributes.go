package dispatch

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tollgate/tollgate/contactflows"
)

// Amazon Connect's limits on StartOutboundVoiceContact, from its API
// reference.
const (
	// connectAttributesMaxBytes is the most UTF-8 bytes all attribute keys
	// and values of one contact may hold together.
	connectAttributesMaxBytes = 32768
	// connectClientTokenMaxLen is the longest ClientToken accepted.
	connectClientTokenMaxLen = 500
)

// connectNameMaxBytes is how much of the visitor's name goes into the name
// attribute: four bytes for each of the 100 characters the callback form
// accepts, rounded up. Longer names are cut at a character boundary.
const connectNameMaxBytes = 512

// connectAttributes returns c's contact attributes: c.Attributes plus
// callback_id and name. Invalid UTF-8 in values becomes U+FFFD, which is
// what the JSON encoding would send anyway, so the size counted is the size
// sent. It reports an error for a key Amazon Connect rejects (only ASCII
// letters, digits, '-' and '_') and for attributes over the size limit.
func connectAttributes(c Call) (map[string]string, error) {
	attrs := make(map[string]string, len(c.Attributes)+2)
	for k, v := range c.Attributes {
		attrs[k] = strings.ToValidUTF8(v, "\uFFFD")
	}
	attrs[contactflows.ConnectAttrCallbackID] = c.ID
	if c.Name != "" {
		attrs[contactflows.ConnectAttrName] = truncateUTF8(strings.ToValidUTF8(c.Name, "\uFFFD"), connectNameMaxBytes)
	} else {
		delete(attrs, contactflows.ConnectAttrName)
	}

	size := 0
	for k, v := range attrs {
		if !validConnectAttributeKey(k) {
			return nil, fmt.Errorf("contact attribute key %q: Amazon Connect allows only ASCII letters, digits, '-' and '_'", k)
		}
		size += len(k) + len(v)
	}
	if size > connectAttributesMaxBytes {
		return nil, fmt.Errorf("contact attributes hold %d bytes, more than the %d Amazon Connect allows per contact", size, connectAttributesMaxBytes)
	}
	return attrs, nil
}

// validConnectAttributeKey reports whether k is a non-empty run of ASCII
// letters, digits, '-' and '_'.
func validConnectAttributeKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		b := k[i]
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9', b == '-', b == '_':
		default:
			return false
		}
	}
	return true
}

// truncateUTF8 returns the longest prefix of the valid UTF-8 string s that
// is at most n bytes and ends on a character boundary.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
