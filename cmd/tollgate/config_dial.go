package main

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/tollgate/tollgate/contactflows"
)

// DialConfig is how allowed callbacks become calls: the dialer, its
// provider settings and the dispatch limits.
type DialConfig struct {
	// Dialer is "simulator", "connect" or "twilio".
	Dialer string
	// PublicURL is the absolute base URL providers reach Tollgate at, or empty.
	PublicURL string
	// FlowAPIKey authenticates telephony flows and the call-end API; empty
	// turns those endpoints off.
	FlowAPIKey string
	// Workers is how many calls this process dials at once.
	Workers int
	// RatePerMinute caps calls placed per minute across all instances; 0 is none.
	RatePerMinute int
	// CountryRatePerMinute caps calls placed per minute per destination country; 0 is none.
	CountryRatePerMinute int
	// MaxAttempts is how many dials a call gets before it is dead-lettered.
	MaxAttempts int
	// SimulatorOutcome is what every simulated call reports.
	SimulatorOutcome string

	ConnectRegion, ConnectInstanceID, ConnectContactFlowID string
	ConnectSourcePhone, ConnectQueueID                     string

	TwilioAccountSID, TwilioAuthToken, TwilioFrom string
	// TwilioAuthTokenPrevious validates Twilio's signatures after
	// TwilioAuthToken while the auth token is rotated; it places no calls.
	TwilioAuthTokenPrevious string
	// TwilioContinue is where an answered Twilio callback goes.
	TwilioContinue contactflows.TwilioContinue
}

// dialConfigKeys are the variables of DialConfig.
func dialConfigKeys() []configKey {
	return []configKey{
		{
			name: "TOLLGATE_DIALER", def: "simulator",
			description: "What places allowed calls: simulator (records calls, places none), connect (Amazon Connect) or twilio.",
			parse: func(c *Config, v string) error {
				switch v {
				case "simulator", "connect", "twilio":
					c.Dial.Dialer = v
					return nil
				}
				return fmt.Errorf("%q is not a dialer; use simulator, connect or twilio", v)
			},
		},
		{
			name:        "TOLLGATE_PUBLIC_URL",
			description: "Absolute base URL at which telephony providers reach Tollgate, e.g. https://callbacks.example.com. Required by the twilio dialer for its TwiML and status callbacks. Tollgate serves at the root: if this URL has a path (https://example.com/tollgate), the proxy must strip that prefix before forwarding, or every Twilio route answers 404.",
			parse: func(c *Config, v string) error {
				if v != "" {
					u, err := url.Parse(v)
					if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
						return fmt.Errorf("%q is not an absolute http(s) base URL; use e.g. https://callbacks.example.com", v)
					}
				}
				c.Dial.PublicURL = strings.TrimRight(v, "/")
				return nil
			},
		},
		{
			name: "TOLLGATE_FLOW_API_KEY", secret: true,
			description: "API key telephony flows send as a Bearer token, e.g. to report a call's end. Empty turns those endpoints off. At least 24 characters.",
			parse:       secretKey(24, func(c *Config) *string { return &c.Dial.FlowAPIKey }),
		},
		{
			name: "TOLLGATE_DIAL_WORKERS", def: "4",
			description: "How many calls this instance dials at once.",
			parse:       intKey(func(c *Config) *int { return &c.Dial.Workers }, 1, 256),
		},
		{
			name: "TOLLGATE_DIAL_RATE", def: "60",
			description: "Most calls placed per minute, across every instance sharing the Redis; 0 for no cap. The default until an admin saves the risk settings.",
			parse:       intKey(func(c *Config) *int { return &c.Dial.RatePerMinute }, 0, 100000),
		},
		{
			name: "TOLLGATE_DIAL_COUNTRY_RATE", def: "20",
			description: "Most calls placed per minute to one destination country, across every instance; 0 for no cap. The default until an admin saves the risk settings.",
			parse:       intKey(func(c *Config) *int { return &c.Dial.CountryRatePerMinute }, 0, 100000),
		},
		{
			name: "TOLLGATE_DIAL_MAX_ATTEMPTS", def: "5",
			description: "Dials a call gets (with exponential backoff from 2s) before it goes to the dead letters.",
			parse:       intKey(func(c *Config) *int { return &c.Dial.MaxAttempts }, 1, 20),
		},
		{
			name: "TOLLGATE_SIMULATOR_OUTCOME", def: "answered",
			description: "Outcome of every simulated call: answered, no-answer, busy, or failed (a dial error, retried and then dead-lettered).",
			parse: func(c *Config, v string) error {
				for _, o := range contactflows.Outcomes {
					if v == o {
						c.Dial.SimulatorOutcome = v
						return nil
					}
				}
				return fmt.Errorf("%q is not an outcome; use one of %s", v, strings.Join(contactflows.Outcomes, ", "))
			},
		},
		{name: "TOLLGATE_CONNECT_REGION", description: "AWS region of the Amazon Connect instance, e.g. eu-west-2. Credentials come from the standard AWS chain (AWS_ACCESS_KEY_ID, a role, ...).",
			parse: patternKey(func(c *Config) *string { return &c.Dial.ConnectRegion }, awsRegion, "an AWS region such as eu-west-2")},
		{name: "TOLLGATE_CONNECT_INSTANCE_ID", description: "Amazon Connect instance id.",
			parse: patternKey(func(c *Config) *string { return &c.Dial.ConnectInstanceID }, uuid, "an id such as 12345678-aaaa-bbbb-cccc-0123456789ab")},
		{name: "TOLLGATE_CONNECT_CONTACT_FLOW_ID", description: "Id of the outbound contact flow the call runs.",
			parse: patternKey(func(c *Config) *string { return &c.Dial.ConnectContactFlowID }, uuid, "an id such as 12345678-aaaa-bbbb-cccc-0123456789ab")},
		{name: "TOLLGATE_CONNECT_SOURCE_PHONE", description: "Claimed E.164 number calls come from; this or TOLLGATE_CONNECT_QUEUE_ID is required.",
			parse: e164Key(func(c *Config) *string { return &c.Dial.ConnectSourcePhone })},
		{name: "TOLLGATE_CONNECT_QUEUE_ID", description: "Outbound queue whose caller id calls use.",
			parse: patternKey(func(c *Config) *string { return &c.Dial.ConnectQueueID }, uuid, "an id such as 12345678-aaaa-bbbb-cccc-0123456789ab")},
		{name: "TOLLGATE_TWILIO_ACCOUNT_SID", description: "Twilio account SID (AC...).",
			parse: patternKey(func(c *Config) *string { return &c.Dial.TwilioAccountSID }, twilioSID, "AC followed by 32 hexadecimal digits")},
		{name: "TOLLGATE_TWILIO_AUTH_TOKEN", secret: true, description: "Twilio auth token; also validates the signatures of Twilio's status callbacks.",
			parse: patternKey(func(c *Config) *string { return &c.Dial.TwilioAuthToken }, twilioToken, "32 hexadecimal digits")},
		{name: "TOLLGATE_TWILIO_AUTH_TOKEN_PREVIOUS", secret: true, description: "Twilio's previous auth token, still accepted on Twilio's webhook signatures (after TOLLGATE_TWILIO_AUTH_TOKEN) while the token is rotated: set the new token as TOLLGATE_TWILIO_AUTH_TOKEN and the old one here, promote the secondary token in Twilio, then remove this.",
			parse: patternKey(func(c *Config) *string { return &c.Dial.TwilioAuthTokenPrevious }, twilioToken, "32 hexadecimal digits")},
		{name: "TOLLGATE_TWILIO_FROM", description: "E.164 Twilio number calls come from.",
			parse: e164Key(func(c *Config) *string { return &c.Dial.TwilioFrom })},
		{
			name:        "TOLLGATE_TWILIO_CONTINUE",
			description: "Where an answered Twilio callback goes: dial:+442071838750 or dial:sip:agents@pbx.example.com, enqueue:<queue name>, or redirect:https://<your TwiML>.",
			parse: func(c *Config, v string) (err error) {
				if v != "" {
					c.Dial.TwilioContinue, err = contactflows.ParseTwilioContinue(v)
				}
				return err
			},
		},
	}
}

// Shapes of provider ids.
var (
	awsRegion   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	uuid        = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	twilioSID   = regexp.MustCompile(`^AC[0-9a-f]{32}$`)
	twilioToken = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// patternKey parses an optional value of the shape re into field; shape
// says what it should look like. Secrets are never quoted back.
func patternKey(field func(*Config) *string, re *regexp.Regexp, shape string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v != "" && !re.MatchString(v) {
			return fmt.Errorf("is not %s", shape)
		}
		*field(c) = v
		return nil
	}
}

// intKey parses an integer between lo and hi into field.
func intKey(field func(*Config) *int, lo, hi int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("%q is not a whole number from %d to %d", v, lo, hi)
		}
		*field(c) = n
		return nil
	}
}

// e164Key parses an optional E.164 number into field.
func e164Key(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v != "" {
			n, err := phonenumbers.Parse(v, "")
			if err != nil || !strings.HasPrefix(v, "+") || phonenumbers.Format(n, phonenumbers.E164) != v {
				return fmt.Errorf("%q is not an E.164 number; write it as + and digits, e.g. +442071838750", v)
			}
		}
		*field(c) = v
		return nil
	}
}

// validate checks what the chosen dialer needs.
func (d DialConfig) validate() []error {
	var errs []error
	need := func(v, name string) {
		if v == "" {
			errs = append(errs, fmt.Errorf("TOLLGATE_DIALER=%s needs %s", d.Dialer, name))
		}
	}
	if d.TwilioAuthTokenPrevious != "" && d.TwilioAuthToken == "" {
		errs = append(errs, errors.New("TOLLGATE_TWILIO_AUTH_TOKEN_PREVIOUS needs TOLLGATE_TWILIO_AUTH_TOKEN: the previous token is only tried after the current one"))
	}
	switch d.Dialer {
	case "connect":
		need(d.ConnectRegion, "TOLLGATE_CONNECT_REGION")
		need(d.ConnectInstanceID, "TOLLGATE_CONNECT_INSTANCE_ID")
		need(d.ConnectContactFlowID, "TOLLGATE_CONNECT_CONTACT_FLOW_ID")
		if d.ConnectSourcePhone == "" && d.ConnectQueueID == "" {
			errs = append(errs, errors.New("TOLLGATE_DIALER=connect needs TOLLGATE_CONNECT_SOURCE_PHONE or TOLLGATE_CONNECT_QUEUE_ID"))
		}
	case "twilio":
		need(d.TwilioAccountSID, "TOLLGATE_TWILIO_ACCOUNT_SID")
		need(d.TwilioAuthToken, "TOLLGATE_TWILIO_AUTH_TOKEN")
		need(d.TwilioFrom, "TOLLGATE_TWILIO_FROM")
		need(d.PublicURL, "TOLLGATE_PUBLIC_URL")
		need(d.TwilioContinue.Verb, "TOLLGATE_TWILIO_CONTINUE")
	}
	return errs
}
