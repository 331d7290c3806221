package contactflows

import (
	"fmt"
	"slices"
	"testing"
)

// isLambdaAction reports whether a invokes the Lambda with action.
func isLambdaAction(d flowDoc, a flowAction, action string) bool {
	return a.Type == "InvokeLambdaFunction" && d.lambdaParams(a)["action"] == action
}

// TestDeterSpamFailsClosedToTheChallenge follows every way the screening
// can fail (the Lambda invocation fails, Tollgate or the bridge answers
// result error, a verdict the flow does not know): each goes to the
// challenge, by an issue, and no way reaches the queue without the pass
// verdict or a passed code.
func TestDeterSpamFailsClosedToTheChallenge(t *testing.T) {
	d, _ := loadFlow(t, "deter-spam")
	start, _ := d.action(d.StartAction)
	if !isLambdaAction(d, start, "screen") {
		t.Fatalf("StartAction %s does not screen the caller", start.Identifier)
	}
	issues := func(id string) bool {
		a, _ := d.action(id)
		return isLambdaAction(d, a, "issue")
	}
	for _, e := range start.Transitions.Errors {
		if !issues(e.NextAction) {
			t.Errorf("a failed screen invocation (%s) goes to %s, not to a code", e.ErrorType, e.NextAction)
		}
	}
	check, _ := d.action(start.Transitions.NextAction)
	found := false
	for _, c := range check.Transitions.Conditions {
		if slices.Contains(c.Condition.Operands, "error") {
			found = true
			if !issues(c.NextAction) {
				t.Errorf("result error goes to %s, not to a code", c.NextAction)
			}
		}
	}
	if !found {
		t.Errorf("%s does not branch on result error", check.Identifier)
	}

	// Cut the pass verdict and the passed code: nothing else may queue.
	cutPasses := func(a flowAction, e flowEdge) bool {
		cv, _ := a.Parameters["ComparisonValue"].(string)
		return cv == "$.External.verdict" && slices.Contains(e.operands, "pass") ||
			cv == "$.External.result" && slices.Contains(e.operands, string(VerifyPass))
	}
	reached := d.reachable(nil, cutPasses)
	for id := range reached {
		if a, _ := d.action(id); a.Type == "UpdateContactTargetQueue" || a.Type == "TransferContactToQueue" {
			t.Errorf("%s (%s) is reachable without the pass verdict or a passed code", id, a.Type)
		}
	}
	if !reached["save-challenge"] {
		t.Error("the challenge cannot be reached")
	}
}

func TestContactFlowQueueOnlyAfterPassOrOutage(t *testing.T) {
	for _, name := range ContactFlowNames() {
		t.Run(name, func(t *testing.T) {
			d, _ := loadFlow(t, name)
			// Without the verify pass, a caller who was challenged never reaches the queue.
			cutPass := func(a flowAction, e flowEdge) bool {
				cv, _ := a.Parameters["ComparisonValue"].(string)
				return cv == "$.External.result" && slices.Contains(e.operands, string(VerifyPass))
			}
			if name == "deter-spam" {
				// Its queue is reached before a challenge too: start from the challenge.
				d.StartAction = "save-challenge"
			}
			for id := range d.reachable(nil, cutPass) {
				if a, _ := d.action(id); a.Type == "TransferContactToQueue" {
					t.Errorf("%s is reachable without passing the challenge", id)
				}
			}
		})
	}
}

func TestOutboundCallbackCompletesOnEveryEnd(t *testing.T) {
	d, _ := loadFlow(t, "outbound-callback")
	for _, a := range d.Actions {
		if isLambdaAction(d, a, "screen") {
			t.Errorf("%s screens the person called", a.Identifier)
		}
		if isLambdaAction(d, a, "complete") {
			p := d.lambdaParams(a)
			if p["callback_id"] != "$.Attributes."+ConnectAttrCallbackID {
				t.Errorf("%s: callback_id %v, want $.Attributes.%s", a.Identifier, p["callback_id"], ConnectAttrCallbackID)
			}
			if !slices.Contains(Outcomes, fmt.Sprint(p["outcome"])) {
				t.Errorf("%s: outcome %v, want one of %v", a.Identifier, p["outcome"], Outcomes)
			}
		}
	}
	start, _ := d.action(d.StartAction)
	if !isLambdaAction(d, start, "issue") {
		t.Errorf("StartAction %s does not issue a code", start.Identifier)
	}
	skipComplete := func(a flowAction) bool { return isLambdaAction(d, a, "complete") }
	for id := range d.reachable(skipComplete, nil) {
		a, _ := d.action(id)
		if a.Type == "DisconnectParticipant" || a.Type == "TransferContactToQueue" {
			t.Errorf("%s (%s) is reachable without completing the callback", id, a.Type)
		}
	}
}
