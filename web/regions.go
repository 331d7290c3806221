package web

import (
	"slices"
	"sync"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// Regions returns every region phonenumbers supports, with its name in
// English (from CLDR, through x/text) and its calling code, in English
// alphabetical order, so "Åland Islands" comes after "Afghanistan". It is
// built once and shared: callers must not change it.
func Regions() []Region { r, _ := regions(); return r }

// CountryName is the English name of the ISO 3166-1 alpha-2 country
// code, or code itself when it names no region phonenumbers supports.
func CountryName(code string) string {
	_, names := regions()
	if n, ok := names[code]; ok {
		return n
	}
	return code
}

// regions builds the region list and its names by code, once.
var regions = sync.OnceValues(func() ([]Region, map[string]string) {
	names := display.English.Regions()
	var out []Region
	byCode := make(map[string]string)
	for code := range phonenumbers.GetSupportedRegions() {
		name := code
		if r, err := language.ParseRegion(code); err == nil {
			if n := names.Name(r); n != "" {
				name = n
			}
		}
		out = append(out, Region{Code: code, Name: name, CallingCode: phonenumbers.GetCountryCodeForRegion(code)})
		byCode[code] = name
	}
	col := collate.New(language.English, collate.Loose)
	slices.SortFunc(out, func(a, b Region) int {
		if c := col.CompareString(a.Name, b.Name); c != 0 {
			return c
		}
		return col.CompareString(a.Code, b.Code)
	})
	return out, byCode
})
