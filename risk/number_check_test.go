package risk_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tollgate/tollgate/risk"
)

// Checking numbers is no free probe: a number that cannot be valid counts
// against the address as a request for it would, and a valid one counts
// nothing.
func TestCheckNumberCountsInvalidNumbers(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name, phone string
		counted     bool
	}{
		{"invalid", "+1201555", true},
		{"valid", "+12015550123", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(t, miniStore(t), nil)
			for range 8 {
				err := e.CheckNumber(ctx, usIP, tt.phone, "")
				var ne *risk.NumberError
				if got := errors.As(err, &ne); got != tt.counted {
					t.Fatalf("CheckNumber(%s): %v, want a NumberError: %v", tt.phone, err, tt.counted)
				}
			}
			d, err := e.Evaluate(ctx, risk.Request{Phone: "+12015550188", IP: usIP})
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Has(risk.CodeVelocityIPCritical); got != tt.counted {
				t.Errorf("after 8 checks of %s: %s is %v, want %v (reasons %v)", tt.phone, risk.CodeVelocityIPCritical, got, tt.counted, d.Codes())
			}
		})
	}
}
