package risk

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// e164 is what a parsed number must look like: + and up to 15 digits, the
// first not 0.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// fuzzRegions are the default regions the fuzzer picks from: the common
// ones, one with a national trunk prefix that is kept (IT), an unknown one
// and none.
var fuzzRegions = []string{"US", "GB", "DE", "IT", "FR", "IN", "ZZ", ""}

// FuzzPhoneNumber feeds the phone parser of the callback path and the
// list normaliser arbitrary input. A number either is refused with a
// *NumberError a visitor can read, or comes out in E.164 with a country,
// parsing that again gives the same result, and its mask hides its middle.
//
//	go test ./risk -run '^$' -fuzz '^FuzzPhoneNumber$' -fuzztime 60s
func FuzzPhoneNumber(f *testing.F) {
	for _, seed := range []string{
		"+44 7700 900123", "(201) 555-0123", "+1 201 555 0123 ext. 7", "0044 7700 900123",
		"+39 06 6982 1234", "tel:+1-201-555-0123", "+٤٤٧٧٠٠٩٠٠١٢٣", "+44 7700 900123\u202e",
		"++4477009001230000000000", "+0", "+", "0", "<script>alert(1)</script>", "=cmd|' /C calc'!A0",
		"+1 201 555 0123;ext=99999999999999999999", strings.Repeat("9", 64), strings.Repeat("9", 65),
		"+882 1234 5678", "+979 1234 5678", "\x00+447700900123", "+44\t7700\n900123",
	} {
		f.Add(seed, uint8(0))
	}
	f.Fuzz(func(t *testing.T, input string, r uint8) {
		region := fuzzRegions[int(r)%len(fuzzRegions)]
		n, err := parseNumber(input, region)
		if err != nil {
			var ne *NumberError
			if !errors.As(err, &ne) || ne.Problem == "" {
				t.Fatalf("parseNumber(%q, %q): error %v is not a *NumberError with a problem", input, region, err)
			}
		} else {
			if !e164.MatchString(n.e164) {
				t.Fatalf("parseNumber(%q, %q) = %q, not E.164", input, region, n.e164)
			}
			if n.country == "" || n.country == "ZZ" {
				t.Errorf("parseNumber(%q, %q) = %q: country %q", input, region, n.e164, n.country)
			}
			again, err := parseNumber(n.e164, "ZZ")
			if err != nil || again != n {
				t.Errorf("parseNumber(%q) = %+v, %v; want %+v again", n.e164, again, err, n)
			}
			if m := MaskNumber(n.e164); strings.Contains(m, n.e164[3:len(n.e164)-2]) || len(m) != len(n.e164) {
				t.Errorf("MaskNumber(%q) = %q: the middle shows or the length changed", n.e164, m)
			}
		}
		for _, l := range []List{DenyNumber, DenyPrefix} {
			v, err := NormalizeEntry(l, input, region)
			if err != nil {
				continue
			}
			if !e164.MatchString(v) && !(l == DenyPrefix && regexp.MustCompile(`^\+[0-9]{1,15}$`).MatchString(v)) {
				t.Errorf("NormalizeEntry(%s, %q, %q) = %q, not + and digits", l, input, region, v)
			}
			if again, err := NormalizeEntry(l, v, region); err != nil || again != v {
				t.Errorf("NormalizeEntry(%s, %q) = %q, %v; want %q again", l, v, again, err, v)
			}
		}
	})
}
