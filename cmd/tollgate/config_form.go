package main

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tollgate/tollgate/handlers"
	"github.com/tollgate/tollgate/web"
)

// minFormSecretLen is the shortest form secret accepted, in bytes.
const minFormSecretLen = 32

// maxBrandTextLen bounds each branding text, in characters.
const maxBrandTextLen = 300

// formConfigKeys are the variables of the public form: its bot friction,
// who may frame it, and its branding.
func formConfigKeys() []configKey {
	def := web.DefaultBranding()
	return []configKey{
		{
			name: "TOLLGATE_FORM_SECRET", defaultDoc: "(random at each start)", secret: true,
			description: fmt.Sprintf("Key signing the form's hidden tokens, at least %d characters, e.g. from openssl rand -base64 32. ", minFormSecretLen) +
				"Every instance serving the form needs the same. Empty: a random key at each start, " +
				"so forms served before a restart or by another instance count against their senders.",
			parse: func(c *Config, v string) error {
				if v != "" && len(v) < minFormSecretLen {
					return fmt.Errorf("the secret is %d characters long; use at least %d, e.g. the output of openssl rand -base64 32", len(v), minFormSecretLen)
				}
				c.FormSecret = v
				return nil
			},
		},
		{
			name: "TOLLGATE_FORM_MIN_TIME", def: "3s",
			description: "Least time a person takes to fill in the form; a faster submission raises its score. 0s turns the check off.",
			parse: func(c *Config, v string) (err error) {
				c.FormMinTime, err = parseDuration(v, 0)
				return err
			},
		},
		{
			name: "TOLLGATE_FORM_TOKEN_LIFETIME", def: "2h",
			description: "How long a served form stays good; a submission of an older one raises its score.",
			parse: func(c *Config, v string) (err error) {
				c.FormTokenLifetime, err = parseDuration(v, time.Minute)
				if err == nil && c.FormTokenLifetime <= c.FormMinTime {
					return fmt.Errorf("%s is not longer than TOLLGATE_FORM_MIN_TIME (%s); make it longer", c.FormTokenLifetime, c.FormMinTime)
				}
				return err
			},
		},
		{
			name: "TOLLGATE_FRAME_ANCESTORS",
			description: "Comma-separated origins (scheme://host[:port]) of the sites that may show the form in an iframe, " +
				"e.g. https://www.example.com. Empty: no other site may frame it.",
			parse: func(c *Config, v string) (err error) {
				c.FrameAncestors, err = parseOrigins(v)
				return err
			},
		},
		brandTextKey("TOLLGATE_BRAND_TITLE", "", "Name of the site or business, at the end of every page title and the logo's alt text.",
			func(c *Config) *string { return &c.Brand.Title }),
		{
			name: "TOLLGATE_BRAND_PRIMARY_COLOR", def: def.PrimaryColor,
			description: "Colour of buttons and links, #rgb or #rrggbb; the buttons' text is white.",
			parse: func(c *Config, v string) (err error) {
				c.Brand.PrimaryColor, err = parseColor(v)
				return err
			},
		},
		{
			name: "TOLLGATE_BRAND_BACKGROUND_COLOR", def: def.BackgroundColor,
			description: "Colour of the page around the form, #rgb or #rrggbb.",
			parse: func(c *Config, v string) (err error) {
				c.Brand.BackgroundColor, err = parseColor(v)
				return err
			},
		},
		{
			name:        "TOLLGATE_BRAND_LOGO_URL",
			description: "Logo at the top of the pages: an absolute https:// URL, or a path such as /logo.svg that your proxy serves on Tollgate's host.",
			parse: func(c *Config, v string) (err error) {
				c.Brand.LogoURL, err = parseLogoURL(v)
				return err
			},
		},
		brandTextKey("TOLLGATE_BRAND_HEADING", def.Heading, "Heading of the form.",
			func(c *Config) *string { return &c.Brand.Heading }),
		brandTextKey("TOLLGATE_BRAND_INTRO", def.Intro, "Sentence under the form's heading.",
			func(c *Config) *string { return &c.Brand.Intro }),
		brandTextKey("TOLLGATE_BRAND_CONSENT", def.Consent, "Label of the box visitors tick to agree to be called.",
			func(c *Config) *string { return &c.Brand.Consent }),
		brandTextKey("TOLLGATE_BRAND_SUCCESS", def.Success, "Heading of the page shown once a request is taken.",
			func(c *Config) *string { return &c.Brand.Success }),
	}
}

// brandTextKey is a branding text shown as written: one line of at most
// maxBrandTextLen characters.
func brandTextKey(name, def, description string, field func(c *Config) *string) configKey {
	return configKey{
		name: name, def: def, description: description,
		parse: func(c *Config, v string) error {
			switch {
			case !utf8.ValidString(v):
				return errors.New("the text is not valid UTF-8")
			case strings.ContainsFunc(v, unicode.IsControl):
				return errors.New("the text contains control characters such as line breaks; write it on one line")
			case utf8.RuneCountInString(v) > maxBrandTextLen:
				return fmt.Errorf("the text is %d characters long; keep it to %d", utf8.RuneCountInString(v), maxBrandTextLen)
			}
			*field(c) = v
			return nil
		},
	}
}

// parseColor accepts #rgb or #rrggbb and returns it in lower case.
func parseColor(v string) (string, error) {
	if _, ok := web.ParseColor(v); !ok {
		return "", fmt.Errorf("%q is not a colour; use #rgb or #rrggbb, e.g. #1f4ed8", v)
	}
	return strings.ToLower(v), nil
}

// parseLogoURL accepts an empty value, an absolute https URL or a path
// starting with a single slash.
func parseLogoURL(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	fail := fmt.Errorf("%q is neither an absolute https:// URL nor a path starting with /; use e.g. https://cdn.example.com/logo.svg or /logo.svg", v)
	if strings.ContainsFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '\\' }) {
		return "", fail
	}
	u, err := url.Parse(v)
	switch {
	case err != nil:
		return "", fail
	case strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "//"):
		return v, nil
	case u.Scheme == "https" && u.Host != "" && u.User == nil:
		if _, err := handlers.ParseOrigin("https://" + u.Host); err != nil {
			return "", fmt.Errorf("%q: %v; use e.g. https://cdn.example.com/logo.svg", v, err)
		}
		return v, nil
	}
	return "", fail
}

// parseOrigins parses a comma-separated list of origins.
func parseOrigins(v string) ([]string, error) {
	var origins, bad []string
	for entry := range strings.SplitSeq(v, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		o, err := handlers.ParseOrigin(entry)
		if err != nil {
			bad = append(bad, strconv.Quote(entry)+": "+err.Error())
			continue
		}
		origins = append(origins, o)
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%s; use origins such as https://www.example.com or http://localhost:3000", strings.Join(bad, ", "))
	}
	return origins, nil
}

// formWarnings are the form settings' problems that do not stop Tollgate.
func (c Config) formWarnings() []string {
	var w []string
	if c.FormSecret == "" {
		w = append(w, "TOLLGATE_FORM_SECRET is not set: form tokens are signed with a random key made at start, "+
			"so they do not survive a restart and are not shared by other instances; set it to the same random value everywhere")
	}
	if primary, ok := web.ParseColor(c.Brand.PrimaryColor); ok {
		if r := web.ContrastRatio(primary, web.Color{R: 255, G: 255, B: 255}); r < 4.5 {
			w = append(w, fmt.Sprintf("TOLLGATE_BRAND_PRIMARY_COLOR %s gives the white button text a contrast of %.1f:1, below the 4.5:1 "+
				"people with low vision need; choose a darker colour", c.Brand.PrimaryColor, r))
		}
	}
	return w
}

// formConfig is the handlers' form configuration.
func (c Config) formConfig() handlers.FormConfig {
	return handlers.FormConfig{
		DefaultRegion:  c.DefaultRegion,
		Secret:         []byte(c.FormSecret),
		MinFillTime:    c.FormMinTime,
		TokenLifetime:  c.FormTokenLifetime,
		FrameAncestors: c.FrameAncestors,
		Branding:       c.Brand,
	}
}
