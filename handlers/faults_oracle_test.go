package handlers

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/risk"
)

// TestFailAllowRecordFailureHidesHiddenReasons probes fail mode allow as
// an attacker who can make the recording fail (load on the store): a
// request the engine refused for a hidden reason, with nothing against
// it the visitor can see, answers as a clean allowed one does in the same
// failure, whether storing again works or not.
func TestFailAllowRecordFailureHidesHiddenReasons(t *testing.T) {
	notRecorded := fmt.Errorf("%w: connection refused", dispatch.ErrNotRecorded)
	unclear := context.DeadlineExceeded
	for _, first := range []error{notRecorded, unclear} {
		for _, retryWorks := range []bool{true, false} {
			answer := func(action risk.Action) (int, string) {
				t.Helper()
				h := newHarness(t, action, evaluateWith(func(ctx context.Context, req risk.Request) (risk.Decision, error) {
					d := testDecision(action, req)
					d.Visible = risk.Allow // e.g. a deny-listed number with a clean score
					return d, nil
				}), func(h *harness) {
					h.deps.Faults = Faults{Form: FailAllow}
					records := 0
					h.deps.Calls.(*fakeQueue).RecordFunc = func(context.Context, risk.Decision, *dispatch.Call) error {
						if records++; records == 1 || !retryWorks {
							return first
						}
						return nil
					}
				})
				rec := h.postJSON(t, `{"phone":"`+testPhone+`"}`)
				return rec.Code, rec.Body.String()
			}
			cs, cb := answer(risk.Allow)
			bs, bb := answer(risk.Block)
			if cs != bs {
				t.Errorf("first failure %v, retry works %v: clean %d %s, hidden block %d %s; want the same status", errors.Unwrap(first), retryWorks, cs, cb, bs, bb)
			}
		}
	}
}
