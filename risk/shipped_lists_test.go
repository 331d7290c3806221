package risk

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

func TestShippedSharedNetworksWellFormed(t *testing.T) {
	nets := ShippedSharedNetworks()
	if len(nets) == 0 {
		t.Fatal("no shared networks shipped")
	}
	seen := map[uint]string{}
	for _, n := range nets {
		if n.ASN == 0 {
			t.Errorf("%q: ASN is zero", n.Name)
		}
		if prev, ok := seen[n.ASN]; ok {
			t.Errorf("AS%d listed twice (%q and %q)", n.ASN, prev, n.Name)
		}
		seen[n.ASN] = n.Name
		if strings.TrimSpace(n.Name) == "" {
			t.Errorf("AS%d: empty name", n.ASN)
		}
		if strings.TrimSpace(n.Source) == "" {
			t.Errorf("AS%d: empty source", n.ASN)
		}
		for _, v := range []string{n.Name, n.Source} {
			if !oneShortLine(v) {
				t.Errorf("AS%d: %q is not one line of at most 300 characters", n.ASN, v)
			}
		}
	}
}

var (
	shippedPrefix = regexp.MustCompile(`^\+[0-9]{2,10}$`)
	shippedDate   = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?$`)
)

func TestShippedCostRangesWellFormed(t *testing.T) {
	ranges := ShippedCostRanges()
	if len(ranges) == 0 {
		t.Fatal("no cost ranges shipped")
	}
	seen := map[string]bool{}
	for _, r := range ranges {
		if !shippedPrefix.MatchString(r.Prefix) {
			t.Errorf("%q: prefix is not + and 2 to 10 digits", r.Prefix)
		}
		if seen[r.Prefix] {
			t.Errorf("%q listed twice", r.Prefix)
		}
		seen[r.Prefix] = true
		if strings.TrimSpace(r.Name) == "" {
			t.Errorf("%q: empty name", r.Prefix)
		}
		if strings.TrimSpace(r.Source) == "" {
			t.Errorf("%q: empty source", r.Prefix)
		}
		for _, v := range []string{r.Name, r.Source} {
			if !oneShortLine(v) {
				t.Errorf("%q: %q is not one line of at most 300 characters", r.Prefix, v)
			}
		}
		if !shippedDate.MatchString(r.Date) {
			t.Errorf("%q: date %q is not YYYY-MM or YYYY-MM-DD", r.Prefix, r.Date)
		}
	}
}

// oneShortLine reports whether s fits a settings text field: one line of
// at most 300 characters.
func oneShortLine(s string) bool {
	return len(s) <= 300 && !strings.ContainsAny(s, "\r\n")
}

// TestShippedCostRangesNotPremium checks that each cost range adds to what
// number types already say: a typical valid number in the range must not
// be typed premium rate, or the range would be caught without the list.
func TestShippedCostRangesNotPremium(t *testing.T) {
	for _, r := range ShippedCostRanges() {
		num, err := typicalNumberIn(r.Prefix)
		if err != nil {
			t.Errorf("%q: %v", r.Prefix, err)
			continue
		}
		if kind := phonenumbers.GetNumberType(num); kind == phonenumbers.PREMIUM_RATE {
			t.Errorf("%q: %s is already typed premium rate", r.Prefix, phonenumbers.Format(num, phonenumbers.E164))
		}
	}
}

// typicalNumberIn returns a valid number starting with prefix: the
// region's fixed-line or mobile example number when it falls in the
// range, or else the first valid number found by filling the rest of the
// digits.
func typicalNumberIn(prefix string) (*phonenumbers.PhoneNumber, error) {
	digits := strings.TrimPrefix(prefix, "+")
	var cc int
	var rest string
	for l := 1; l <= 3 && l <= len(digits); l++ {
		var c int
		fmt.Sscanf(digits[:l], "%d", &c)
		if len(phonenumbers.GetRegionCodesForCountryCode(c)) > 0 {
			cc, rest = c, digits[l:]
			break
		}
	}
	if cc == 0 {
		return nil, fmt.Errorf("no country calling code")
	}
	regions := phonenumbers.GetRegionCodesForCountryCode(cc)
	for _, region := range regions {
		for _, kind := range []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE} {
			ex := phonenumbers.GetExampleNumberForType(region, kind)
			if ex == nil {
				continue
			}
			if strings.HasPrefix(phonenumbers.GetNationalSignificantNumber(ex), rest) && phonenumbers.IsValidNumber(ex) {
				return ex, nil
			}
		}
	}
	for length := len(rest) + 1; length <= 12; length++ {
		fill := length - len(rest)
		mod := 1
		for range fill {
			mod *= 10
		}
		for k := range 5000 {
			tail := fmt.Sprintf("%0*d", fill, (k*7919+2345678)%mod)
			num, err := phonenumbers.Parse("+"+fmt.Sprint(cc)+rest+tail, "")
			if err == nil && phonenumbers.IsValidNumber(num) {
				return num, nil
			}
		}
	}
	return nil, fmt.Errorf("no valid number found in the range")
}
