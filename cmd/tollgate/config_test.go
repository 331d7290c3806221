package main

import (
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/handlers"
	"github.com/tollgate/tollgate/handlers/ivr"
	"github.com/tollgate/tollgate/web"
)

// envOf returns a getenv reading m.
func envOf(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

// writeFile writes content to a new file in a temporary directory and returns its path.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// defaultDial is the DialConfig of an empty environment.
var defaultIVR = IVRConfig{CodeLength: 4, CodeTTL: 5 * time.Minute, Attempts: 3}

var defaultFaults = FaultsConfig{
	Budget: 150 * time.Millisecond, FormMode: handlers.FailDeflect, IVRMode: ivr.FailChallenge,
	DialTimeout: 30 * time.Second, ClaimIdle: time.Minute, SimulatorDuration: 2 * time.Second,
}

var defaultDial = DialConfig{Dialer: "simulator", Workers: 4, RatePerMinute: 60, CountryRatePerMinute: 20, MaxAttempts: 5, SimulatorOutcome: "answered"}

func TestLoadConfigDefaults(t *testing.T) {
	got, err := LoadConfig(envOf(nil))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	want := Config{
		Addr:              ":8080",
		DemoData:          true,
		Admin:             AdminConfig{InsecureCookies: true, IdleTimeout: 30 * time.Minute, SessionLifetime: 12 * time.Hour},
		DefaultRegion:     "US",
		LogLevel:          slog.LevelInfo,
		LogFormat:         "auto",
		ShutdownTimeout:   10 * time.Second,
		DuplicateTTL:      15 * time.Minute,
		FormMinTime:       3 * time.Second,
		FormTokenLifetime: 2 * time.Hour,
		Brand:             web.DefaultBranding(),
		Dial:              defaultDial,
		API:               APIConfig{Access: handlers.APIOpen},
		IVR:               defaultIVR,
		Limits:            defaultLimits,
		DecisionRetention: 30 * 24 * time.Hour,
		Faults:            defaultFaults,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestLoadConfigValues(t *testing.T) {
	mmdb := writeFile(t, "not really a database")
	got, err := LoadConfig(envOf(map[string]string{
		"TOLLGATE_ADDR":               "127.0.0.1:9000",
		"TOLLGATE_REDIS_URL":          "redis://:pw@redis:6379/1",
		"TOLLGATE_TRUSTED_PROXIES":    "10.0.0.0/8",
		"TOLLGATE_GEOIP_COUNTRY_DB":   mmdb,
		"TOLLGATE_GEOIP_ASN_DB":       mmdb,
		"TOLLGATE_GEOIP_ANONYMOUS_DB": mmdb,
		"TOLLGATE_DEFAULT_REGION":     "gb",
		"TOLLGATE_LOG_LEVEL":          "DEBUG",
		"TOLLGATE_LOG_FORMAT":         "text",
		"TOLLGATE_DEFLECT_CHAT_URL":   "https://example.com/chat",
		"TOLLGATE_DEFLECT_PHONE":      "+44 20 7946 0000",
		"TOLLGATE_DEFLECT_HOURS":      "Mon-Fri 9:00-17:00",
		"TOLLGATE_SHUTDOWN_TIMEOUT":   "30s",
		"TOLLGATE_DUPLICATE_TTL":      "1h",
	}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	want := Config{
		Addr:              "127.0.0.1:9000",
		RedisURL:          "redis://:pw@redis:6379/1",
		DemoData:          false,
		Admin:             AdminConfig{IdleTimeout: 30 * time.Minute, SessionLifetime: 12 * time.Hour},
		TrustedProxies:    []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		GeoIPCountryDB:    mmdb,
		GeoIPASNDB:        mmdb,
		GeoIPAnonymousDB:  mmdb,
		DefaultRegion:     "GB",
		LogLevel:          slog.LevelDebug,
		LogFormat:         "text",
		DeflectChatURL:    "https://example.com/chat",
		DeflectPhone:      "+44 20 7946 0000",
		DeflectHours:      "Mon-Fri 9:00-17:00",
		ShutdownTimeout:   30 * time.Second,
		DuplicateTTL:      time.Hour,
		FormMinTime:       3 * time.Second,
		FormTokenLifetime: 2 * time.Hour,
		Brand:             web.DefaultBranding(),
		Dial:              defaultDial,
		API:               APIConfig{Access: handlers.APIOpen},
		IVR:               defaultIVR,
		Limits:            defaultLimits,
		DecisionRetention: 30 * 24 * time.Hour,
		Faults:            defaultFaults,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestLoadConfigDemoData(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"embedded store", nil, true},
		{"embedded store, turned off", map[string]string{"TOLLGATE_DEMO_DATA": "false"}, false},
		{"real Redis", map[string]string{"TOLLGATE_REDIS_URL": "redis://redis:6379"}, false},
		{"real Redis, asked for", map[string]string{"TOLLGATE_REDIS_URL": "redis://redis:6379", "TOLLGATE_DEMO_DATA": "1"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(envOf(tt.env))
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			if got := c.DemoData; got != tt.want {
				t.Errorf("got DemoData %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLoadConfigBadValues(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, value string
		want        string // in the error, besides the variable's name
	}{
		{"TOLLGATE_ADDR", "8080", "use :8080"},
		{"TOLLGATE_ADDR", ":99999", "0 to 65535"},
		{"TOLLGATE_ADDR", "localhost:http", "0 to 65535"},
		{"TOLLGATE_REDIS_URL", "http://redis:6379", `scheme "http" is not supported; use redis://host:6379/0`},
		{"TOLLGATE_REDIS_URL", "localhost:6379", "has no scheme"},
		{"TOLLGATE_REDIS_URL", "redis://redis:6379/0?nonsense=1", "unexpected option: nonsense"},
		{"TOLLGATE_REDIS_URL", "redis+cluster://a:6379,b:6379/3", "only database 0"},
		{"TOLLGATE_DEMO_DATA", "maybe", "use true or false"},
		{"TOLLGATE_TRUSTED_PROXIES", "10.0.0.0/8,10.0.0.300", `"10.0.0.300": not an IP address or CIDR`},
		{"TOLLGATE_GEOIP_COUNTRY_DB", dir, "is a directory"},
		{"TOLLGATE_GEOIP_ASN_DB", dir, "is a directory"},
		{"TOLLGATE_GEOIP_ANONYMOUS_DB", dir, "is a directory"},
		{"TOLLGATE_DEFAULT_REGION", "XX", `"XX" is not a region`},
		{"TOLLGATE_DEFAULT_REGION", "USA", `"USA" is not a region`},
		{"TOLLGATE_LOG_LEVEL", "verbose", "use debug, info, warn or error"},
		{"TOLLGATE_LOG_FORMAT", "xml", "use auto, json or text"},
		{"TOLLGATE_DEFLECT_CHAT_URL", "example.com/chat", "not an absolute http(s) URL"},
		{"TOLLGATE_DEFLECT_CHAT_URL", "ftp://example.com/chat", "not an absolute http(s) URL"},
		{"TOLLGATE_SHUTDOWN_TIMEOUT", "10", "not a duration"},
		{"TOLLGATE_SHUTDOWN_TIMEOUT", "-1s", "too short"},
		{"TOLLGATE_DUPLICATE_TTL", "15", "not a duration"},
		{"TOLLGATE_DUPLICATE_TTL", "500ms", "use at least 1s"},
		{"TOLLGATE_DIALER", "asterisk", "use simulator, connect or twilio"},
		{"TOLLGATE_PUBLIC_URL", "callbacks.example.com", "not an absolute http(s) base URL"},
		{"TOLLGATE_FLOW_API_KEY", "short", "at least 24 random characters"},
		{"TOLLGATE_DIAL_WORKERS", "0", "from 1 to 256"},
		{"TOLLGATE_DIAL_RATE", "fast", "not a whole number"},
		{"TOLLGATE_DIAL_COUNTRY_RATE", "-1", "from 0 to 100000"},
		{"TOLLGATE_DIAL_MAX_ATTEMPTS", "50", "from 1 to 20"},
		{"TOLLGATE_SIMULATOR_OUTCOME", "voicemail", "use one of answered, no-answer, busy, failed"},
		{"TOLLGATE_CONNECT_REGION", "London", "an AWS region"},
		{"TOLLGATE_CONNECT_INSTANCE_ID", "my-instance", "is not an id such as"},
		{"TOLLGATE_CONNECT_CONTACT_FLOW_ID", "flow", "is not an id such as"},
		{"TOLLGATE_CONNECT_SOURCE_PHONE", "020 7183 8750", "not an E.164 number"},
		{"TOLLGATE_CONNECT_QUEUE_ID", "queue", "is not an id such as"},
		{"TOLLGATE_TWILIO_ACCOUNT_SID", "AB123", "AC followed by 32 hexadecimal digits"},
		{"TOLLGATE_TWILIO_AUTH_TOKEN", "secret-token", "is not 32 hexadecimal digits"},
		{"TOLLGATE_TWILIO_AUTH_TOKEN_PREVIOUS", "old-token", "is not 32 hexadecimal digits"},
		{"TOLLGATE_TWILIO_FROM", "+44 20 7183 8750", "not an E.164 number"},
		{"TOLLGATE_TWILIO_CONTINUE", "hangup", "does not start with dial:"},
		{"TOLLGATE_CHALLENGE_DIGITS", "9", "from 3 to 8"},
		{"TOLLGATE_CHALLENGE_TTL", "5s", "use at least 10s"},
		{"TOLLGATE_CHALLENGE_ATTEMPTS", "0", "from 1 to 10"},
		{"TOLLGATE_BRIDGE_SECRET", "short", "at least 32 random characters"},
		{"TOLLGATE_BRIDGE_SECRET_PREVIOUS", "short", "at least 32 random characters"},
		{"TOLLGATE_CORS_ORIGINS", "https://ok.example.com,https://shop.example.com/cart", `"https://shop.example.com/cart": only scheme://host[:port] is allowed`},
		{"TOLLGATE_VISITOR_TOKEN_SECRET", "secret", "at least 32 random characters"},
		{"TOLLGATE_API_KEYS", "site-a=secret", `key "site-a": the secret is too short (use at least 32 random characters`},
		{"TOLLGATE_API_ACCESS", "public", `"public" is not an access mode; use open, key, visitor-token or off`},
	}
	freeText := []string{"TOLLGATE_DEFLECT_PHONE", "TOLLGATE_DEFLECT_HOURS"}
	// The form's keys have their own table: TestLoadFormConfigBadValues.
	for _, k := range slices.Concat(coreConfigKeys(), dialConfigKeys(), apiConfigKeys(), ivrConfigKeys()) {
		covered := slices.ContainsFunc(tests, func(tt struct{ name, value, want string }) bool { return tt.name == k.name })
		if !covered && !slices.Contains(freeText, k.name) {
			t.Errorf("%s has no bad-value case", k.name)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := LoadConfig(envOf(map[string]string{tt.name: tt.value}))
			if err == nil {
				t.Fatalf("got no error, want one mentioning %s", tt.name)
			}
			if got := err.Error(); !strings.HasPrefix(got, tt.name+": ") || !strings.Contains(got, tt.want) {
				t.Errorf("got error %q, want it to start with %q and contain %q", got, tt.name+": ", tt.want)
			}
		})
	}
}

func TestLoadConfigReportsEveryError(t *testing.T) {
	_, err := LoadConfig(envOf(map[string]string{
		"TOLLGATE_ADDR":       "nope",
		"TOLLGATE_LOG_LEVEL":  "loud",
		"TOLLGATE_DEMO_DATA":  "perhaps",
		"TOLLGATE_LOG_FORMAT": "xml",
	}))
	if err == nil {
		t.Fatal("got no error, want four")
	}
	for _, want := range []string{"TOLLGATE_ADDR:", "TOLLGATE_LOG_LEVEL:", "TOLLGATE_DEMO_DATA:", "TOLLGATE_LOG_FORMAT:"} {
		if got := err.Error(); !strings.Contains(got, want) {
			t.Errorf("got error %q, want it to contain %q", got, want)
		}
	}
}

func TestLoadConfigSecretFile(t *testing.T) {
	const url = "redis://:s3cr3tpw@redis:6379/0"
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		name    string
		env     map[string]string
		want    string // RedisURL, when wantErr is empty
		wantErr []string
	}{
		{
			name: "trailing newline trimmed",
			env:  map[string]string{"TOLLGATE_REDIS_URL_FILE": writeFile(t, url+"\n")},
			want: url,
		},
		{
			name: "trailing CRLF trimmed",
			env:  map[string]string{"TOLLGATE_REDIS_URL_FILE": writeFile(t, url+"\r\n")},
			want: url,
		},
		{
			name: "no newline",
			env:  map[string]string{"TOLLGATE_REDIS_URL_FILE": writeFile(t, url)},
			want: url,
		},
		{
			name:    "both set",
			env:     map[string]string{"TOLLGATE_REDIS_URL": url, "TOLLGATE_REDIS_URL_FILE": writeFile(t, url)},
			wantErr: []string{"TOLLGATE_REDIS_URL and TOLLGATE_REDIS_URL_FILE are both set"},
		},
		{
			name:    "missing file",
			env:     map[string]string{"TOLLGATE_REDIS_URL_FILE": missing},
			wantErr: []string{"TOLLGATE_REDIS_URL_FILE: cannot read", missing, "no such file"},
		},
		{
			name:    "empty file",
			env:     map[string]string{"TOLLGATE_REDIS_URL_FILE": writeFile(t, "\n")},
			wantErr: []string{"TOLLGATE_REDIS_URL_FILE:", "is empty"},
		},
		{
			name:    "bad value in file",
			env:     map[string]string{"TOLLGATE_REDIS_URL_FILE": writeFile(t, "http://:s3cr3tpw@redis\n")},
			wantErr: []string{"TOLLGATE_REDIS_URL (read from TOLLGATE_REDIS_URL_FILE):", `scheme "http"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(envOf(tt.env))
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("LoadConfig: %v", err)
				}
				if got := c.RedisURL; got != tt.want {
					t.Errorf("got RedisURL %q, want %q", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.wantErr)
			}
			got := err.Error()
			for _, want := range tt.wantErr {
				if !strings.Contains(got, want) {
					t.Errorf("got error %q, want it to contain %q", got, want)
				}
			}
			if strings.Contains(got, "s3cr3tpw") {
				t.Errorf("got error %q, which contains the password", got)
			}
		})
	}
}

func TestLoadConfigTrustedProxies(t *testing.T) {
	tests := []struct {
		value   string
		want    []string
		wantErr []string // bad entries the error must name
	}{
		{value: "", want: nil},
		{value: " , ", want: nil},
		{value: "10.0.0.0/8", want: []string{"10.0.0.0/8"}},
		{
			value: "10.1.2.3/16, 192.168.1.10,2001:db8::1 ,fd00::1/8",
			want:  []string{"10.1.0.0/16", "192.168.1.10/32", "2001:db8::1/128", "fd00::/8"},
		},
		{value: "10.0.0.0/8,10.0.0.300,proxy.internal", wantErr: []string{`"10.0.0.300"`, `"proxy.internal"`}},
		{value: "10.0.0.0/33", wantErr: []string{`"10.0.0.0/33"`}},
		{value: "fe80::1%eth0", wantErr: []string{`"fe80::1%eth0"`}},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			c, err := LoadConfig(envOf(map[string]string{"TOLLGATE_TRUSTED_PROXIES": tt.value}))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("got no error, want one naming %q", tt.wantErr)
				}
				for _, want := range tt.wantErr {
					if got := err.Error(); !strings.Contains(got, want) {
						t.Errorf("got error %q, want it to contain %q", got, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			var got []string
			for _, p := range c.TrustedProxies {
				got = append(got, p.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadConfigDefaultRegion(t *testing.T) {
	tests := []struct{ value, want string }{
		{"", "US"},
		{"gb", "GB"},
		{"De", "DE"},
		{"NZ", "NZ"},
	}
	for _, tt := range tests {
		c, err := LoadConfig(envOf(map[string]string{"TOLLGATE_DEFAULT_REGION": tt.value}))
		if err != nil {
			t.Fatalf("LoadConfig with %q: %v", tt.value, err)
		}
		if got := c.DefaultRegion; got != tt.want {
			t.Errorf("with %q got %q, want %q", tt.value, got, tt.want)
		}
	}
}
