package contactflows

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/tollgate/tollgate/risk"
)

// flowFiles holds the Amazon Connect contact flows, in the flow language
// the flow designer's "Import flow" reads, with {{...}} placeholders.
//
//go:embed flows/*.json
var flowFiles embed.FS

// ConnectParameters lists the Lambda parameters (Details.Parameters) the
// Connect flow endpoint reads: action says what to do, the others carry
// its input. A flow passing any other key is wrong.
var ConnectParameters = []string{"action", "flow", "challenge_id", "digits", "callback_id", "outcome"}

// ConnectActions lists the values of the action parameter the Connect
// flow endpoint answers.
var ConnectActions = []string{"screen", "issue", "verify", "complete"}

// ConnectAnswerKeys lists the keys the Connect flow endpoint may answer,
// which a flow reads as $.External.<key>.
var ConnectAnswerKeys = []string{"result", "verdict", "challenge_id", "code", "attempts", "attempts_left", "reason"}

// Placeholders in the embedded flows, replaced by ContactFlow.
const (
	placeholderLambdaARN = "{{LAMBDA_ARN}}"
	placeholderQueueARN  = "{{QUEUE_ARN}}"
	placeholderFlowName  = "{{FLOW_NAME}}"
)

var (
	// lambdaARN matches an unqualified or qualified (version or alias)
	// Lambda function ARN.
	lambdaARN = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:lambda:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_-]{1,128})?$`)
	// queueARN matches an Amazon Connect queue ARN.
	queueARN = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:connect:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:instance/[A-Za-z0-9-]{1,100}/queue/[A-Za-z0-9-]{1,100}$`)
)

// Attribute keys the dispatcher's ConnectDialer sets on every contact and
// the contact flows read; they replace keys of the same name in the
// call's own attributes.
const (
	// ConnectAttrCallbackID holds the callback's id, which the contact flow reports
	// the call's end against.
	ConnectAttrCallbackID = "callback_id"
	// ConnectAttrName holds the visitor's name when it is not empty.
	ConnectAttrName = "name"
)

// FlowValues fills the placeholders of an embedded contact flow.
type FlowValues struct {
	// LambdaARN is the ARN of the deployed cmd/connect-bridge, such as
	// arn:aws:lambda:eu-west-2:111111111111:function:tollgate-connect-bridge.
	LambdaARN string
	// QueueARN is the ARN of the queue a caller who gets through is put in,
	// such as arn:aws:connect:eu-west-2:111111111111:instance/<id>/queue/<id>.
	QueueARN string
	// FlowName is the flow Tollgate counts the calls under (the Lambda's
	// flow parameter): 1 to 64 letters, digits, '.', '_' and '-'.
	FlowName string
}

// validate reports every malformed value, each saying how to fix it.
func (v FlowValues) validate() error {
	var errs []error
	if !lambdaARN.MatchString(v.LambdaARN) {
		errs = append(errs, fmt.Errorf("LambdaARN %q is not a Lambda function ARN: want arn:aws:lambda:<region>:<account>:function:<name>", v.LambdaARN))
	}
	if !queueARN.MatchString(v.QueueARN) {
		errs = append(errs, fmt.Errorf("QueueARN %q is not an Amazon Connect queue ARN: want arn:aws:connect:<region>:<account>:instance/<instance-id>/queue/<queue-id>", v.QueueARN))
	}
	if !risk.ValidFlowName(v.FlowName) {
		errs = append(errs, fmt.Errorf("FlowName %q must be 1 to %d letters, digits, '.', '_' and '-', and not '.' or '..'", v.FlowName, risk.MaxFlowNameLen))
	}
	return errors.Join(errs...)
}

// ErrUnknownFlow is returned by ContactFlow for a name ContactFlowNames
// does not list.
var ErrUnknownFlow = errors.New("contactflows: no contact flow has this name")

// ContactFlowNames lists the embedded contact flows, sorted: deter-spam
// (inbound: screen the caller, challenge the doubtful) and
// outbound-callback (the flow StartOutboundVoiceContact runs: challenge the
// person called, then report the call's end).
func ContactFlowNames() []string {
	entries, err := fs.ReadDir(flowFiles, "flows")
	if err != nil {
		panic(err) // the embedded directory always exists
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	slices.Sort(names)
	return names
}

// ContactFlow returns the contact flow name, ready for the flow designer's
// "Import flow", with v's values in place of its placeholders. Each value
// is validated first and written JSON-string-escaped. It returns
// ErrUnknownFlow for a name ContactFlowNames does not list.
func ContactFlow(name string, v FlowValues) ([]byte, error) {
	if !slices.Contains(ContactFlowNames(), name) {
		return nil, fmt.Errorf("%w: %q", ErrUnknownFlow, name)
	}
	if err := v.validate(); err != nil {
		return nil, fmt.Errorf("contactflows: contact flow %s:\n%w", name, err)
	}
	raw, err := flowFiles.ReadFile(path.Join("flows", name+".json"))
	if err != nil {
		return nil, fmt.Errorf("contactflows: contact flow %s: %w", name, err)
	}
	r := strings.NewReplacer(
		placeholderLambdaARN, jsonStringContent(v.LambdaARN),
		placeholderQueueARN, jsonStringContent(v.QueueARN),
		placeholderFlowName, jsonStringContent(v.FlowName),
	)
	return []byte(r.Replace(string(raw))), nil
}

// jsonStringContent returns s escaped for the inside of a JSON string.
func jsonStringContent(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b[1 : len(b)-1])
}
