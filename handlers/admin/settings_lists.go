package admin

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// The settings editor's text lists: AS numbers, countries, costs and
// cost ranges, written one a line with names as "# name" notes, and read
// back with every line that cannot be read reported in plain words.

// countryCodes are the country codes by lower-case name, from web.Regions,
// to tell an admin who typed a name which code to write.
var countryCodes = sync.OnceValue(func() map[string]string {
	byName := map[string]string{}
	for _, r := range web.Regions() {
		byName[strings.ToLower(r.Name)] = r.Code
	}
	return byName
})

// countryNote is the note a country code gets: its name, or none when
// it names no country.
func countryNote(cc string) string {
	if n := web.CountryName(cc); n != cc {
		return n
	}
	return ""
}

// asnNames are the names the shipped lists know for AS numbers.
var asnNames = sync.OnceValue(func() map[uint]string {
	names := map[uint]string{}
	for _, n := range risk.ShippedHostingNetworks() {
		names[n.ASN] = n.Name
	}
	for _, n := range risk.ShippedSharedNetworks() {
		names[n.ASN] = n.Name
	}
	return names
})

// notedLines writes entries one a line, each with its note after a #
// when it has one, the notes lined up.
func notedLines(entries, notes []string) string {
	width := 0
	for _, e := range entries {
		width = max(width, len(e))
	}
	lines := make([]string, len(entries))
	for i, e := range entries {
		lines[i] = e
		if notes[i] != "" {
			lines[i] += strings.Repeat(" ", width-len(e)+2) + "# " + notes[i]
		}
	}
	return strings.Join(lines, "\n")
}

// asnsText shows AS numbers one a line, each the shipped lists know with
// its name as a note.
func asnsText(asns []uint) string {
	entries, notes := make([]string, len(asns)), make([]string, len(asns))
	for i, a := range asns {
		entries[i] = strconv.FormatUint(uint64(a), 10)
		notes[i] = asnNames()[a]
	}
	return notedLines(entries, notes)
}

// countriesText shows country codes one a line with their names as notes.
func countriesText(codes []string) string {
	notes := make([]string, len(codes))
	for i, cc := range codes {
		notes[i] = countryNote(cc)
	}
	return notedLines(codes, notes)
}

// costsText shows the costs per country one "CC=cost" a line, sorted, with
// the country's name as a note.
func costsText(costs map[string]int64) string {
	var entries, notes []string
	for _, cc := range slices.Sorted(maps.Keys(costs)) {
		entries = append(entries, cc+"="+strconv.FormatInt(costs[cc], 10))
		notes = append(notes, countryNote(cc))
	}
	return notedLines(entries, notes)
}

// costRangesText shows the high-cost ranges one a line, as costRanges
// reads them.
func costRangesText(rs []risk.CostRange) string {
	lines := make([]string, len(rs))
	for i, r := range rs {
		lines[i] = strings.Join([]string{r.Prefix, r.Name, r.Source, r.Date}, " | ")
	}
	return strings.Join(lines, "\n")
}

// uncommented is v's lines without what follows a # on each.
func uncommented(v string) []string {
	lines := strings.Split(v, "\n")
	for i, line := range lines {
		line, _, _ = strings.Cut(line, "#")
		lines[i] = strings.TrimSpace(line)
	}
	return lines
}

// words splits a line at commas, spaces and tabs.
func words(line string) []string {
	return strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\r' || r == '\t' })
}

// asns reads AS numbers separated by commas, spaces or lines, with or
// without "AS"; a # starts a note that runs to the end of its line.
func (p *settingsParser) asns(field, v string) []uint {
	out := []uint{}
	for _, line := range uncommented(v) {
		for _, f := range words(line) {
			n, err := strconv.ParseUint(strings.TrimPrefix(strings.ToUpper(f), "AS"), 10, 32)
			if err != nil || n == 0 {
				p.fail(field, "“%s” in the %s is not an AS number: write one number a line, such as 21928, and any name after a #.", f, risk.SettingLabel(field))
				continue
			}
			if !slices.Contains(out, uint(n)) {
				out = append(out, uint(n))
			}
		}
	}
	return out
}

// countries reads ISO 3166-1 alpha-2 codes separated by commas, spaces or
// lines, upper-casing them and dropping repeats; a # starts a note.
func (p *settingsParser) countries(field, v string) []string {
	byName := countryCodes()
	out := []string{}
	for _, line := range uncommented(v) {
		for _, f := range words(line) {
			cc := strings.ToUpper(f)
			if len(cc) != 2 || strings.Trim(cc, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
				if code, ok := byName[strings.ToLower(f)]; ok {
					p.fail(field, "“%s” in the %s is a name: write it as its two-letter code, %s.", f, risk.SettingLabel(field), code)
				} else {
					p.fail(field, "“%s” in the %s is not a two-letter country code such as LV (Latvia).", f, risk.SettingLabel(field))
				}
				continue
			}
			if !slices.Contains(out, cc) {
				out = append(out, cc)
			}
		}
	}
	return out
}

// costs reads "CC=cost" lines; a # starts a note.
func (p *settingsParser) costs(v string) map[string]int64 {
	out := map[string]int64{}
	for _, line := range uncommented(v) {
		if line == "" {
			continue
		}
		cc, cost, ok := strings.Cut(line, "=")
		n, err := strconv.ParseInt(strings.TrimSpace(cost), 10, 64)
		if !ok || err != nil {
			p.fail("spend.costs", "“%s” in the costs per country is not CODE=cost: write one country a line, such as GB=12.", line)
			continue
		}
		out[strings.ToUpper(strings.TrimSpace(cc))] = n
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// costRanges reads "prefix | name | source | date" lines; only the prefix
// is required.
func (p *settingsParser) costRanges(v string) []risk.CostRange {
	out := []risk.CostRange{}
	for _, line := range strings.Split(v, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "|")
		if len(f) > 4 {
			p.fail("high_cost_ranges", "“%s” in the high-cost number ranges has more than four parts: write +prefix | what it is | source | date.", strings.TrimSpace(line))
			continue
		}
		f = append(f, "", "", "")
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		out = append(out, risk.CostRange{Prefix: f[0], Name: f[1], Source: f[2], Date: f[3]})
	}
	return out
}

// fail notes that the value of the field at path cannot be read.
func (p *settingsParser) fail(path, format string, args ...any) {
	p.errs = append(p.errs, &risk.FieldError{Field: path, Message: fmt.Sprintf(format, args...)})
}
