package contactflows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/risk"
)

var testFlowValues = FlowValues{
	LambdaARN: "arn:aws:lambda:eu-west-2:111111111111:function:tollgate-connect-bridge",
	QueueARN:  "arn:aws:connect:eu-west-2:111111111111:instance/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b/queue/9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789",
	FlowName:  "support-line",
}

// flowDoc is the part of the flow language the tests read.
type flowDoc struct {
	Version     string
	StartAction string
	Metadata    struct {
		ActionMetadata map[string]json.RawMessage
	}
	Actions []flowAction
}

type flowAction struct {
	Identifier  string
	Type        string
	Parameters  map[string]any
	Transitions struct {
		NextAction string
		Errors     []struct{ NextAction, ErrorType string }
		Conditions []struct {
			NextAction string
			Condition  struct {
				Operator string
				Operands []string
			}
		}
	}
}

// targets lists where a can go next, each with the condition (operand) or
// error that leads there; the plain next action has neither.
func (a flowAction) targets() []flowEdge {
	var es []flowEdge
	if a.Transitions.NextAction != "" {
		es = append(es, flowEdge{to: a.Transitions.NextAction})
	}
	for _, c := range a.Transitions.Conditions {
		es = append(es, flowEdge{to: c.NextAction, operands: c.Condition.Operands})
	}
	for _, e := range a.Transitions.Errors {
		es = append(es, flowEdge{to: e.NextAction, errorType: e.ErrorType})
	}
	return es
}

type flowEdge struct {
	to        string
	operands  []string
	errorType string
}

func (d flowDoc) action(id string) (flowAction, bool) {
	for _, a := range d.Actions {
		if a.Identifier == id {
			return a, true
		}
	}
	return flowAction{}, false
}

// reachable returns the identifiers reachable from StartAction without
// entering an action skip reports or taking an edge cut reports.
func (d flowDoc) reachable(skip func(flowAction) bool, cut func(flowAction, flowEdge) bool) map[string]bool {
	seen := map[string]bool{}
	stack := []string{d.StartAction}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		a, ok := d.action(id)
		if !ok || seen[id] || skip != nil && skip(a) {
			continue
		}
		seen[id] = true
		for _, e := range a.targets() {
			if cut == nil || !cut(a, e) {
				stack = append(stack, e.to)
			}
		}
	}
	return seen
}

func (d flowDoc) lambdaParams(a flowAction) map[string]any {
	m, _ := a.Parameters["LambdaInvocationAttributes"].(map[string]any)
	return m
}

// longestCode is the most digits ChallengeOptions.CodeLength allows.
const longestCode = 8

// identifierForbidden holds the characters the flow language does not allow
// in an action Identifier.
const identifierForbidden = `%:(\/)=$,;[]{}`

// checkFlow reports every structural problem of a contact flow.
func checkFlow(d flowDoc) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if d.Version != "2019-10-30" {
		add("Version %q, want 2019-10-30", d.Version)
	}
	ids := map[string]bool{}
	for _, a := range d.Actions {
		if ids[a.Identifier] {
			add("Identifier %q is not unique", a.Identifier)
		}
		ids[a.Identifier] = true
		if a.Identifier == "" || len(a.Identifier) > 50 || strings.ContainsAny(a.Identifier, identifierForbidden) {
			add("Identifier %q is empty, over 50 characters or holds one of %s", a.Identifier, identifierForbidden)
		}
		if _, ok := d.Metadata.ActionMetadata[a.Identifier]; !ok {
			add("%s has no ActionMetadata (no position in the designer)", a.Identifier)
		}
		if a.Type == "DisconnectParticipant" {
			if len(a.targets()) != 0 {
				add("%s: DisconnectParticipant has transitions", a.Identifier)
			}
		} else if a.Transitions.NextAction == "" {
			add("%s (%s) has no NextAction: the flow would stop there", a.Identifier, a.Type)
		}
	}
	for id := range d.Metadata.ActionMetadata {
		if !ids[id] {
			add("ActionMetadata names %q, which is no action", id)
		}
	}
	if !ids[d.StartAction] {
		add("StartAction %q is no action", d.StartAction)
	}
	for _, a := range d.Actions {
		for _, e := range a.targets() {
			if !ids[e.to] {
				add("%s goes to %q, which is no action", a.Identifier, e.to)
			}
		}
	}
	reached := d.reachable(nil, nil)
	for _, a := range d.Actions {
		if !reached[a.Identifier] {
			add("%s cannot be reached from StartAction", a.Identifier)
		}
	}
	return problems
}

func loadFlow(t *testing.T, name string) (flowDoc, []byte) {
	t.Helper()
	raw, err := ContactFlow(name, testFlowValues)
	if err != nil {
		t.Fatalf("ContactFlow(%q): %v", name, err)
	}
	var d flowDoc
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s is not valid JSON after filling: %v", name, err)
	}
	return d, raw
}

func TestContactFlowNames(t *testing.T) {
	got, want := ContactFlowNames(), []string{"deter-spam", "outbound-callback"}
	if !slices.Equal(got, want) {
		t.Errorf("ContactFlowNames() = %v, want %v", got, want)
	}
}

func TestContactFlowStructure(t *testing.T) {
	for _, name := range ContactFlowNames() {
		t.Run(name, func(t *testing.T) {
			d, raw := loadFlow(t, name)
			for _, p := range checkFlow(d) {
				t.Error(p)
			}
			if !json.Valid(raw) {
				t.Error("not valid JSON")
			}
			if i := bytes.Index(raw, []byte("{{")); i >= 0 {
				t.Errorf("placeholder left after filling: %s", raw[i:min(len(raw), i+30)])
			}
		})
	}
}

// TestCheckFlowCatchesBrokenFlows makes sure the structure checks fail
// when they should.
func TestCheckFlowCatchesBrokenFlows(t *testing.T) {
	breakers := map[string]func(*flowDoc){
		"dangling next action": func(d *flowDoc) { d.Actions[0].Transitions.NextAction = "nowhere" },
		"dangling error":       func(d *flowDoc) { d.Actions[0].Transitions.Errors[0].NextAction = "nowhere" },
		"bad start":            func(d *flowDoc) { d.StartAction = "nowhere" },
		"unreachable action": func(d *flowDoc) {
			d.Actions = append(d.Actions, flowAction{Identifier: "orphan", Type: "DisconnectParticipant"})
			d.Metadata.ActionMetadata["orphan"] = json.RawMessage(`{}`)
		},
		"duplicate identifier": func(d *flowDoc) { d.Actions[1].Identifier = d.Actions[0].Identifier },
		"forbidden character":  func(d *flowDoc) { d.Actions = append(d.Actions, flowAction{Identifier: "a:b"}) },
		"no position":          func(d *flowDoc) { delete(d.Metadata.ActionMetadata, d.StartAction) },
	}
	for what, breakIt := range breakers {
		t.Run(what, func(t *testing.T) {
			d, _ := loadFlow(t, "deter-spam")
			meta := map[string]json.RawMessage{}
			for k, v := range d.Metadata.ActionMetadata {
				meta[k] = v
			}
			d.Metadata.ActionMetadata = meta
			breakIt(&d)
			if len(checkFlow(d)) == 0 {
				t.Error("checkFlow found no problem")
			}
		})
	}
}

func TestContactFlowLambdaInvocations(t *testing.T) {
	for _, name := range ContactFlowNames() {
		t.Run(name, func(t *testing.T) {
			d, _ := loadFlow(t, name)
			n := 0
			for _, a := range d.Actions {
				if a.Type != "InvokeLambdaFunction" {
					continue
				}
				n++
				if got := a.Parameters["LambdaFunctionARN"]; got != testFlowValues.LambdaARN {
					t.Errorf("%s: LambdaFunctionARN %v, want %s", a.Identifier, got, testFlowValues.LambdaARN)
				}
				rv, _ := a.Parameters["ResponseValidation"].(map[string]any)
				if rv["ResponseType"] != "STRING_MAP" {
					t.Errorf("%s: ResponseValidation %v, want STRING_MAP", a.Identifier, rv)
				}
				s, _ := a.Parameters["InvocationTimeLimitSeconds"].(string)
				if secs, err := strconv.Atoi(s); err != nil || secs < 1 || secs > 8 {
					t.Errorf("%s: InvocationTimeLimitSeconds %q, want a string of 1 to 8", a.Identifier, s)
				}
				p := d.lambdaParams(a)
				if action, _ := p["action"].(string); !slices.Contains(ConnectActions, action) {
					t.Errorf("%s: action %q, want one of %v", a.Identifier, action, ConnectActions)
				}
				if p["flow"] != testFlowValues.FlowName {
					t.Errorf("%s: flow %v, want %s", a.Identifier, p["flow"], testFlowValues.FlowName)
				}
				for k, v := range p {
					if !slices.Contains(ConnectParameters, k) {
						t.Errorf("%s: parameter %q is not one the Connect endpoint reads (%v)", a.Identifier, k, ConnectParameters)
					}
					if _, ok := v.(string); !ok {
						t.Errorf("%s: parameter %q is %T, want a string", a.Identifier, k, v)
					}
				}
			}
			if n == 0 {
				t.Error("no InvokeLambdaFunction action")
			}
		})
	}
}

var (
	externalRef  = regexp.MustCompile(`\$\.External\.([A-Za-z0-9_]+)`)
	attributeRef = regexp.MustCompile(`\$\.Attributes\.([A-Za-z0-9_]+)`)
)

func TestContactFlowReadsOnlyKnownValues(t *testing.T) {
	for _, name := range ContactFlowNames() {
		t.Run(name, func(t *testing.T) {
			d, raw := loadFlow(t, name)
			for _, m := range externalRef.FindAllSubmatch(raw, -1) {
				if !slices.Contains(ConnectAnswerKeys, string(m[1])) {
					t.Errorf("reads $.External.%s, which the Connect endpoint never answers (%v)", m[1], ConnectAnswerKeys)
				}
			}
			set := map[string]bool{ConnectAttrCallbackID: true} // set by the ConnectDialer
			for _, a := range d.Actions {
				if a.Type == "UpdateContactAttributes" {
					attrs, _ := a.Parameters["Attributes"].(map[string]any)
					for k := range attrs {
						set[k] = true
					}
				}
			}
			for _, m := range attributeRef.FindAllSubmatch(raw, -1) {
				if !set[string(m[1])] {
					t.Errorf("reads $.Attributes.%s, which nothing sets", m[1])
				}
			}
		})
	}
}

// TestContactFlowComparesKnownValues checks every Compare on a Tollgate
// answer against the values Tollgate gives.
func TestContactFlowComparesKnownValues(t *testing.T) {
	known := map[string][]string{
		"$.External.result": {"ok", "error",
			string(VerifyPass), string(VerifyRetry), string(VerifyFail), string(VerifyExpired), string(VerifySpent), string(VerifyUnknown)},
		"$.External.verdict": {string(risk.Pass), string(risk.Challenge), string(risk.Reject)},
	}
	for _, name := range ContactFlowNames() {
		t.Run(name, func(t *testing.T) {
			d, _ := loadFlow(t, name)
			for _, a := range d.Actions {
				if a.Type != "Compare" {
					continue
				}
				v, _ := a.Parameters["ComparisonValue"].(string)
				values, ok := known[v]
				if !ok {
					t.Errorf("%s compares %q, which the test does not know", a.Identifier, v)
					continue
				}
				for _, c := range a.Transitions.Conditions {
					for _, o := range c.Condition.Operands {
						if !slices.Contains(values, o) {
							t.Errorf("%s: %s is never %q", a.Identifier, v, o)
						}
					}
				}
				if !slices.ContainsFunc(a.Transitions.Errors, func(e struct{ NextAction, ErrorType string }) bool {
					return e.ErrorType == "NoMatchingCondition"
				}) {
					t.Errorf("%s has no NoMatchingCondition branch", a.Identifier)
				}
			}
		})
	}
}

func TestContactFlowStoredInput(t *testing.T) {
	for _, name := range ContactFlowNames() {
		t.Run(name, func(t *testing.T) {
			d, _ := loadFlow(t, name)
			n := 0
			for _, a := range d.Actions {
				if a.Type != "GetParticipantInput" {
					continue
				}
				n++
				if a.Parameters["StoreInput"] != "True" {
					t.Errorf("%s: StoreInput %v, want True", a.Identifier, a.Parameters["StoreInput"])
				}
				if _, ok := a.Parameters["InputEncryption"]; ok {
					t.Errorf("%s: input is encrypted; the verify action needs the digits", a.Identifier)
				}
				iv, _ := a.Parameters["InputValidation"].(map[string]any)
				cv, _ := iv["CustomValidation"].(map[string]any)
				s, _ := cv["MaximumLength"].(string)
				if max, err := strconv.Atoi(s); err != nil || max < longestCode {
					t.Errorf("%s: MaximumLength %q, want at least %d, the longest code", a.Identifier, s, longestCode)
				}
				ssml, _ := a.Parameters["SSML"].(string)
				if !strings.HasPrefix(ssml, "<speak>") || !strings.Contains(ssml, `<say-as interpret-as="digits">$.Attributes.`) {
					t.Errorf("%s: SSML does not read the code digit by digit: %s", a.Identifier, ssml)
				}
				if len(a.Transitions.Conditions) != 0 {
					t.Errorf("%s: stored input takes no conditions", a.Identifier)
				}
				for _, e := range a.Transitions.Errors {
					if e.ErrorType != "NoMatchingError" {
						t.Errorf("%s: error %s; stored input has only NoMatchingError", a.Identifier, e.ErrorType)
					}
				}
			}
			if n != 1 {
				t.Errorf("%d input actions, want 1", n)
			}
		})
	}
}

func TestContactFlowValidation(t *testing.T) {
	tests := map[string]func(*FlowValues){
		"lambda missing":       func(v *FlowValues) { v.LambdaARN = "" },
		"lambda is a queue":    func(v *FlowValues) { v.LambdaARN = testFlowValues.QueueARN },
		"lambda with a quote":  func(v *FlowValues) { v.LambdaARN += `"` },
		"lambda bad account":   func(v *FlowValues) { v.LambdaARN = "arn:aws:lambda:eu-west-2:1111:function:f" },
		"lambda as a JSONPath": func(v *FlowValues) { v.LambdaARN = "$.Attributes.fn" },
		"queue missing":        func(v *FlowValues) { v.QueueARN = "" },
		"queue is a flow": func(v *FlowValues) {
			v.QueueARN = strings.Replace(testFlowValues.QueueARN, "/queue/", "/contact-flow/", 1)
		},
		"queue trailing garbage": func(v *FlowValues) { v.QueueARN += `","x":"` },
		"flow missing":           func(v *FlowValues) { v.FlowName = "" },
		"flow with a space":      func(v *FlowValues) { v.FlowName = "support line" },
		"flow too long":          func(v *FlowValues) { v.FlowName = strings.Repeat("a", 65) },
		"flow with a brace":      func(v *FlowValues) { v.FlowName = "{{QUEUE_ARN}}" },
	}
	for what, change := range tests {
		t.Run(what, func(t *testing.T) {
			v := testFlowValues
			change(&v)
			if _, err := ContactFlow("deter-spam", v); err == nil {
				t.Errorf("ContactFlow accepted %+v", v)
			}
		})
	}
	good := map[string]func(*FlowValues){
		"lambda alias":   func(v *FlowValues) { v.LambdaARN += ":live" },
		"gov partition":  func(v *FlowValues) { v.LambdaARN = "arn:aws-us-gov:lambda:us-gov-west-1:111111111111:function:f" },
		"flow with dots": func(v *FlowValues) { v.FlowName = "shop.support_2-en" },
	}
	for what, change := range good {
		t.Run(what, func(t *testing.T) {
			v := testFlowValues
			change(&v)
			if _, err := ContactFlow("outbound-callback", v); err != nil {
				t.Errorf("ContactFlow: %v", err)
			}
		})
	}
	if _, err := ContactFlow("../flows/deter-spam", testFlowValues); !errors.Is(err, ErrUnknownFlow) {
		t.Errorf("ContactFlow of an unknown name: %v, want ErrUnknownFlow", err)
	}
}
