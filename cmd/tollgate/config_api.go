package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tollgate/tollgate/handlers"
	"github.com/tollgate/tollgate/risk"
)

// APIConfig is who may call the public API and how host sites vouch for
// their visitors.
type APIConfig struct {
	// CORSOrigins may call the callback API from a browser.
	CORSOrigins []string
	// VisitorTokenSecret verifies visitor tokens; empty believes none.
	VisitorTokenSecret string
	// Keys are the site keys the key access mode accepts. Their secrets
	// are secret: never log them.
	Keys []handlers.APIKeyConfig
	// Access is who may call the callback API.
	Access handlers.APIAccessMode
}

// minAPIKeyLen is the shortest secret of a site key.
const minAPIKeyLen = 32

// apiConfigKeys are the variables of APIConfig. TOLLGATE_API_ACCESS's
// default depends on TOLLGATE_API_KEYS, so it comes after it.
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
		{
			name: "TOLLGATE_API_KEYS", secret: true,
			description: "Keys of the sites' servers that may call the callback API when TOLLGATE_API_ACCESS is key; a site sends its secret as a bearer token (Authorization: Bearer ...). " +
				"Entries separated by ; (or new lines), each name=secret or name=secret:flow,flow. The name (letters, digits, '.', '_', '-') is what logs show; " +
				"the secret is at least 32 letters, digits or - _ . ~ + / = characters, e.g. from openssl rand -hex 32; the flows, if given, are the only ones the key is for. " +
				"To rotate a key: add a new entry, move the site to it, remove the old one.",
			parse: func(c *Config, v string) (err error) {
				c.API.Keys, err = parseAPIKeys(v)
				return err
			},
		},
		{
			name: "TOLLGATE_API_ACCESS", defaultDoc: "key with TOLLGATE_API_KEYS, else open",
			description: "Who may call POST /api/v1/callbacks, which lacks the form's bot checks: " +
				"open (anyone: the weakest, warned about at start; the default without keys so that existing integrations keep working), " +
				"key (a site's server sending one of TOLLGATE_API_KEYS; else 401), " +
				"visitor-token (requests carrying a valid visitor_token; needs TOLLGATE_VISITOR_TOKEN_SECRET; else 401) " +
				"or off (404, as if the API did not exist). The form is the same in every mode.",
			parse: func(c *Config, v string) error {
				if v == "" {
					c.API.Access = handlers.APIOpen
					if len(c.API.Keys) > 0 {
						c.API.Access = handlers.APIKeyRequired
					}
					return nil
				}
				m := handlers.APIAccessMode(strings.ToLower(strings.TrimSpace(v)))
				if !slices.Contains(handlers.APIAccessModes, m) {
					return fmt.Errorf("%q is not an access mode; use open, key, visitor-token or off", v)
				}
				c.API.Access = m
				return nil
			},
		},
	}
}

// parseAPIKeys parses TOLLGATE_API_KEYS: entries separated by ';' or new
// lines, each name=secret[:flow,flow...]. A secret holds no ':', ';', ','
// or space, and a name or flow no '=', so the separators are unambiguous.
// Messages name a key by its name, or by its place when the name is not
// valid (it may be a secret pasted without one), and never show a secret.
func parseAPIKeys(v string) ([]handlers.APIKeyConfig, error) {
	var keys []handlers.APIKeyConfig
	var problems []string
	bySecret := map[string]string{}
	byName := map[string]bool{}
	n := 0
	for entry := range strings.FieldsFuncSeq(v, func(r rune) bool { return r == ';' || r == '\n' || r == '\r' }) {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		n++
		name, rest, ok := strings.Cut(entry, "=")
		name = strings.TrimSpace(name)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("entry %d has no '=' (write name=secret)", n))
			continue
		case name == "" || strings.Trim(rest, "=") == "":
			problems = append(problems, fmt.Sprintf("entry %d has no name or no secret (write name=secret)", n))
			continue
		case !risk.ValidFlowName(name):
			problems = append(problems, fmt.Sprintf("the name of entry %d is not 1 to %d letters, digits, '.', '_' or '-'", n, risk.MaxFlowNameLen))
			continue
		}
		label := fmt.Sprintf("key %q", name)
		if byName[name] {
			problems = append(problems, fmt.Sprintf("%s is named twice (give each key its own name)", label))
		}
		byName[name] = true

		secret, flowList, hasFlows := strings.Cut(rest, ":")
		secret = strings.TrimSpace(secret)
		switch {
		case !validAPIKeySecret(secret):
			problems = append(problems, fmt.Sprintf("%s: the secret may hold only letters, digits and - _ . ~ + / = "+
				"(separate keys with ';', and a key's flows with ',' after a ':')", label))
		case len(secret) < minAPIKeyLen:
			problems = append(problems, fmt.Sprintf("%s: the secret is too short (use at least %d random characters, e.g. from openssl rand -hex 32)",
				label, minAPIKeyLen))
		case bySecret[secret] != "":
			problems = append(problems, fmt.Sprintf("keys %q and %q have the same secret (give each its own)", bySecret[secret], name))
		default:
			bySecret[secret] = name
		}

		var flows []string
		if hasFlows {
			for i, f := range strings.Split(flowList, ",") {
				f = strings.TrimSpace(f)
				if risk.ValidFlowName(f) {
					flows = append(flows, f)
					continue
				}
				what := fmt.Sprintf("flow %d", i+1)
				if f != "" && len(f) < minAPIKeyLen && !strings.Contains(f, "=") {
					what = fmt.Sprintf("flow %q", f)
				}
				problems = append(problems, fmt.Sprintf("%s: %s is not 1 to %d letters, digits, '.', '_' or '-' (separate keys with ';', not ',')",
					label, what, risk.MaxFlowNameLen))
			}
		}
		keys = append(keys, handlers.APIKeyConfig{Name: name, Secret: secret, Flows: flows})
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return keys, nil
}

// validAPIKeySecret reports whether s holds only the characters a secret
// may: those of hex, base64 and base64url, and '.' and '~'.
func validAPIKeySecret(s string) bool {
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.~+/=", r)
		if !ok {
			return false
		}
	}
	return true
}

// validate checks the API keys against each other.
func (a APIConfig) validate() []error {
	var errs []error
	switch {
	case a.Access == handlers.APIKeyRequired && len(a.Keys) == 0:
		errs = append(errs, errors.New("TOLLGATE_API_ACCESS=key needs at least one key in TOLLGATE_API_KEYS (name=secret); "+
			"add one, or choose another access mode"))
	case a.Access == handlers.APIVisitorToken && a.VisitorTokenSecret == "":
		errs = append(errs, errors.New("TOLLGATE_API_ACCESS=visitor-token needs TOLLGATE_VISITOR_TOKEN_SECRET, the secret host sites sign visitor tokens with; "+
			"set it, or choose another access mode"))
	}
	return errs
}

// apiWarnings are the API settings' problems that do not stop Tollgate.
func (c Config) apiWarnings() []string {
	var w []string
	if c.API.Access == handlers.APIOpen {
		w = append(w, "TOLLGATE_API_ACCESS=open: anyone may call POST /api/v1/callbacks, with no key and none of the bot checks of the form; "+
			"set TOLLGATE_API_ACCESS=key with TOLLGATE_API_KEYS when sites call it from their servers, visitor-token when they sign visitors in, or off")
	}
	if len(c.API.Keys) > 0 && c.API.Access != handlers.APIKeyRequired {
		w = append(w, fmt.Sprintf("TOLLGATE_API_KEYS is set but TOLLGATE_API_ACCESS is %s: no key is asked for; "+
			"set TOLLGATE_API_ACCESS=key once every site sends its key", c.API.Access))
	}
	if c.API.Access == handlers.APIKeyRequired && len(c.API.CORSOrigins) > 0 {
		w = append(w, "TOLLGATE_CORS_ORIGINS is set with TOLLGATE_API_ACCESS=key: a key sent from visitors' browsers can be read by anyone who opens the page; "+
			"call the API from the site's server, or use visitor-token")
	}
	return w
}

// access is the handlers' API access.
func (a APIConfig) access() handlers.APIAccess {
	return handlers.APIAccess{Mode: a.Access, Keys: a.Keys}
}

// keyNames are the names of the site keys, for the log: never their
// secrets.
func (a APIConfig) keyNames() []string {
	names := make([]string, len(a.Keys))
	for i, k := range a.Keys {
		names[i] = k.Name
	}
	return names
}
