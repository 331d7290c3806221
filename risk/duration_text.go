package risk

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// FormatDuration writes d as people write it: "30 s", "15 min", "1 h",
// "2 h 30 min", "7 days". ParseDuration reads it back.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0 s"
	}
	if d < 0 {
		return "-" + FormatDuration(-d)
	}
	var parts []string
	if d >= 48*time.Hour {
		days := d / (24 * time.Hour)
		parts = append(parts, strconv.FormatInt(int64(days), 10)+" days")
		d -= days * 24 * time.Hour
	}
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "min"}, {time.Second, "s"}} {
		if n := d / u.unit; n > 0 {
			parts = append(parts, strconv.FormatInt(int64(n), 10)+" "+u.name)
			d -= n * u.unit
		}
	}
	if d > 0 {
		parts = append(parts, strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', -1, 64)+" ms")
	}
	return strings.Join(parts, " ")
}

// durationUnits are the units ParseDuration reads, by every name it
// accepts.
var durationUnits = map[string]time.Duration{
	"ms": time.Millisecond, "msec": time.Millisecond, "millisecond": time.Millisecond, "milliseconds": time.Millisecond,
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
}

// maxDuration is the longest duration ParseDuration reads: longer than
// any setting allows, short of overflowing.
const maxDuration = 10 * 365 * 24 * time.Hour

// ErrDurationSyntax is the error of a duration ParseDuration cannot read;
// it comes as a *DurationError.
var ErrDurationSyntax = errors.New("not a duration")

// DurationError says why ParseDuration could not read Input.
type DurationError struct {
	// Input is what was typed; Problem says what is wrong with it, e.g.
	// "has no unit".
	Input, Problem string
}

// DurationExamples shows how to write a duration.
const DurationExamples = "30 s, 15 min, 1 h or 2 h 30 min"

// Error says what is wrong and how to write a duration instead.
func (e *DurationError) Error() string {
	return fmt.Sprintf("“%s” %s; write it like %s", e.Input, e.Problem, DurationExamples)
}

// Unwrap makes errors.Is(err, ErrDurationSyntax) true.
func (e *DurationError) Unwrap() error { return ErrDurationSyntax }

// ParseDuration reads a duration as people type it: "1 h", "1h", "90 min",
// "90m", "1h30m", "2 hours", "1 h 30 min", "30 s", "1.5 h", "7 days", or
// any Go duration such as "1h0m0s". A bare 0 is zero; any other number
// needs its unit. Its errors say in plain words what to type instead.
func ParseDuration(v string) (time.Duration, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	if s == "0" {
		return 0, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	s = strings.NewReplacer(",", " ", " and ", " ").Replace(s)
	bad := func(problem string) (time.Duration, error) {
		return 0, &DurationError{Input: strings.TrimSpace(v), Problem: problem}
	}
	if s == "" {
		return bad("is empty")
	}
	var total float64
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
		if i == 0 {
			return bad("does not start with a number")
		}
		if i < 0 {
			return bad("has no unit")
		}
		n, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return bad("has a number that cannot be read")
		}
		s = strings.TrimSpace(s[i:])
		j := strings.IndexFunc(s, func(r rune) bool { return r < 'a' || r > 'z' })
		if j < 0 {
			j = len(s)
		}
		unit, ok := durationUnits[s[:j]]
		if !ok {
			return bad("has a unit that is not s, min, h or days")
		}
		s = s[j:]
		total += n * float64(unit)
	}
	if total > float64(maxDuration) {
		return bad("is too long")
	}
	return time.Duration(math.Round(total)), nil
}
