package web

import (
	"slices"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// Regions returns every region phonenumbers supports, with its name
// in English (from CLDR, through x/text) and its calling code, in English
// alphabetical order, so "Åland Islands" comes after "Afghanistan".
func Regions() []Region {
	names := display.English.Regions()
	var out []Region
	for code := range phonenumbers.GetSupportedRegions() {
		name := code
		if r, err := language.ParseRegion(code); err == nil {
			if n := names.Name(r); n != "" {
				name = n
			}
		}
		out = append(out, Region{Code: code, Name: name, CallingCode: phonenumbers.GetCountryCodeForRegion(code)})
	}
	col := collate.New(language.English, collate.Loose)
	slices.SortFunc(out, func(a, b Region) int {
		if c := col.CompareString(a.Name, b.Name); c != 0 {
			return c
		}
		return col.CompareString(a.Code, b.Code)
	})
	return out
}

// CountryName is the English name of the ISO 3166-1 alpha-2 country
// code, or code itself when it names no country.
func CountryName(code string) string {
	r, err := language.ParseRegion(code)
	if err != nil {
		return code
	}
	if n := display.English.Regions().Name(r); n != "" {
		return n
	}
	return code
}
