package main

// APIConfig is who may call the public API and how host sites vouch for
// their visitors.
type APIConfig struct {
	// CORSOrigins may call the callback API from a browser.
	CORSOrigins []string
	// VisitorTokenSecret verifies visitor tokens; empty believes none.
	VisitorTokenSecret string
}

// apiConfigKeys are the variables of APIConfig.
func apiConfigKeys() []configKey {
	return []configKey{
		{
			name:        "TOLLGATE_CORS_ORIGINS",
			description: "Comma-separated origins (scheme://host[:port]) whose pages may call the callback API from the browser. Empty: same origin only.",
			parse: func(c *Config, v string) (err error) {
				c.API.CORSOrigins, err = parseOrigins(v)
				return err
			},
		},
		{
			name: "TOLLGATE_VISITOR_TOKEN_SECRET", secret: true,
			description: "Shared secret host sites sign visitor tokens with (HMAC-SHA256), marking signed-in visitors as trusted. At least 32 characters. Empty: tokens are not believed.",
			parse:       secretKey(32, func(c *Config) *string { return &c.API.VisitorTokenSecret }),
		},
	}
}
