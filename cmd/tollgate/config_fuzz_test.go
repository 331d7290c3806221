package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/handlers"
	"github.com/tollgate/tollgate/risk"
)

// FuzzLoadConfig sets one variable of the key table to an arbitrary value.
// LoadConfig either fails with every line naming a TOLLGATE_ variable and
// no secret's value in it (a Redis URL's password), or gives a Config whose values hold what their
// keys promise.
//
//	go test ./cmd/tollgate -run '^$' -fuzz '^FuzzLoadConfig$' -fuzztime 60s
func FuzzLoadConfig(f *testing.F) {
	keys := configKeys()
	hostile := []string{"", "\x00", "-1", "1e400", "9223372036854775807ns", "${HOME}", "'; DROP", "redis://user:hunter2hunter2@", strings.Repeat("x", 300)}
	for i, k := range keys {
		f.Add(uint16(i), k.def+"\n")
		f.Add(uint16(i), hostile[i%len(hostile)])
	}
	f.Fuzz(func(t *testing.T, which uint16, value string) {
		k := keys[int(which)%len(keys)]
		cfg, err := LoadConfig(envOf(map[string]string{k.name: value}))
		if err != nil {
			for line := range strings.SplitSeq(err.Error(), "\n") {
				if !strings.Contains(line, "TOLLGATE_") {
					t.Errorf("%s=%q: error line %q names no variable", k.name, value, line)
				}
			}
			// A Redis URL is secret for its user and password only, which
			// come before an @.
			hidden := k.secret && (k.name != "TOLLGATE_REDIS_URL" || strings.Contains(value, "@"))
			if hidden && len(value) >= 8 && strings.Contains(err.Error(), value) {
				t.Errorf("%s=%q: the error shows the secret: %v", k.name, value, err)
			}
			return
		}
		if err := checkConfig(cfg); err != "" {
			t.Errorf("%s=%q: %s", k.name, value, err)
		}
	})
}

// checkConfig returns what is wrong with a Config LoadConfig gave, or "".
func checkConfig(c Config) string {
	if _, err := parseAddr(c.Addr); err != nil {
		return "Addr " + c.Addr + ": " + err.Error()
	}
	for _, p := range c.TrustedProxies {
		if !p.IsValid() || p != p.Masked() {
			return "trusted proxy " + p.String() + " is not a masked prefix"
		}
	}
	switch {
	case c.ShutdownTimeout < 1e6, c.DuplicateTTL < 1e9, c.Limits.ReadHeaderTimeout <= 0, c.Limits.IdleTimeout <= 0, c.DecisionRetention <= 0:
		return "a duration is not positive"
	case c.Limits.ReadHeaderTimeout > readTimeout:
		return "ReadHeaderTimeout exceeds the read timeout"
	case c.Limits.MaxHeaderBytes < 4096:
		return "MaxHeaderBytes below 4096"
	case c.LogFormat != "auto" && c.LogFormat != "json" && c.LogFormat != "text":
		return "LogFormat " + c.LogFormat
	case len(c.DefaultRegion) != 2:
		return "DefaultRegion " + c.DefaultRegion
	case c.Dial.Workers < 1 || c.Dial.MaxAttempts < 1 || c.IVR.CodeLength < 3 || c.IVR.Attempts < 1:
		return "a count is below its least"
	case !slices.Contains(handlers.APIAccessModes, c.API.Access):
		return "API access mode " + string(c.API.Access)
	case c.API.Access == handlers.APIKeyRequired && len(c.API.Keys) == 0:
		return "API key mode without keys"
	}
	for _, k := range c.API.Keys {
		if len(k.Secret) < minAPIKeyLen || !validAPIKeySecret(k.Secret) || !risk.ValidFlowName(k.Name) {
			return "API key " + k.Name + " is not a name and a secret"
		}
	}
	return ""
}
