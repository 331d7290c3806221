package main

import "time"

// IVRConfig is how the IVR flows challenge callers.
type IVRConfig struct {
	// CodeLength is the number of digits in a code.
	CodeLength int
	// CodeTTL is how long a code may be keyed in.
	CodeTTL time.Duration
	// Attempts is how many codes a caller may key in for one challenge.
	Attempts int
}

// ivrConfigKeys are the variables of IVRConfig.
func ivrConfigKeys() []configKey {
	return []configKey{
		{
			name: "TOLLGATE_CHALLENGE_DIGITS", def: "4",
			description: "Digits in an IVR challenge code, 3 to 8. All-one-digit codes and straight runs are never issued.",
			parse:       intKey(func(c *Config) *int { return &c.IVR.CodeLength }, 3, 8),
		},
		{
			name: "TOLLGATE_CHALLENGE_TTL", def: "5m",
			description: "How long a caller has to key in a challenge code.",
			parse: func(c *Config, v string) (err error) {
				c.IVR.CodeTTL, err = parseDuration(v, 10*time.Second)
				return err
			},
		},
		{
			name: "TOLLGATE_CHALLENGE_ATTEMPTS", def: "3",
			description: "Codes a caller may key in for one challenge before it fails.",
			parse:       intKey(func(c *Config) *int { return &c.IVR.Attempts }, 1, 10),
		},
	}
}
