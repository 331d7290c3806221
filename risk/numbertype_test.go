package risk

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestNumberTyperMatchesPhonenumbers compares the typer with phonenumbers'
// GetRegionCodeForNumber and GetNumberType on the example numbers of every
// region and type, those numbers with their last digits changed, and
// random digits after every country calling code.
func TestNumberTyperMatchesPhonenumbers(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 7))
	var inputs []string
	for region := range phonenumbers.GetSupportedRegions() {
		for kind := phonenumbers.FIXED_LINE; kind <= phonenumbers.VOICEMAIL; kind++ {
			ex := phonenumbers.GetExampleNumberForType(region, kind)
			if ex == nil {
				continue
			}
			e164 := phonenumbers.Format(ex, phonenumbers.E164)
			inputs = append(inputs, e164)
			for range 4 {
				k := 1 + r.IntN(min(6, len(e164)-3))
				mutated := []byte(e164)
				for i := len(mutated) - k; i < len(mutated); i++ {
					mutated[i] = byte('0' + r.IntN(10))
				}
				inputs = append(inputs, string(mutated))
			}
		}
	}
	for cc := 1; cc < 1000; cc++ {
		if len(phonenumbers.GetRegionCodesForCountryCode(cc)) == 0 {
			continue
		}
		for range 20 {
			s := "+" + strconv.Itoa(cc)
			for range 4 + r.IntN(10) {
				s += strconv.Itoa(r.IntN(10))
			}
			inputs = append(inputs, s)
		}
	}
	// Italian leading zeros and national-format input in a shared code.
	inputs = append(inputs, "+390236618300", "+39 06 4991 1", "+1 (684) 622-1234", "+1 876 927 5555", "+7 7172 123456", "+44 1624 756789")

	typed, valid := 0, 0
	for _, in := range inputs {
		num, err := phonenumbers.Parse(in, "US")
		if err != nil {
			continue
		}
		typed++
		wantRegion, wantKind := phonenumbers.GetRegionCodeForNumber(num), phonenumbers.GetNumberType(num)
		gotRegion, gotKind := typer().regionAndType(num)
		if gotRegion != wantRegion || gotKind != wantKind {
			t.Errorf("%s: got %q %v, want %q %v", in, gotRegion, gotKind, wantRegion, wantKind)
		}
		if wantKind != phonenumbers.UNKNOWN {
			valid++
		}
	}
	if typed < 10_000 || valid < 3_000 {
		t.Errorf("compared %d numbers, %d of them valid: want at least 10,000 and 3,000", typed, valid)
	}
	t.Logf("compared %d numbers, %d valid", typed, valid)
}

// BenchmarkParseNumber measures parsing and typing a number not seen
// before (the cache does not help) and a cached one.
//
//	go test ./risk -run '^$' -bench ParseNumber
func BenchmarkParseNumber(b *testing.B) {
	phones := []string{"+12125550123", "+14155552671", "+447400123456", "+4930123456", "+33612345678", "+61412345678"}
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			if _, err := parseNumber(phones[i%len(phones)], "US"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		c := newNumberCache(numberCacheSize)
		b.ReportAllocs()
		for i := range b.N {
			if _, err := c.parse(phones[i%len(phones)], "US"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
