package main

import (
	"bytes"
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestTrafficIsReproducible(t *testing.T) {
	for _, s := range scenarios {
		a, b := traffic(s, 7, 120), traffic(s, 7, 120)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: the same seed drew different traffic", s.name)
		}
		if got, want := len(a), 120; got != want {
			t.Errorf("%s: got %d requests, want %d", s.name, got, want)
		}
		var attacks int
		for _, r := range a {
			if r.attack {
				attacks++
			}
			if r.kind == callbackRequest && !r.typo && !valid(r.phone, nil) {
				t.Errorf("%s: %s is not a valid number", s.name, r.phone)
			}
		}
		if s.name != "legit" && attacks == 0 {
			t.Errorf("%s: no attack requests", s.name)
		}
	}
}

func TestCheckLoopback(t *testing.T) {
	for base, ok := range map[string]bool{
		"http://127.0.0.1:8080": true, "http://[::1]:80": true,
		"http://10.0.0.1:8080": false, "http://example.com": false, "http://localhost:8080": false,
	} {
		if got := checkLoopback(base) == nil; got != ok {
			t.Errorf("checkLoopback(%s): got ok %v, want %v", base, got, ok)
		}
	}
}

// TestSimulatorEndToEnd runs a tiny simulation against a real server:
// legit, irsf and ivr-bots with the defaults and the baseline.
func TestSimulatorEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts tollgate")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, errs bytes.Buffer
	args := []string{"-scenarios", "legit,irsf,ivr-bots", "-requests", "16", "-rate", "40", "-compare", "-parallel", "3", "-costs", "LV=150"}
	if err := run(ctx, args, &out, &errs); err != nil {
		t.Fatalf("run: %v\n%s", err, errs.String())
	}
	rows := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		cells := strings.Split(line, " | ")
		if len(cells) > 2 && (cells[1] == "defaults" || cells[1] == "baseline") {
			rows[strings.TrimPrefix(cells[0], "| ")+"/"+cells[1]] = line
		}
	}
	if got, want := len(rows), 6; got != want {
		t.Fatalf("got %d table rows, want %d:\n%s", got, want, out.String())
	}
	if row := rows["irsf/defaults"]; !strings.Contains(row, "| 100.0% |") {
		t.Errorf("irsf with the defaults: got %q, want every attack call stopped", row)
	}
	if row := rows["irsf/baseline"]; !strings.Contains(row, "| 0.0% |") {
		t.Errorf("irsf with the baseline: got %q, want no attack call stopped", row)
	}
	if row := rows["legit/defaults"]; !strings.Contains(row, "| 0 (0.0%) |") {
		t.Errorf("legit with the defaults: got %q, want no legit request lost", row)
	}
}

// TestCountRepeatsAreNotLost: a legit visitor refused as a duplicate while
// their earlier call was placed got a call; one refused with no call
// placed before is lost, as is a deflected one.
func TestCountRepeatsAreNotLost(t *testing.T) {
	legit := func(phone, action string, placed bool, reasons ...string) outcome {
		status := http.StatusAccepted
		if action == "deflect" {
			status = http.StatusOK
		}
		return outcome{sent: sent{req: request{tactic: "legit", phone: phone}, status: status}, action: action, placed: placed, reasons: reasons}
	}
	outs := []outcome{
		legit("+12015550100", "allow", true),
		legit("+12015550100", "block", false, "duplicate_callback"),
		legit("+12015550200", "block", false, "duplicate_callback"),
		legit("+12015550300", "deflect", false, "number_type_voip"),
	}
	got := count("legit", false, outs, costs{})
	if got.legitRepeats != 1 || got.legitLost != 2 || got.legitDecided != 4 {
		t.Errorf("got %d repeats and %d lost of %d, want 1 and 2 of 4", got.legitRepeats, got.legitLost, got.legitDecided)
	}
}
