package handlers

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/handlers/ivr"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/web"
)

// apiDoc is the part of the OpenAPI document the tests read.
type apiDoc struct {
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
			Required   []string                   `json:"required"`
		} `json:"schemas"`
	} `json:"components"`
}

func loadAPIDoc(t *testing.T) apiDoc {
	t.Helper()
	var doc apiDoc
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc
}

// TestOpenAPIMatchesRoutes checks that every /api/ route the server answers
// is documented, and that nothing documented is missing from the server.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadAPIDoc(t)
	var served []string
	for _, r := range newHarness(t, "").e.Routes() {
		if strings.HasPrefix(r.Path, "/api/") && r.Method != http.MethodOptions {
			served = append(served, strings.ToLower(r.Method)+" "+regexp.MustCompile(`:(\w+)`).ReplaceAllString(r.Path, "{$1}"))
		}
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(served)
	slices.Sort(documented)
	if !slices.Equal(served, documented) {
		t.Errorf("served API routes %v, documented %v", served, documented)
	}
}

// jsonFields lists the JSON names of a struct's fields.
func jsonFields(v any) []string {
	var names []string
	rt := reflect.TypeOf(v)
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// TestOpenAPISchemasMatchTypes checks each documented body against the Go
// type the server reads or writes.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	doc := loadAPIDoc(t)
	for schema, v := range map[string]any{
		"CallbackRequest":  callbackRequest{},
		"Accepted":         acceptedResponse{},
		"Deflected":        deflectedResponse{},
		"Channels":         web.Channels{},
		"CallEnd":          ivr.CallEndRequest{},
		"Ended":            ivr.EndedResponse{},
		"Error":            respond.ErrorResponse{},
		"ChallengeRequest": ivr.ChallengeRequest{},
		"Screening":        ivr.ChallengeResponse{},
		"VerifyRequest":    ivr.VerifyRequest{},
		"Verification":     ivr.VerifyResponse{},
		"IVRStats":         ivr.StatsResponse{},
	} {
		s, ok := doc.Components.Schemas[schema]
		if !ok {
			t.Errorf("schema %s is not documented", schema)
			continue
		}
		var got []string
		for name := range s.Properties {
			got = append(got, name)
		}
		slices.Sort(got)
		if want := jsonFields(v); !slices.Equal(got, want) {
			t.Errorf("schema %s documents %v, the server uses %v", schema, got, want)
		}
	}
	var body struct {
		Properties map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"properties"`
	}
	raw, _ := json.Marshal(doc.Components.Schemas["Error"])
	json.Unmarshal(raw, &body)
	var got []string
	for name := range body.Properties["error"].Properties {
		got = append(got, name)
	}
	slices.Sort(got)
	if want := jsonFields(respond.ErrorBody{}); !slices.Equal(got, want) {
		t.Errorf("error body documents %v, the server sends %v", got, want)
	}
}

// TestOpenAPIExampleIsAccepted posts the documented example and checks the
// documented answer comes back.
func TestOpenAPIExampleIsAccepted(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct {
					Example json.RawMessage `json:"example"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	example := doc.Paths["/api/v1/callbacks"]["post"].RequestBody.Content["application/json"].Example
	rec := newHarness(t, "allow").postJSON(t, string(example))
	if rec.Code != http.StatusAccepted {
		t.Fatalf("example %s answered %d: %s", example, rec.Code, rec.Body)
	}
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got["status"] != "accepted" || got["id"] == "" {
		t.Errorf("answer %s does not match the Accepted schema", rec.Body)
	}
}

func TestOpenAPIServed(t *testing.T) {
	rec := newHarness(t, "").do(t, request{method: http.MethodGet, path: "/api/v1/openapi.json"})
	if rec.Code != http.StatusOK || !json.Valid(rec.Body.Bytes()) || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("GET /api/v1/openapi.json = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}

// TestOpenAPIDocumentsAPIAccess checks that the callback API documents its
// access modes: the site key's bearer scheme, anonymous calls for the
// other modes, the 401 of a refused key or visitor token and the 404 of
// the off mode.
func TestOpenAPIDocumentsAPIAccess(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Description string                     `json:"description"`
			Security    []map[string][]string      `json:"security"`
			Responses   map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
		Components struct {
			SecuritySchemes map[string]struct {
				Type   string `json:"type"`
				Scheme string `json:"scheme"`
			} `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	op := doc.Paths["/api/v1/callbacks"]["post"]
	for _, status := range []string{"401", "404"} {
		if _, ok := op.Responses[status]; !ok {
			t.Errorf("POST /api/v1/callbacks documents no %s response", status)
		}
	}
	anonymous := slices.ContainsFunc(op.Security, func(r map[string][]string) bool { return len(r) == 0 })
	keyed := slices.ContainsFunc(op.Security, func(r map[string][]string) bool { _, ok := r["siteKey"]; return ok })
	if !anonymous || !keyed {
		t.Errorf("POST /api/v1/callbacks security = %v, want {} (open, visitor-token) and siteKey (key)", op.Security)
	}
	if got, want := doc.Components.SecuritySchemes["siteKey"], "http bearer"; got.Type+" "+got.Scheme != want {
		t.Errorf("siteKey scheme = %s %s, want %s, as requireAPIAccess reads Authorization: Bearer", got.Type, got.Scheme, want)
	}
	for _, word := range []string{respond.CodeInvalidAPIKey, respond.CodeInvalidVisitorToken, "TOLLGATE_API_ACCESS", "TOLLGATE_API_KEYS"} {
		if !strings.Contains(op.Description, word) {
			t.Errorf("POST /api/v1/callbacks description does not mention %s", word)
		}
	}
	for _, mode := range APIAccessModes {
		if !strings.Contains(op.Description, string(mode)+" (") {
			t.Errorf("POST /api/v1/callbacks description does not explain the %s mode", mode)
		}
	}
	for path, ops := range doc.Paths {
		for method, o := range ops {
			for _, req := range o.Security {
				for name := range req {
					if _, ok := doc.Components.SecuritySchemes[name]; !ok {
						t.Errorf("%s %s names the undefined security scheme %s", method, path, name)
					}
				}
			}
		}
	}
}
