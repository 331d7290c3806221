package risk

import (
	"fmt"
	"regexp"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// numberTyper finds the region and type of a parsed number with what
// phonenumbers.GetRegionCodeForNumber and GetNumberType would answer, at a
// fraction of their pattern matching: those two type a number twice when
// its country calling code is shared (every +1 number: the region is found
// by typing the number against each region in turn), and phonenumbers
// matches every type's pattern twice (once for the possible lengths, once
// for the type). Here each pattern is matched once and a type found while
// looking for the region is kept.
type numberTyper struct {
	regions map[string]*phonenumbers.PhoneMetadata
	nonGeo  map[int32]*phonenumbers.PhoneMetadata
	// full holds each description's pattern compiled for a full match, by
	// *PhoneNumberDesc; leading each region's leading digits compiled for a
	// prefix match, by *PhoneMetadata. Both fill on first use.
	full, leading sync.Map
}

// nonGeoRegion is the region code phonenumbers gives non-geographical
// entities such as +800.
const nonGeoRegion = "001"

// typer is built once, from the metadata phonenumbers embeds.
var typer = sync.OnceValue(func() *numberTyper {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		panic(fmt.Sprintf("risk: phonenumbers metadata: %v", err))
	}
	t := &numberTyper{regions: map[string]*phonenumbers.PhoneMetadata{}, nonGeo: map[int32]*phonenumbers.PhoneMetadata{}}
	for _, m := range coll.GetMetadata() {
		if m.GetId() == nonGeoRegion {
			t.nonGeo[m.GetCountryCode()] = m
		} else {
			t.regions[m.GetId()] = m
		}
	}
	return t
})

// regionAndType returns what GetRegionCodeForNumber(num) and
// GetNumberType(num) return.
func (t *numberTyper) regionAndType(num *phonenumbers.PhoneNumber) (string, phonenumbers.PhoneNumberType) {
	cc := num.GetCountryCode()
	regions := phonenumbers.GetRegionCodesForCountryCode(int(cc))
	nsn := phonenumbers.GetNationalSignificantNumber(num)
	region := ""
	switch len(regions) {
	case 0:
		return "", phonenumbers.UNKNOWN
	case 1:
		region = regions[0]
	default:
		for _, r := range regions {
			m := t.regions[r]
			if m == nil {
				continue
			}
			if ld := m.GetLeadingDigits(); ld != "" {
				re, ok := t.leading.Load(m)
				if !ok {
					re = t.regex(&t.leading, m, "^(?:"+ld+")")
				}
				if re.(*regexp.Regexp).MatchString(nsn) {
					region = r
					break
				}
			} else if kind := t.kind(nsn, m); kind != phonenumbers.UNKNOWN {
				// GetNumberType would type it against the same metadata.
				return r, kind
			}
		}
	}
	var m *phonenumbers.PhoneMetadata
	if region == nonGeoRegion {
		m = t.nonGeo[cc]
	} else {
		m = t.regions[region]
	}
	if m == nil {
		return region, phonenumbers.UNKNOWN
	}
	return region, t.kind(nsn, m)
}

// kind is phonenumbers' getNumberTypeHelper.
func (t *numberTyper) kind(nsn string, m *phonenumbers.PhoneMetadata) phonenumbers.PhoneNumberType {
	if !t.matches(nsn, m.GetGeneralDesc()) {
		return phonenumbers.UNKNOWN
	}
	for _, c := range []struct {
		desc *phonenumbers.PhoneNumberDesc
		kind phonenumbers.PhoneNumberType
	}{
		{m.GetPremiumRate(), phonenumbers.PREMIUM_RATE},
		{m.GetTollFree(), phonenumbers.TOLL_FREE},
		{m.GetSharedCost(), phonenumbers.SHARED_COST},
		{m.GetVoip(), phonenumbers.VOIP},
		{m.GetPersonalNumber(), phonenumbers.PERSONAL_NUMBER},
		{m.GetPager(), phonenumbers.PAGER},
		{m.GetUan(), phonenumbers.UAN},
		{m.GetVoicemail(), phonenumbers.VOICEMAIL},
	} {
		if t.matches(nsn, c.desc) {
			return c.kind
		}
	}
	same := m.GetSameMobileAndFixedLinePattern()
	if t.matches(nsn, m.GetFixedLine()) {
		if same || t.matches(nsn, m.GetMobile()) {
			return phonenumbers.FIXED_LINE_OR_MOBILE
		}
		return phonenumbers.FIXED_LINE
	}
	if !same && t.matches(nsn, m.GetMobile()) {
		return phonenumbers.MOBILE
	}
	return phonenumbers.UNKNOWN
}

// matches is phonenumbers' isNumberMatchingDesc: a possible length, when
// the description lists any, and a full match of its pattern.
func (t *numberTyper) matches(nsn string, d *phonenumbers.PhoneNumberDesc) bool {
	if lengths := d.GetPossibleLength(); len(lengths) > 0 {
		found := false
		for _, l := range lengths {
			if int(l) == len(nsn) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if re, ok := t.full.Load(d); ok {
		return re.(*regexp.Regexp).MatchString(nsn)
	}
	return t.regex(&t.full, d, "^(?:"+d.GetNationalNumberPattern()+")$").MatchString(nsn)
}

// regex returns the pattern cached under k in cache, compiling it the
// first time.
func (t *numberTyper) regex(cache *sync.Map, k any, pattern string) *regexp.Regexp {
	if re, ok := cache.Load(k); ok {
		return re.(*regexp.Regexp)
	}
	re, _ := cache.LoadOrStore(k, regexp.MustCompile(pattern))
	return re.(*regexp.Regexp)
}
