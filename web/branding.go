package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Branding is how the public pages look and what they say. It comes from
// configuration; an empty field takes DefaultBranding's value.
type Branding struct {
	// Title names the site or business, e.g. "Example Ltd": every page's
	// title ends with it and it is the logo's alt text. Empty: not shown.
	Title string
	// PrimaryColor colours buttons and links, as #rgb or #rrggbb.
	PrimaryColor string
	// BackgroundColor colours the page around the card, as #rgb or #rrggbb.
	BackgroundColor string
	// LogoURL is an absolute https URL or a path of an image shown at the
	// top of every page. Empty: no logo.
	LogoURL string
	// Heading is the form's main heading.
	Heading string
	// Intro is the sentence under the form's heading.
	Intro string
	// Consent labels the checkbox the visitor ticks to agree to be called.
	Consent string
	// Success is the heading of the page shown once a request is taken.
	Success string
}

// DefaultBranding returns the look and wording used where nothing is
// configured.
func DefaultBranding() Branding {
	return Branding{
		PrimaryColor:    "#1f4ed8",
		BackgroundColor: "#f5f7fa",
		Heading:         "Request a call back",
		Intro:           "Leave your number and we will call you.",
		Consent:         "I agree to be called at this number",
		Success:         "Thanks — we'll call you shortly.",
	}
}

// WithDefaults returns b with every empty field, and every colour that is
// not #rgb or #rrggbb, set from DefaultBranding.
func (b Branding) WithDefaults() Branding {
	d := DefaultBranding()
	if _, ok := ParseColor(b.PrimaryColor); !ok {
		b.PrimaryColor = d.PrimaryColor
	}
	if _, ok := ParseColor(b.BackgroundColor); !ok {
		b.BackgroundColor = d.BackgroundColor
	}
	fill := func(v *string, def string) {
		if *v == "" {
			*v = def
		}
	}
	fill(&b.Heading, d.Heading)
	fill(&b.Intro, d.Intro)
	fill(&b.Consent, d.Consent)
	fill(&b.Success, d.Success)
	return b
}

// Stylesheet returns the CSS that applies b's colours over app.css. Colours
// are parsed and written back as #rrggbb, so nothing else reaches the CSS.
func (b Branding) Stylesheet() []byte {
	b = b.WithDefaults()
	primary, _ := ParseColor(b.PrimaryColor)
	bg, _ := ParseColor(b.BackgroundColor)
	return fmt.Appendf(nil, ":root {\n  --accent: %s;\n  --accent-hover: %s;\n  --bg: %s;\n}\n",
		primary, primary.darker(0.8), bg)
}

// StylesheetPath is the content-hashed URL path Stylesheet is served at.
func (b Branding) StylesheetPath() string {
	sum := sha256.Sum256(b.Stylesheet())
	return "/brand." + hex.EncodeToString(sum[:8]) + ".css"
}

// pageTitle is the document title of a page headed title.
func (b Branding) pageTitle(title string) string {
	if b.Title == "" {
		return title
	}
	return title + " – " + b.Title
}

// Color is an sRGB colour.
type Color struct{ R, G, B uint8 }

// ParseColor reads a colour written as #rgb or #rrggbb, in either case.
func ParseColor(s string) (Color, bool) {
	hexDigits, ok := strings.CutPrefix(s, "#")
	if !ok || (len(hexDigits) != 3 && len(hexDigits) != 6) {
		return Color{}, false
	}
	if strings.Trim(strings.ToLower(hexDigits), "0123456789abcdef") != "" {
		return Color{}, false
	}
	if len(hexDigits) == 3 {
		hexDigits = string([]byte{hexDigits[0], hexDigits[0], hexDigits[1], hexDigits[1], hexDigits[2], hexDigits[2]})
	}
	v, err := strconv.ParseUint(hexDigits, 16, 32)
	if err != nil {
		return Color{}, false
	}
	return Color{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v)}, true
}

// String writes c as #rrggbb.
func (c Color) String() string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// darker scales each channel by f, 0 to 1.
func (c Color) darker(f float64) Color {
	scale := func(v uint8) uint8 { return uint8(math.Round(float64(v) * f)) }
	return Color{scale(c.R), scale(c.G), scale(c.B)}
}

// luminance is c's relative luminance as WCAG 2 defines it.
func (c Color) luminance() float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}

// ContrastRatio is the WCAG 2 contrast ratio of a and b, from 1 to 21.
// Text needs at least 4.5 against its background.
func ContrastRatio(a, b Color) float64 {
	la, lb := a.luminance(), b.luminance()
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}
