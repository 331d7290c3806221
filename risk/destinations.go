package risk

import (
	"fmt"
	"regexp"
	"strings"
)

// DefaultHighRiskCountries lists destination countries that fraud-loss
// surveys and carriers' high-risk destination lists name again and again as
// where international revenue share fraud (IRSF) terminates: countries with
// high termination rates, short-stopped or hijacked ranges and premium
// numbers hidden in ordinary-looking mobile ranges. A number in one adds
// destination_high_risk. Businesses that serve these countries edit the
// list in the console.
func DefaultHighRiskCountries() []string {
	return []string{
		"CU", // Cuba
		"LV", // Latvia
		"LT", // Lithuania
		"EE", // Estonia
		"BA", // Bosnia and Herzegovina
		"RS", // Serbia
		"BY", // Belarus
		"SO", // Somalia
		"SL", // Sierra Leone
		"GN", // Guinea
		"GW", // Guinea-Bissau
		"GM", // Gambia
		"LR", // Liberia
		"ST", // São Tomé and Príncipe
		"KM", // Comoros
		"TD", // Chad
		"ZW", // Zimbabwe
		"TN", // Tunisia
		"MV", // Maldives
		"PG", // Papua New Guinea
		"SB", // Solomon Islands
		"NR", // Nauru
		"TV", // Tuvalu
		"CK", // Cook Islands
		"NU", // Niue
		"TK", // Tokelau
		"KI", // Kiribati
		"VU", // Vanuatu
		"IO", // Diego Garcia
	}
}

// costRanges finds the longest range of a list a number is in.
type costRanges struct {
	byPrefix          map[string]CostRange
	shortest, longest int
}

func newCostRanges(rs []CostRange) costRanges {
	c := costRanges{byPrefix: make(map[string]CostRange, len(rs))}
	for _, r := range rs {
		c.byPrefix[r.Prefix] = r
		if c.shortest == 0 || len(r.Prefix) < c.shortest {
			c.shortest = len(r.Prefix)
		}
		c.longest = max(c.longest, len(r.Prefix))
	}
	return c
}

// lookup returns the longest range e164 is in.
func (c costRanges) lookup(e164 string) (CostRange, bool) {
	for n := min(c.longest, len(e164)); n >= c.shortest && n > 0; n-- {
		if r, ok := c.byPrefix[e164[:n]]; ok {
			return r, true
		}
	}
	return CostRange{}, false
}

var (
	costPrefixPattern = regexp.MustCompile(`^\+[1-9][0-9]{0,14}$`)
	costDatePattern   = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?$`)
)

// maxCostRanges bounds the high-cost list.
const maxCostRanges = 10_000

func (s Settings) validateCostRanges(p *problems) {
	if len(s.HighCostRanges) > maxCostRanges {
		p.add("high_cost_ranges", "The high-cost number ranges can list at most %d ranges; there are %d.", maxCostRanges, len(s.HighCostRanges))
		return
	}
	seen := make(map[string]bool, len(s.HighCostRanges))
	for i, r := range s.HighCostRanges {
		field := fmt.Sprintf("high_cost_ranges[%d]", i)
		switch {
		case !costPrefixPattern.MatchString(r.Prefix):
			p.add(field+".prefix", "“%s” in the high-cost number ranges is not a number prefix: write a + and 1 to 15 digits, e.g. +1712.", r.Prefix)
		case seen[r.Prefix]:
			p.add(field+".prefix", "%s is listed twice in the high-cost number ranges.", r.Prefix)
		}
		seen[r.Prefix] = true
		if r.Date != "" && !costDatePattern.MatchString(r.Date) {
			p.add(field+".date", "The date “%s” of %s in the high-cost number ranges is not a date: write YYYY-MM-DD or YYYY-MM.", r.Date, r.Prefix)
		}
		for name, v := range map[string]string{"name": r.Name, "source": r.Source} {
			if len(v) > 300 || strings.ContainsAny(v, "\r\n") {
				p.add(field+"."+name, "The %s of %s in the high-cost number ranges must be one line of at most 300 characters.", name, r.Prefix)
			}
		}
	}
}
