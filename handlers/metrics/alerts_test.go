package metrics

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/risk"
)

// fakeStore is a Store whose reads answer at once.
func fakeStore() *Store {
	return &Store{
		Counts: func(context.Context) (dispatch.QueueCounts, error) {
			return dispatch.QueueCounts{Queued: 2, Dialing: 1, Retrying: 3, Dead: 4}, nil
		},
		OldestQueued: func(context.Context) (time.Time, error) { return time.Unix(1000, 0), nil },
		SpentToday:   func(context.Context) (int64, error) { return 950, nil },
		DailyBudget:  func() int64 { return 1000 },
		Now:          func() time.Time { return time.Unix(1030, 0) },
	}
}

func TestAlertRulesPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is not installed (apt-get install prometheus); CI needs it")
		}
		t.Skip("promtool is not installed (apt-get install prometheus)")
	}
	path := filepath.Join(t.TempDir(), "alerts.yml")
	if err := os.WriteFile(path, AlertRules, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "SUCCESS") {
		t.Errorf("promtool check rules: got %s, want SUCCESS", out)
	}
}

// registeredNames gathers m and returns every metric family's name, with
// the _bucket, _count and _sum series of histograms.
func registeredNames(t *testing.T, m *Metrics) []string {
	t.Helper()
	families, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range families {
		names = append(names, f.GetName())
		if f.GetType().String() == "HISTOGRAM" {
			names = append(names, f.GetName()+"_bucket", f.GetName()+"_count", f.GetName()+"_sum")
		}
	}
	return names
}

func TestAlertRulesUseRegisteredMetrics(t *testing.T) {
	m := New()
	if err := m.Register(fakeStore()); err != nil {
		t.Fatal(err)
	}
	m.Dialer("simulator", &dispatch.Simulator{})
	m.ObserveRequest("GET", "/", 200, time.Millisecond)
	m.ObserveDecision(risk.Decision{Action: risk.Block, Reasons: []risk.Reason{{Code: risk.CodeDenyNumber}}}, nil, time.Millisecond)
	names := registeredNames(t, m)

	used := regexp.MustCompile(`\btollgate_[a-z0-9_]+`).FindAllString(string(AlertRules), -1)
	if len(used) < 10 {
		t.Fatalf("got %d metric names in the rules, want the rules to use at least 10", len(used))
	}
	for _, name := range used {
		if !slices.Contains(names, name) {
			t.Errorf("the rules use %s, which is not registered; registered: %v", name, names)
		}
	}
	for _, alert := range []string{"TollgateDown", "TollgateRedisErrors", "TollgateFailModeAnswering", "TollgateDecisionLatencyHigh", "TollgateBlockRatioSpike",
		"TollgateDeadLettersGrowing", "TollgateQueueStalled", "TollgateBudgetNearlyExhausted", "TollgateChallengeFailuresHigh"} {
		if !strings.Contains(string(AlertRules), "alert: "+alert+"\n") {
			t.Errorf("the rules have no alert %s", alert)
		}
	}
}
