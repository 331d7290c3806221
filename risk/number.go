package risk

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// maxPhoneInput bounds what the parser is given; longer input is not a number.
const maxPhoneInput = 64

// parsedNumber is a phone number that passed validation.
type parsedNumber struct {
	e164    string
	country string
	kind    phonenumbers.PhoneNumberType
}

// typeNames maps phonenumbers types to the lower-case names decisions carry.
var typeNames = map[phonenumbers.PhoneNumberType]string{
	phonenumbers.FIXED_LINE:           "fixed_line",
	phonenumbers.MOBILE:               "mobile",
	phonenumbers.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
	phonenumbers.TOLL_FREE:            "toll_free",
	phonenumbers.PREMIUM_RATE:         "premium_rate",
	phonenumbers.SHARED_COST:          "shared_cost",
	phonenumbers.VOIP:                 "voip",
	phonenumbers.PERSONAL_NUMBER:      "personal_number",
	phonenumbers.PAGER:                "pager",
	phonenumbers.UAN:                  "uan",
	phonenumbers.VOICEMAIL:            "voicemail",
	phonenumbers.UNKNOWN:              "unknown",
}

// riskyTypes maps the number types that carry a weight to their reason code.
var riskyTypes = map[phonenumbers.PhoneNumberType]string{
	phonenumbers.VOIP:            CodeTypeVoIP,
	phonenumbers.PREMIUM_RATE:    CodeTypePremiumRate,
	phonenumbers.SHARED_COST:     CodeTypeSharedCost,
	phonenumbers.UAN:             CodeTypeUAN,
	phonenumbers.PERSONAL_NUMBER: CodeTypePersonalNumber,
	phonenumbers.PAGER:           CodeTypePager,
	phonenumbers.TOLL_FREE:       CodeTypeTollFree,
}

// parseNumber normalises input against region and rejects numbers that cannot
// be valid with a message the visitor can act on.
func parseNumber(input, region string) (parsedNumber, error) {
	input = strings.TrimSpace(input)
	switch {
	case input == "":
		return parsedNumber{}, &NumberError{Problem: "Enter a phone number."}
	case len(input) > maxPhoneInput:
		return parsedNumber{}, &NumberError{Problem: "That is too long to be a phone number."}
	}
	num, err := phonenumbers.Parse(input, region)
	if err != nil {
		switch {
		case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
			return parsedNumber{}, &NumberError{Problem: "Start the number with + and its country code, for example +44."}
		case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
			return parsedNumber{}, &NumberError{Problem: "That number is too short."}
		case errors.Is(err, phonenumbers.ErrNumTooLong):
			return parsedNumber{}, &NumberError{Problem: "That number is too long."}
		default:
			return parsedNumber{}, &NumberError{Problem: "That does not look like a phone number."}
		}
	}
	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.IS_POSSIBLE:
	case phonenumbers.INVALID_COUNTRY_CODE:
		return parsedNumber{}, &NumberError{Problem: "That country code does not exist."}
	case phonenumbers.TOO_SHORT:
		return parsedNumber{}, &NumberError{Problem: "That number is too short."}
	case phonenumbers.TOO_LONG:
		return parsedNumber{}, &NumberError{Problem: "That number is too long."}
	default:
		return parsedNumber{}, &NumberError{Problem: "That number has the wrong length for its country."}
	}
	// The type is UNKNOWN exactly when IsValidNumber is false; typing once
	// and finding the region on the way halves the pattern matching again.
	country, kind := typer().regionAndType(num)
	if kind == phonenumbers.UNKNOWN {
		return parsedNumber{}, &NumberError{Problem: "That number is not in use; check the digits and the country code."}
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	if len(e164) > maxE164Len {
		// Some countries' plans allow national numbers long enough to pass
		// the length check with the country code beyond E.164's 15 digits.
		return parsedNumber{}, &NumberError{Problem: "That number is too long."}
	}
	return parsedNumber{e164: e164, country: country, kind: kind}, nil
}

// maxE164Len is the longest E.164 number, "+" and 15 digits.
const maxE164Len = 16

// numberCacheSize bounds the parse cache: at most this many inputs, each
// entry about 200 bytes (the key, the E.164 form, the region and the type),
// so about 4 MB at most.
const numberCacheSize = 20000

// numberCache remembers recent parse results. Parsing and typing a number
// costs tens of microseconds of pattern matching, more than the rest of a
// decision; fraud repeats numbers and visitors retry, so recent inputs recur.
// It keeps two generations of at most size/2 entries each: a lookup checks
// both, and a full current generation becomes the old one.
type numberCache struct {
	mu       sync.Mutex
	size     int
	cur, old map[string]parsed
}

type parsed struct {
	num parsedNumber
	err error
}

func newNumberCache(size int) *numberCache {
	return &numberCache{size: size, cur: make(map[string]parsed, size/2)}
}

// parse returns the cached result for input in region or computes it.
func (c *numberCache) parse(input, region string) (parsedNumber, error) {
	if len(input) > maxPhoneInput {
		return parseNumber(input, region)
	}
	k := region + " " + input
	c.mu.Lock()
	r, ok := c.cur[k]
	if !ok {
		r, ok = c.old[k]
	}
	c.mu.Unlock()
	if ok {
		return r.num, r.err
	}
	r.num, r.err = parseNumber(input, region)
	c.mu.Lock()
	if len(c.cur) >= c.size/2 {
		c.old, c.cur = c.cur, make(map[string]parsed, c.size/2)
	}
	c.cur[k] = r
	c.mu.Unlock()
	return r.num, r.err
}

// numberPrefix is the block of 1000 numbers the number belongs to, the unit
// traffic pumping works in: the E.164 form without its last three digits.
func numberPrefix(e164 string) string {
	if len(e164) < 8 {
		return e164
	}
	return e164[:len(e164)-3]
}

// CheckNumber reports whether phone, read in region ("" for the engine's
// default), can be a valid number, with the *NumberError Evaluate would
// return when not; the form uses it to report a bad number alongside its
// other field errors. A number that cannot be valid is counted against ip
// as Evaluate counts it, so checking numbers this way is no cheaper for a
// script than asking for calls to them; a valid one counts nothing.
func (e *Engine) CheckNumber(ctx context.Context, ip netip.Addr, phone, region string) error {
	if region == "" {
		region = e.region
	}
	_, err := e.numbers.parse(strings.TrimSpace(phone), region)
	if err != nil {
		e.countInvalid(ctx, e.settings.active.Load(), ip.Unmap(), e.now())
	}
	return err
}
