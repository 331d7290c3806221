package web

import (
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// The country list is phonenumbers' region list, each with an English name
// and the region's calling code.
func TestRegions(t *testing.T) {
	got := Regions()
	supported := phonenumbers.GetSupportedRegions()
	if len(got) != len(supported) {
		t.Errorf("got %d regions, want the %d phonenumbers supports", len(got), len(supported))
	}
	seen := map[string]bool{}
	for _, r := range got {
		switch {
		case !supported[r.Code]:
			t.Errorf("region %s is not one phonenumbers supports", r.Code)
		case seen[r.Code]:
			t.Errorf("region %s listed twice", r.Code)
		case r.Name == "" || r.Name == r.Code:
			t.Errorf("region %s has no English name: %q", r.Code, r.Name)
		case r.CallingCode != phonenumbers.GetCountryCodeForRegion(r.Code) || r.CallingCode == 0:
			t.Errorf("region %s has calling code %d, want %d", r.Code, r.CallingCode, phonenumbers.GetCountryCodeForRegion(r.Code))
		}
		seen[r.Code] = true
	}
	index := map[string]int{}
	for i, r := range got {
		index[r.Code] = i
	}
	want := map[string]string{"GB": "United Kingdom (+44)", "DE": "Germany (+49)", "US": "United States (+1)", "CI": "Côte d’Ivoire (+225)", "XK": "Kosovo (+383)"}
	for code, label := range want {
		if i, ok := index[code]; !ok || got[i].Label() != label {
			t.Errorf("region %s: got %+v, want label %q", code, got[min(i, len(got)-1)], label)
		}
	}
	// English order, accents aside: Åland Islands between Afghanistan and Albania.
	for _, pair := range [][2]string{{"AF", "AX"}, {"AX", "AL"}, {"CR", "CI"}, {"CI", "HR"}, {"TR", "TM"}} {
		if index[pair[0]] >= index[pair[1]] {
			t.Errorf("%s (%s) is not before %s (%s)", got[index[pair[0]]].Name, pair[0], got[index[pair[1]]].Name, pair[1])
		}
	}
}
