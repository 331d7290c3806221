package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/tollgate/tollgate/handlers"
)

// envPrefix starts the name of every environment variable Tollgate reads.
const envPrefix = "TOLLGATE_"

// Config is Tollgate's configuration, read once from the environment by
// LoadConfig and passed down to whatever needs it.
type Config struct {
	// Addr is the HTTP listen address, host:port.
	Addr string
	// RedisURL is the Redis or Redis Cluster URL, in any form parseRedisURL
	// accepts; empty means the embedded in-process store. It may carry a
	// password: never log it.
	RedisURL string
	// DemoData asks for demonstration entries to be written to the store at start.
	DemoData bool
	// TrustedProxies are the masked networks whose forwarding headers are
	// believed; empty means forwarding headers are never believed.
	TrustedProxies []netip.Prefix
	// GeoIPCountryDB is the path of a MaxMind Country or City database, or empty.
	GeoIPCountryDB string
	// GeoIPASNDB is the path of a MaxMind ASN database, or empty.
	GeoIPASNDB string
	// GeoIPAnonymousDB is the path of a MaxMind Anonymous IP database, or empty.
	GeoIPAnonymousDB string
	// DefaultRegion is the upper-case region code assumed for phone numbers
	// written without a country code; phonenumbers supports it.
	DefaultRegion string
	// LogLevel is the minimum level logged.
	LogLevel slog.Level
	// LogFormat is "auto", "json" or "text"; see Config.LogJSON.
	LogFormat string
	// DeflectChatURL is an absolute http(s) URL of a chat offered to deflected visitors, or empty.
	DeflectChatURL string
	// DeflectPhone is a phone number shown to deflected visitors, as free text, or empty.
	DeflectPhone string
	// DeflectHours are the opening hours shown with the deflection channels, as free text, or empty.
	DeflectHours string
	// ShutdownTimeout is how long in-flight requests get to finish on shutdown.
	ShutdownTimeout time.Duration
	// DuplicateTTL is the longest an outstanding-callback lock lives.
	DuplicateTTL time.Duration
	// Dial is how allowed callbacks become calls.
	Dial DialConfig
	// API is who may call the public API.
	API APIConfig
	// IVR is how the IVR flows challenge callers.
	IVR IVRConfig
	// Admin is how the admin console signs people in.
	Admin AdminConfig
	// Metrics is where the Prometheus metrics are served.
	Metrics MetricsConfig
	// Limits bound what one client may hold of the server.
	Limits LimitsConfig
	// DecisionRetention is how long decision records are kept.
	DecisionRetention time.Duration
	// AlertWebhooks receive every spike alert. They may hold secrets in
	// their paths: never log them whole.
	AlertWebhooks []string
	// FormSecret keys the form tokens, or is empty for a random key at
	// each start. It is a secret: never log it.
	FormSecret string
	// FormMinTime is the least time a person takes to fill in the form;
	// zero turns the check off.
	FormMinTime time.Duration
	// FormTokenLifetime is how long a served form stays good.
	FormTokenLifetime time.Duration
	// FrameAncestors are the origins that may frame the form, normalised
	// by handlers.ParseOrigin.
	FrameAncestors []string
	// Brand is the public pages' look and wording.
	Brand handlers.Branding
	// Faults is how Tollgate behaves when Redis stalls or dies.
	Faults FaultsConfig

	// unknown holds the warnings about unknown TOLLGATE_ variables.
	unknown []string
}

// configKey is one environment variable: its name, its default, its help
// text and how its value is stored in a Config.
type configKey struct {
	name string
	// def is the value parsed when the variable is unset or empty.
	def string
	// defaultDoc, when set, is shown instead of def.
	defaultDoc  string
	description string
	// secret keys may be read from the file named by name+"_FILE" and never
	// have their value in a message.
	secret bool
	parse  func(c *Config, value string) error
}

// configKeys returns the table of every variable Tollgate reads, in the
// order they are parsed and documented. TOLLGATE_DEMO_DATA's default depends
// on TOLLGATE_REDIS_URL, so it comes after it; the form's keys follow the
// others.
func configKeys() []configKey {
	return slices.Concat(coreConfigKeys(), formConfigKeys(), dialConfigKeys(), apiConfigKeys(), ivrConfigKeys(), adminConfigKeys(), metricsConfigKeys(), alertConfigKeys(), limitsConfigKeys(), faultsConfigKeys())
}

// coreConfigKeys are the variables of the service itself.
func coreConfigKeys() []configKey {
	return []configKey{
		{
			name: "TOLLGATE_ADDR", def: ":8080",
			description: "HTTP listen address, host:port.",
			parse: func(c *Config, v string) (err error) {
				c.Addr, err = parseAddr(v)
				return err
			},
		},
		{
			name: "TOLLGATE_REDIS_URL", defaultDoc: "(in-process store)", secret: true,
			description: "Redis to keep state in: redis://[user:pass@]host:6379/0, rediss:// for TLS, unix:///path/redis.sock, " +
				"or a cluster as redis+cluster://[user:pass@]host1:6379,host2:6379 (rediss+cluster:// for TLS) " +
				"or as comma-separated redis:// URLs. go-redis options such as dial_timeout=2s go in the query. " +
				"Empty keeps state in process memory, lost on restart.",
			parse: func(c *Config, v string) error {
				if v != "" {
					if _, _, err := parseRedisURL(v); err != nil {
						return err
					}
				}
				c.RedisURL = v
				return nil
			},
		},
		{
			name: "TOLLGATE_DEMO_DATA", defaultDoc: "true without Redis, else false",
			description: "Write demonstration entries into the store at start.",
			parse: func(c *Config, v string) error {
				if v == "" {
					c.DemoData = c.RedisURL == ""
					return nil
				}
				b, err := strconv.ParseBool(v)
				if err != nil {
					return fmt.Errorf("%q is not a boolean; use true or false", v)
				}
				c.DemoData = b
				return nil
			},
		},
		{
			name: "TOLLGATE_TRUSTED_PROXIES",
			description: "Comma-separated CIDRs or IPs of the reverse proxies whose X-Forwarded-For is believed. " +
				"Empty: forwarding headers are ignored and the connection's peer is the client.",
			parse: func(c *Config, v string) (err error) {
				c.TrustedProxies, err = parsePrefixes(v)
				return err
			},
		},
		{
			name:        "TOLLGATE_GEOIP_COUNTRY_DB",
			description: "Path of a MaxMind GeoIP2 or GeoLite2 Country (or City) .mmdb file. Empty: no country signals.",
			parse:       func(c *Config, v string) (err error) { c.GeoIPCountryDB, err = parseFilePath(v); return err },
		},
		{
			name:        "TOLLGATE_GEOIP_ASN_DB",
			description: "Path of a MaxMind GeoLite2 ASN .mmdb file. Empty: no network (ASN) signals.",
			parse:       func(c *Config, v string) (err error) { c.GeoIPASNDB, err = parseFilePath(v); return err },
		},
		{
			name:        "TOLLGATE_GEOIP_ANONYMOUS_DB",
			description: "Path of a MaxMind GeoIP2 Anonymous IP .mmdb file. Empty: no VPN, proxy or hosting signals.",
			parse:       func(c *Config, v string) (err error) { c.GeoIPAnonymousDB, err = parseFilePath(v); return err },
		},
		{
			name: "TOLLGATE_DEFAULT_REGION", def: "US",
			description: "Region (ISO 3166-1 alpha-2) assumed for phone numbers written without a + country code.",
			parse: func(c *Config, v string) error {
				r := strings.ToUpper(v)
				if !phonenumbers.GetSupportedRegions()[r] {
					return fmt.Errorf("%q is not a region phonenumbers supports; use a two-letter country code such as US, GB or DE", v)
				}
				c.DefaultRegion = r
				return nil
			},
		},
		{
			name: "TOLLGATE_LOG_LEVEL", def: "info",
			description: "Minimum level logged: debug, info, warn or error.",
			parse: func(c *Config, v string) error {
				levels := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}
				l, ok := levels[strings.ToLower(v)]
				if !ok {
					return fmt.Errorf("%q is not a log level; use debug, info, warn or error", v)
				}
				c.LogLevel = l
				return nil
			},
		},
		{
			name: "TOLLGATE_LOG_FORMAT", def: "auto",
			description: "Log format: json, text, or auto for JSON unless standard output is a terminal.",
			parse: func(c *Config, v string) error {
				f := strings.ToLower(v)
				if f != "auto" && f != "json" && f != "text" {
					return fmt.Errorf("%q is not a log format; use auto, json or text", v)
				}
				c.LogFormat = f
				return nil
			},
		},
		{
			name:        "TOLLGATE_DEFLECT_CHAT_URL",
			description: "Absolute http(s) URL of a chat offered to deflected visitors. The default until an admin saves the risk settings.",
			parse: func(c *Config, v string) error {
				if v != "" {
					u, err := url.Parse(v)
					if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
						return fmt.Errorf("%q is not an absolute http(s) URL; use e.g. https://example.com/chat", v)
					}
				}
				c.DeflectChatURL = v
				return nil
			},
		},
		{
			name:        "TOLLGATE_DEFLECT_PHONE",
			description: "Phone number deflected visitors can call, shown as written. The default until an admin saves the risk settings.",
			parse:       func(c *Config, v string) error { c.DeflectPhone = v; return nil },
		},
		{
			name:        "TOLLGATE_DEFLECT_HOURS",
			description: "Opening hours shown with the deflection channels, as written, e.g. Mon-Fri 9:00-17:00. The default until an admin saves the risk settings.",
			parse:       func(c *Config, v string) error { c.DeflectHours = v; return nil },
		},
		{
			name: "TOLLGATE_SHUTDOWN_TIMEOUT", def: "10s",
			description: "How long in-flight requests get to finish after SIGINT or SIGTERM.",
			parse: func(c *Config, v string) (err error) {
				c.ShutdownTimeout, err = parseDuration(v, time.Millisecond)
				return err
			},
		},
		{
			name: "TOLLGATE_DUPLICATE_TTL", def: "15m",
			description: "Longest time an outstanding-callback lock lives, keeping a number from asking for a second callback meanwhile.",
			parse: func(c *Config, v string) (err error) {
				c.DuplicateTTL, err = parseDuration(v, time.Second)
				return err
			},
		},
	}
}

// Warnings returns the problems that do not stop Tollgate but deserve a line
// in the log at start.
func (c Config) Warnings() []string {
	w := slices.Clone(c.unknown)
	if c.DeflectChatURL == "" && c.DeflectPhone == "" {
		w = append(w, "no deflection channel configured (TOLLGATE_DEFLECT_CHAT_URL, TOLLGATE_DEFLECT_PHONE): "+
			"deflected visitors will only see a generic message")
	}
	if c.DemoData && c.RedisURL != "" {
		w = append(w, "TOLLGATE_DEMO_DATA=true with a real Redis writes demo entries into it")
	}
	for _, p := range c.TrustedProxies {
		if p.Bits() == 0 {
			w = append(w, fmt.Sprintf("TOLLGATE_TRUSTED_PROXIES contains %s: every client's X-Forwarded-For is believed, "+
				"so per-IP limits can be dodged; list only your proxies", p))
		}
	}
	if c.Admin.InsecureCookies && c.RedisURL != "" {
		w = append(w, "TOLLGATE_ADMIN_INSECURE_COOKIES=true: console session cookies travel over plain HTTP; serve the console over HTTPS instead")
	}
	return slices.Concat(w, c.formWarnings(), c.apiWarnings(), c.faultsWarnings())
}

// LogJSON reports whether logs should be JSON, given whether standard output
// is a terminal.
func (c Config) LogJSON(stdoutIsTerminal bool) bool {
	switch c.LogFormat {
	case "json":
		return true
	case "text":
		return false
	default:
		return !stdoutIsTerminal
	}
}

func parseAddr(v string) (string, error) {
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		return "", fmt.Errorf("%q is not host:port; use :8080 for every interface or 127.0.0.1:8080 for loopback only", v)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("port %q is not a number from 0 to 65535; use e.g. :8080", port)
	}
	return v, nil
}

// parsePrefixes parses a comma-separated list of CIDRs and bare IPs, a bare
// IP standing for itself alone, into masked prefixes.
func parsePrefixes(v string) ([]netip.Prefix, error) {
	var prefixes []netip.Prefix
	var bad []string
	for entry := range strings.SplitSeq(v, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		var p netip.Prefix
		var err error
		if strings.Contains(entry, "/") {
			p, err = netip.ParsePrefix(entry)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(entry); err == nil && a.Zone() != "" {
				err = errors.New("zone")
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if err != nil {
			bad = append(bad, strconv.Quote(entry))
			continue
		}
		prefixes = append(prefixes, p.Masked())
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%s: not an IP address or CIDR; use e.g. 10.0.0.0/8, 192.0.2.10 or fd00::/8", strings.Join(bad, ", "))
	}
	return prefixes, nil
}

// parseFilePath accepts an empty path, a path that does not exist (the
// database is then missing: its signals are disabled with a warning at
// start) or the path of a readable regular file.
func parseFilePath(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	fi, err := os.Stat(v)
	if errors.Is(err, fs.ErrNotExist) {
		return v, nil
	}
	if err != nil {
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err
		}
		return "", fmt.Errorf("cannot use %q: %v; give the path of the .mmdb file or leave it empty", v, err)
	}
	if fi.IsDir() {
		return "", fmt.Errorf("%q is a directory; give the path of the .mmdb file inside it", v)
	}
	return v, nil
}

// parseDuration parses a Go duration of at least least.
func parseDuration(v string, least time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration; use a number with a unit, e.g. 10s, 15m or 1h30m", v)
	}
	if d < least {
		return 0, fmt.Errorf("%s is too short; use at least %s", d, least)
	}
	return d, nil
}

// secretKey parses a secret of at least min characters into field; empty
// leaves it unset.
func secretKey(min int, field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v != "" && len(v) < min {
			return fmt.Errorf("is too short; use at least %d random characters, e.g. from openssl rand -hex %d", min, min)
		}
		*field(c) = v
		return nil
	}
}
