package main

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// numberPlan draws valid numbers of one kind: a fixed head and random
// digits, kept only when libphonenumber finds the number valid and, when
// types is set, of one of those types.
type numberPlan struct {
	head   string
	digits int
	types  []phonenumbers.PhoneNumberType
}

// Number plans used by the scenarios. Heads are chosen so that a random
// tail is usually valid; draw retries otherwise.
var (
	planUS       = []numberPlan{{"+1201", 7, nil}, {"+1212", 7, nil}, {"+1312", 7, nil}, {"+1415", 7, nil}, {"+1617", 7, nil}, {"+1713", 7, nil}}
	planGBMobile = []numberPlan{{"+4477", 8, mobile}, {"+4478", 8, mobile}, {"+4479", 8, mobile}}
	planPremium  = []numberPlan{
		{"+3712", 7, nil},     // Latvia mobile
		{"+3706", 7, nil},     // Lithuania mobile
		{"+2526", 7, nil},     // Somalia mobile
		{"+535", 7, nil},      // Cuba mobile
		{"+23276", 6, nil},    // Sierra Leone mobile
		{"+22462", 7, nil},    // Guinea mobile
		{"+4490", 8, premium}, // UK premium rate
	}
	planLV      = []numberPlan{{"+3712", 7, nil}}
	planLT      = []numberPlan{{"+3706", 7, nil}}
	planGBVoIP  = []numberPlan{{"+4456", 8, []phonenumbers.PhoneNumberType{phonenumbers.VOIP}}}
	planEscape  = []numberPlan{{"+3712", 7, nil}, {"+3706", 7, nil}, {"+2526", 7, nil}, {"+535", 7, nil}, {"+23276", 6, nil}, {"+22462", 7, nil}}
	planForeign = []numberPlan{{"+3712", 7, nil}, {"+2526", 7, nil}, {"+535", 7, nil}, {"+23276", 6, nil}}
)

var (
	mobile  = []phonenumbers.PhoneNumberType{phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE}
	premium = []phonenumbers.PhoneNumberType{phonenumbers.PREMIUM_RATE}
)

// drawNumber returns a valid E.164 number from one of plans.
func drawNumber(r *rand.Rand, plans []numberPlan) string {
	for range 1000 {
		p := plans[r.IntN(len(plans))]
		var b strings.Builder
		b.WriteString(p.head)
		for range p.digits {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
		if valid(b.String(), p.types) {
			return b.String()
		}
	}
	panic(fmt.Sprintf("no valid number from %v", plans))
}

// valid reports whether e164 is a valid number of one of types (any type
// when types is empty).
func valid(e164 string, types []phonenumbers.PhoneNumberType) bool {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return false
	}
	if len(types) == 0 {
		return true
	}
	t := phonenumbers.GetNumberType(n)
	for _, want := range types {
		if t == want {
			return true
		}
	}
	return false
}

// drawIP returns a random host address inside p: IPv4 avoiding .0 and
// .255, or IPv6 with random bits past the prefix.
func drawIP(r *rand.Rand, p netip.Prefix) netip.Addr {
	if p.Addr().Is6() {
		return drawIP6(r, p)
	}
	a := p.Addr().As4()
	base := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	size := uint32(1) << (32 - p.Bits())
	v := base + 1 + r.Uint32N(size-2)
	if v&0xff == 0 || v&0xff == 255 {
		v ^= 7
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// drawIP6 returns a random address inside the IPv6 prefix p.
func drawIP6(r *rand.Rand, p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As16()
	for i := p.Bits(); i < 128; i++ {
		if r.IntN(2) == 1 {
			a[i/8] |= 0x80 >> (i % 8)
		}
	}
	return netip.AddrFrom16(a)
}

// numberSource is where a scenario's numbers come from, with what they are
// in words.
type numberSource struct {
	about string
	plans []numberPlan
}

// thousandBlocks returns the numbers of NANP thousand-blocks, each head an
// NPA-NXX-X: a small carrier's holdings in one area code.
func thousandBlocks(about string, heads ...string) numberSource {
	s := numberSource{about: about}
	for _, h := range heads {
		s.plans = append(s.plans, numberPlan{h, 3, nil})
	}
	return s
}

// scatteredNPA returns numbers anywhere in the given NANP area codes.
func scatteredNPA(about string, npas ...string) numberSource {
	s := numberSource{about: about}
	for _, npa := range npas {
		s.plans = append(s.plans, numberPlan{"+1" + npa, 7, nil})
	}
	return s
}

// The number ranges of the families: rural US area codes, whose carriers
// can share the termination fee of a call (traffic pumping), and two
// high-cost countries.
var (
	blocks712    = thousandBlocks("numbers in three thousand-blocks of rural area code 712 (western Iowa)", "+17124321", "+17123365", "+17122748")
	blocks641    = thousandBlocks("numbers in four thousand-blocks of rural area code 641 (north Iowa)", "+16414237", "+16413572", "+16417820", "+16417826")
	scattered406 = scatteredNPA("numbers scattered over rural area code 406 (Montana)", "406")
	scattered605 = scatteredNPA("numbers scattered over rural area code 605 (South Dakota)", "605")
	lithuania    = numberSource{"Lithuanian mobile numbers", planLT}
	latvia       = numberSource{"Latvian mobile numbers", planLV}
)

// drawNumbers returns n distinct valid numbers from s.
func drawNumbers(r *rand.Rand, s numberSource, n int) []string {
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		if number := drawNumber(r, s.plans); !seen[number] {
			seen[number] = true
			out = append(out, number)
		}
	}
	return out
}

// drawIPs returns n distinct addresses, drawn in turn from nets.
func drawIPs(r *rand.Rand, nets []netip.Prefix, n int) []netip.Addr {
	seen := map[netip.Addr]bool{}
	var out []netip.Addr
	for len(out) < n {
		if ip := drawIP(r, nets[len(out)%len(nets)]); !seen[ip] {
			seen[ip] = true
			out = append(out, ip)
		}
	}
	return out
}
