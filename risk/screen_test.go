package risk_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

func TestScreenCallerMiniredis(t *testing.T) { screenSuite(t, miniStore) }

// TestScreenCallerRedis runs the suite on a redis-server and on a Redis
// Cluster.
func TestScreenCallerRedis(t *testing.T) {
	redistest.Each(t, func(t *testing.T, c redis.UniversalClient) {
		screenSuite(t, func(t *testing.T) redis.UniversalClient { redistest.Flush(t, c); return c })
	})
}

func screen(t *testing.T, e *risk.Engine, req risk.CallerRequest) risk.Screening {
	t.Helper()
	s, err := e.ScreenCaller(context.Background(), req)
	if err != nil {
		t.Fatalf("ScreenCaller(%+v): %v", req, err)
	}
	return s
}

func wantVerdict(t *testing.T, s risk.Screening, want risk.Verdict, codes ...string) {
	t.Helper()
	if s.Verdict != want {
		t.Errorf("verdict: got %s, want %s (score %d, reasons %+v)", s.Verdict, want, s.Score, s.Reasons)
	}
	for _, c := range codes {
		if !s.Has(c) {
			t.Errorf("reasons: got %+v, want %s among them", s.Reasons, c)
		}
	}
}

func screenSuite(t *testing.T, st store) {
	ctx := context.Background()
	const caller = "+12015550190"
	t.Run("a clean caller is challenged, a fully attested one passes", func(t *testing.T) {
		e := newEngine(t, st(t), nil)
		s := screen(t, e, risk.CallerRequest{Caller: "(201) 555-0190", Flow: "support"})
		wantVerdict(t, s, risk.Challenge)
		if s.Number != caller || s.Flow != "support" {
			t.Errorf("got number %s flow %s, want %s support", s.Number, s.Flow, caller)
		}
		wantVerdict(t, screen(t, e, risk.CallerRequest{Caller: "+12015550191", Attestation: "TN-Validation-Passed-A"}), risk.Pass, risk.CodeAttestationFull)
		wantVerdict(t, screen(t, e, risk.CallerRequest{Caller: "+12015550192", Attestation: "TN-Validation-Failed-B"}), risk.Challenge, risk.CodeAttestationFailed)
	})
	t.Run("withheld and invalid caller ids are challenged", func(t *testing.T) {
		e := newEngine(t, st(t), nil)
		for _, c := range []string{"", "anonymous", "Restricted", "+266696687"} {
			wantVerdict(t, screen(t, e, risk.CallerRequest{Caller: c}), risk.Challenge, risk.CodeCallerWithheld)
		}
		wantVerdict(t, screen(t, e, risk.CallerRequest{Caller: "12"}), risk.Challenge, risk.CodeCallerInvalid)
	})
	t.Run("lists: allow passes, deny and prefix block", func(t *testing.T) {
		e := newEngine(t, st(t), nil)
		add(t, e, risk.AllowNumber, caller)
		add(t, e, risk.DenyNumber, "+12015550193")
		add(t, e, risk.DenyPrefix, "+882")
		wantVerdict(t, screen(t, e, risk.CallerRequest{Caller: caller}), risk.Pass, risk.CodeAllowNumber)
		wantVerdict(t, screen(t, e, risk.CallerRequest{Caller: "+12015550193"}), risk.Reject, risk.CodeDenyNumber)
		wantVerdict(t, screen(t, e, risk.CallerRequest{Caller: "+88213000000"}), risk.Reject, risk.CodeDenyPrefix)
	})
	t.Run("call velocity and failed challenges block", func(t *testing.T) {
		e := newEngine(t, st(t), nil)
		var s risk.Screening
		for range 4 {
			s = screen(t, e, risk.CallerRequest{Caller: caller})
		}
		wantVerdict(t, s, risk.Reject, risk.CodeVelocityCallerCritical)

		const other = "+12015550194"
		if err := e.RecordChallengeFailed(ctx, other); err != nil {
			t.Fatal(err)
		}
		wantVerdict(t, screen(t, e, risk.CallerRequest{Caller: other}), risk.Challenge, risk.CodeCallerFailedWarning)
		for range 2 {
			if err := e.RecordChallengeFailed(ctx, other); err != nil {
				t.Fatal(err)
			}
		}
		wantVerdict(t, screen(t, e, risk.CallerRequest{Caller: other}), risk.Reject, risk.CodeCallerFailedCritical)
	})
}
