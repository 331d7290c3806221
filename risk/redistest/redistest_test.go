package redistest_test

import (
	"errors"
	"testing"

	"github.com/tollgate/tollgate/risk/redistest"
)

func TestRequired(t *testing.T) {
	tests := []struct {
		ci   string
		want bool
	}{
		{"", false},
		{"true", true},
		{"1", true},
		{"false", false},
		{"yes", false},
	}
	for _, tt := range tests {
		t.Setenv("CI", tt.ci)
		if got := redistest.Required(); got != tt.want {
			t.Errorf("Required() with CI=%q: got %v, want %v", tt.ci, got, tt.want)
		}
	}
}

func TestStartWithoutRedisServer(t *testing.T) {
	t.Setenv("PATH", t.TempDir())

	if _, err := redistest.StartServer(); !errors.Is(err, redistest.ErrNoRedisServer) {
		t.Errorf("StartServer error: got %v, want ErrNoRedisServer", err)
	}
	if _, err := redistest.StartCluster(3); !errors.Is(err, redistest.ErrNoRedisServer) {
		t.Errorf("StartCluster error: got %v, want ErrNoRedisServer", err)
	}
}

// recordingTB records how a helper would have ended the test, without
// ending it.
type recordingTB struct {
	testing.TB
	skipped, failed bool
}

func (r *recordingTB) Helper()               {}
func (r *recordingTB) Skipf(string, ...any)  { r.skipped = true }
func (r *recordingTB) Fatal(...any)          { r.failed = true }
func (r *recordingTB) Fatalf(string, ...any) { r.failed = true }
func (r *recordingTB) Skip(...any)           { r.skipped = true }
func (r *recordingTB) Error(...any)          { r.failed = true }
func (r *recordingTB) Errorf(string, ...any) { r.failed = true }
func (r *recordingTB) SkipNow()              { r.skipped = true }
func (r *recordingTB) FailNow()              { r.failed = true }

func TestMissingRedisServerSkipsUnlessRequired(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	starts := map[string]func(testing.TB){
		"NewServer": func(tb testing.TB) { redistest.NewServer(tb) },
		"ClusterOf": func(tb testing.TB) { redistest.ClusterOf(tb, 3) },
	}
	for name, start := range starts {
		for _, ci := range []string{"", "true"} {
			t.Setenv("CI", ci)
			tb := &recordingTB{TB: t}
			start(tb)
			wantSkip, wantFail := ci == "", ci == "true"
			if tb.skipped != wantSkip || tb.failed != wantFail {
				t.Errorf("%s with CI=%q: got skipped=%v failed=%v, want skipped=%v failed=%v",
					name, ci, tb.skipped, tb.failed, wantSkip, wantFail)
			}
		}
	}
}
