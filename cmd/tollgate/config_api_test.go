package main

import (
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/handlers"
)

// Site keys' secrets, as openssl rand -hex 16 and -base64 32 give them.
const (
	testKeyA = "0123456789abcdef0123456789abcdef"
	testKeyB = "q83vEjRWeJ2rze7/ASNFZ4mrze8BI0VniavN7wEjRWc="
)

func TestLoadAPIConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want APIConfig
	}{
		{"defaults", nil, APIConfig{Access: handlers.APIOpen}},
		{
			"keys turn key mode on",
			map[string]string{"TOLLGATE_API_KEYS": "site-a=" + testKeyA},
			APIConfig{Access: handlers.APIKeyRequired, Keys: []handlers.APIKeyConfig{{Name: "site-a", Secret: testKeyA}}},
		},
		{
			"rotation, flows, spaces, a trailing separator",
			map[string]string{"TOLLGATE_API_KEYS": " site-a=" + testKeyA + " ; shop.v2=" + testKeyB + ":sales, support_2 ;"},
			APIConfig{Access: handlers.APIKeyRequired, Keys: []handlers.APIKeyConfig{
				{Name: "site-a", Secret: testKeyA},
				{Name: "shop.v2", Secret: testKeyB, Flows: []string{"sales", "support_2"}},
			}},
		},
		{
			"one key a line",
			map[string]string{"TOLLGATE_API_KEYS": "site-a=" + testKeyA + "\r\nsite-b=" + testKeyB + "\n"},
			APIConfig{Access: handlers.APIKeyRequired, Keys: []handlers.APIKeyConfig{
				{Name: "site-a", Secret: testKeyA}, {Name: "site-b", Secret: testKeyB},
			}},
		},
		{
			"keys set while the sites move to them",
			map[string]string{"TOLLGATE_API_KEYS": "site-a=" + testKeyA, "TOLLGATE_API_ACCESS": "open"},
			APIConfig{Access: handlers.APIOpen, Keys: []handlers.APIKeyConfig{{Name: "site-a", Secret: testKeyA}}},
		},
		{
			"visitor tokens",
			map[string]string{"TOLLGATE_API_ACCESS": "Visitor-Token", "TOLLGATE_VISITOR_TOKEN_SECRET": testKeyA},
			APIConfig{Access: handlers.APIVisitorToken, VisitorTokenSecret: testKeyA},
		},
		{"off", map[string]string{"TOLLGATE_API_ACCESS": "off"}, APIConfig{Access: handlers.APIOff}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(envOf(tt.env))
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			if got := c.API; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLoadAPIConfigKeysFile(t *testing.T) {
	c, err := LoadConfig(envOf(map[string]string{"TOLLGATE_API_KEYS_FILE": writeFile(t, "site-a="+testKeyA+"\nsite-b="+testKeyB+":sales\n")}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	want := []handlers.APIKeyConfig{{Name: "site-a", Secret: testKeyA}, {Name: "site-b", Secret: testKeyB, Flows: []string{"sales"}}}
	if got := c.API.Keys; !reflect.DeepEqual(got, want) {
		t.Errorf("got keys %v, want %v", got, want)
	}
	_, err = LoadConfig(envOf(map[string]string{"TOLLGATE_API_KEYS_FILE": writeFile(t, "site-a=short\n")}))
	if got, want := errString(err), "TOLLGATE_API_KEYS (read from TOLLGATE_API_KEYS_FILE): key \"site-a\": the secret is too short"; !strings.Contains(got, want) {
		t.Errorf("got error %q, want it to contain %q", got, want)
	}
}

// errString is err's message, or "" for nil.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Every problem of TOLLGATE_API_KEYS is in the one error, each saying how
// to fix it, and no secret is.
func TestLoadAPIConfigBadKeys(t *testing.T) {
	value := strings.Join([]string{
		testKeyA,                              // a secret without a name
		testKeyB,                              // one whose padding looks like a name=
		"=" + testKeyA,                        // an empty name
		"site a=" + testKeyA,                  // a name with a space
		"site-b=" + testKeyA[:31],             // too short
		"site-c=" + testKeyA + "#",            // a character no secret has
		"site-d=" + testKeyB,                  // fine
		"site-d=" + testKeyA,                  // the name again
		"site-e=" + testKeyB,                  // the secret again
		"site-f=" + testKeyA + "x:sales,,a b", // an empty flow, a flow with a space
		"site-g=" + testKeyA + "y:sales,z=" + testKeyB, // keys separated by ,
		"site-h=" + testKeyA + "z:",                    // no flow after the :
	}, ";")
	_, err := LoadConfig(envOf(map[string]string{"TOLLGATE_API_KEYS": value}))
	if err == nil {
		t.Fatal("got no error")
	}
	got := err.Error()
	if strings.Count(got, "\n") != 0 || !strings.HasPrefix(got, "TOLLGATE_API_KEYS: ") {
		t.Errorf("got error %q, want one line starting with the variable", got)
	}
	for _, want := range []string{
		"entry 1 has no '=' (write name=secret)",
		"entry 2 has no name or no secret (write name=secret)",
		"entry 3 has no name or no secret (write name=secret)",
		"the name of entry 4 is not 1 to 64 letters, digits, '.', '_' or '-'",
		`key "site-b": the secret is too short (use at least 32 random characters`,
		`key "site-c": the secret may hold only letters, digits and - _ . ~ + / =`,
		`key "site-d" is named twice (give each key its own name)`,
		`keys "site-d" and "site-e" have the same secret (give each its own)`,
		`key "site-f": flow 2 is not 1 to 64 letters`,
		`key "site-f": flow "a b" is not 1 to 64 letters`,
		`key "site-g": flow 2 is not 1 to 64 letters, digits, '.', '_' or '-' (separate keys with ';', not ',')`,
		`key "site-h": flow 1 is not`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("got error %q, want it to contain %q", got, want)
		}
	}
	for _, secret := range []string{testKeyA[:31], testKeyB, "z=" + testKeyB} {
		if strings.Contains(got, secret) {
			t.Errorf("got error %q, which shows the secret %q", got, secret)
		}
	}
}

// A mode that cannot work is an error at start, with every other one.
func TestLoadAPIConfigModeNeeds(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"TOLLGATE_API_ACCESS": "key"}, "TOLLGATE_API_ACCESS=key needs at least one key in TOLLGATE_API_KEYS (name=secret)"},
		{map[string]string{"TOLLGATE_API_ACCESS": "visitor-token"}, "TOLLGATE_API_ACCESS=visitor-token needs TOLLGATE_VISITOR_TOKEN_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.env["TOLLGATE_API_ACCESS"], func(t *testing.T) {
			env := maps.Clone(tt.env)
			env["TOLLGATE_ADMIN_USER"] = "ann" // without its password: reported too
			_, err := LoadConfig(envOf(env))
			for _, want := range []string{tt.want, "TOLLGATE_ADMIN_USER and TOLLGATE_ADMIN_PASSWORD go together"} {
				if got := errString(err); !strings.Contains(got, want) {
					t.Errorf("got error %q, want it to contain %q", got, want)
				}
			}
		})
	}
}

func TestAPIConfigWarnings(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string // substrings, one per API warning, in order
	}{
		{"open by default", nil, []string{"TOLLGATE_API_ACCESS=open: anyone may call POST /api/v1/callbacks"}},
		{"open, asked for", map[string]string{"TOLLGATE_API_ACCESS": "open"}, []string{"TOLLGATE_API_ACCESS=open"}},
		{"keys", map[string]string{"TOLLGATE_API_KEYS": "site-a=" + testKeyA}, nil},
		{"visitor tokens", map[string]string{"TOLLGATE_API_ACCESS": "visitor-token", "TOLLGATE_VISITOR_TOKEN_SECRET": testKeyA}, nil},
		{"off", map[string]string{"TOLLGATE_API_ACCESS": "off"}, nil},
		{
			"keys not asked for yet",
			map[string]string{"TOLLGATE_API_KEYS": "site-a=" + testKeyA, "TOLLGATE_API_ACCESS": "open"},
			[]string{"TOLLGATE_API_ACCESS=open", "TOLLGATE_API_KEYS is set but TOLLGATE_API_ACCESS is open: no key is asked for"},
		},
		{
			"keys in browsers",
			map[string]string{"TOLLGATE_API_KEYS": "site-a=" + testKeyA, "TOLLGATE_CORS_ORIGINS": "https://www.example.com"},
			[]string{"TOLLGATE_CORS_ORIGINS is set with TOLLGATE_API_ACCESS=key"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(envOf(tt.env))
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			got := c.apiWarnings()
			if len(got) != len(tt.want) {
				t.Fatalf("got warnings %q, want %d of them containing %q", got, len(tt.want), tt.want)
			}
			for i, want := range tt.want {
				if !strings.Contains(got[i], want) {
					t.Errorf("got warning %q, want it to contain %q", got[i], want)
				}
			}
			for _, w := range c.Warnings() {
				if strings.Contains(w, testKeyA) {
					t.Errorf("got warning %q, which shows a key's secret", w)
				}
			}
		})
	}
}

func TestAPIConfigAccess(t *testing.T) {
	keys := []handlers.APIKeyConfig{{Name: "site-a", Secret: testKeyA, Flows: []string{"sales"}}}
	c := APIConfig{Access: handlers.APIKeyRequired, Keys: keys}
	if got, want := c.access(), (handlers.APIAccess{Mode: handlers.APIKeyRequired, Keys: keys}); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got, want := c.keyNames(), []string{"site-a"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got key names %q, want %q", got, want)
	}
}
