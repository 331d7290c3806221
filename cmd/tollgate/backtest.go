package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/tollgate/tollgate/handlers/admin"
)

// backtestUsage is the help of "tollgate backtest".
const backtestUsage = `Usage:
  tollgate backtest [-settings FILE] [-policy FILE] [-from TIME] [-to TIME] [-json]

Replays the recorded decisions of a period on a running Tollgate with a
draft of the risk settings and the country policy, and says what would
change, before anyone saves the draft (POST /api/v1/admin/backtest).
-settings is JSON with any fields of GET /api/v1/admin/settings (those left
out keep their value); -policy is JSON as GET /api/v1/admin/policy answers.
Either may be left out; with neither, the settings in force are replayed,
which changes nothing. -from and -to are RFC 3339 times or durations before
now (-from 6h); the default is the last 24 hours. The instance is
TOLLGATE_ADMIN_URL (default http://localhost:8080), the token
TOLLGATE_ADMIN_TOKEN or -token: an admin's, since a backtest reads numbers
whole; every run is in the audit log.
`

// runBacktest runs "tollgate backtest".
func runBacktest(ctx context.Context, args, environ []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tollgate backtest", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() { fmt.Fprint(stdout, backtestUsage) }
	settings := fs.String("settings", "", "a JSON file of settings to change")
	policy := fs.String("policy", "", "a JSON file of the country policy to try")
	from := fs.String("from", "", "the period's start: an RFC 3339 time, or a duration before now such as 6h")
	to := fs.String("to", "", "the period's end, as -from; default now")
	raw := fs.Bool("json", false, "print the answer as JSON")
	base, token := adminFlags(fs, environ, "an admin's API token")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("backtest takes no arguments, got %q; see tollgate backtest -h", fs.Args())
	}
	if *token == "" {
		return errors.New("an admin's API token is required: set TOLLGATE_ADMIN_TOKEN or pass -token (admins create tokens in the console under API tokens)")
	}
	var req admin.BacktestRequest
	now := time.Now()
	var err error
	if req.From, err = backtestTime(*from, now); err != nil {
		return fmt.Errorf("-from: %w", err)
	}
	if req.To, err = backtestTime(*to, now); err != nil {
		return fmt.Errorf("-to: %w", err)
	}
	if *settings != "" {
		if req.Settings, err = os.ReadFile(*settings); err != nil {
			return err
		}
	}
	if *policy != "" {
		b, err := os.ReadFile(*policy)
		if err != nil {
			return err
		}
		req.Policy = &admin.PolicyDoc{}
		if err := json.Unmarshal(b, req.Policy); err != nil {
			return fmt.Errorf("-policy %s: %w", *policy, err)
		}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(*base, "/")+admin.APIPrefix+"/backtest", bytes.NewReader(body))
	if err != nil {
		return err
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", admin.NDJSON)
	hreq.Header.Set("Authorization", "Bearer "+*token)
	resp, err := (&http.Client{Timeout: admin.BacktestTime + time.Minute}).Do(hreq)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		return fmt.Errorf("the backtest was refused: %s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	answer, err := readBacktest(resp.Body, stdout, *raw)
	if err != nil {
		return err
	}
	if *raw {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(answer)
	}
	printBacktest(stdout, answer, strings.TrimRight(*base, "/"))
	return nil
}

// backtestTime reads a -from or -to: "" (the zero time, the server's
// default), an RFC 3339 time, or a duration before now.
func backtestTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a duration such as 6h", s)
	}
	return t, nil
}

// readBacktest reads a streamed backtest: progress lines, told on out
// unless quiet, then the result or an error.
func readBacktest(r io.Reader, out io.Writer, quiet bool) (admin.BacktestAnswer, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		var line struct {
			admin.BacktestProgress
			Result *admin.BacktestAnswer `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return admin.BacktestAnswer{}, fmt.Errorf("reading the backtest: %w", err)
		}
		switch {
		case line.Result != nil:
			return *line.Result, nil
		case line.Error != nil:
			return admin.BacktestAnswer{}, errors.New(line.Error.Message)
		case !quiet:
			fmt.Fprintf(out, "replayed %d of %d decisions\n", line.Done, line.Total)
		}
	}
	if err := sc.Err(); err != nil {
		return admin.BacktestAnswer{}, fmt.Errorf("reading the backtest: %w", err)
	}
	return admin.BacktestAnswer{}, errors.New("the backtest ended without a result")
}

// printBacktest writes a's findings for a person.
func printBacktest(w io.Writer, a admin.BacktestAnswer, base string) {
	fmt.Fprintf(w, "\n%d decisions from %s to %s; %d would change", a.Decisions,
		a.From.Format(time.RFC3339), a.To.Format(time.RFC3339), a.Changed)
	if a.Decisions > 0 {
		fmt.Fprintf(w, " (%.1f%%)", 100*float64(a.Changed)/float64(a.Decisions))
	}
	fmt.Fprintln(w)
	if a.Truncated {
		fmt.Fprintf(w, "the period held more than %d decisions: the oldest %d were replayed\n", admin.BacktestMax, admin.BacktestMax)
	}
	if a.Stopped != "" {
		fmt.Fprintln(w, a.Stopped)
	}
	if a.Skipped > 0 {
		fmt.Fprintf(w, "%d recorded without a number the engine reads: not replayed\n", a.Skipped)
	}
	fmt.Fprintln(w, "\nbefore -> after: decisions")
	for _, ac := range a.Actions {
		fmt.Fprintf(w, "  %-7s -> %-7s %d\n", ac.Before, ac.After, ac.Count)
	}
	if len(a.Reasons) > 0 {
		fmt.Fprintln(w, "\nreasons: decisions gaining, losing")
		for _, rc := range a.Reasons {
			fmt.Fprintf(w, "  %-40s +%d -%d\n", rc.Code, rc.Added, rc.Removed)
		}
	}
	fmt.Fprintf(w, "\ncalls: %d added, %d avoided; estimated spend: %d added, %d avoided\n",
		a.CallsAdded, a.CallsAvoided, a.SpendAdded, a.SpendAvoided)
	for _, c := range []struct {
		what string
		ch   []admin.BacktestChange
		n    int
	}{
		{"marked legit, would be refused", a.LegitRefused.Sample, a.LegitRefused.Count},
		{"marked spam, would be allowed", a.SpamAllowed.Sample, a.SpamAllowed.Count},
	} {
		fmt.Fprintf(w, "\n%s: %d\n", c.what, c.n)
		for _, ch := range c.ch {
			fmt.Fprintf(w, "  %s %s %s -> %s  %s/admin/decisions/%s\n", ch.Number, ch.Country, ch.Before, ch.After, base, ch.Entry)
		}
	}
}
