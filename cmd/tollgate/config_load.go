package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// LoadConfig reads the configuration through getenv (os.Getenv in
// production, a map lookup in tests) and validates it. Secrets may come from
// the file named by their _FILE variant. Every problem found is in the
// returned error, one per line. LoadConfig cannot list the environment, so
// it gives no warnings about unknown variables; LoadConfigEnviron does.
func LoadConfig(getenv func(string) string) (Config, error) {
	var c Config
	var errs []error
	for _, k := range configKeys() {
		value, source, err := lookupKey(getenv, k)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if value == "" {
			value = k.def
		}
		if err := k.parse(&c, value); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", source, err))
		}
	}
	if len(errs) == 0 {
		errs = slices.Concat(c.Dial.validate(), c.API.validate(), c.Admin.validate(), c.Metrics.validate(c.Addr), c.Faults.validate())
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return c, nil
}

// LoadConfigEnviron is LoadConfig reading environ, a list of "NAME=value"
// entries such as os.Environ returns. Its Config also warns about TOLLGATE_
// variables that are not settings, suggesting the closest known name.
func LoadConfigEnviron(environ []string) (Config, error) {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		env[name] = value
	}
	c, err := LoadConfig(func(name string) string { return env[name] })
	if err != nil {
		return Config{}, err
	}
	c.unknown = unknownVariableWarnings(environ)
	return c, nil
}

// lookupKey returns k's value and the name to blame for it, reading the
// _FILE variant of a secret.
func lookupKey(getenv func(string) string, k configKey) (value, source string, err error) {
	value = getenv(k.name)
	if !k.secret {
		return value, k.name, nil
	}
	fileVar := k.name + "_FILE"
	path := getenv(fileVar)
	switch {
	case path == "":
		return value, k.name, nil
	case value != "":
		return "", "", fmt.Errorf("%s and %s are both set; unset one of them", k.name, fileVar)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err
		}
		return "", "", fmt.Errorf("%s: cannot read %q: %v; point it at a readable file or unset it", fileVar, path, err)
	}
	value = strings.TrimRight(string(b), "\r\n")
	if value == "" {
		return "", "", fmt.Errorf("%s: %q is empty; write the value into it or unset %s", fileVar, path, fileVar)
	}
	return value, fmt.Sprintf("%s (read from %s)", k.name, fileVar), nil
}

// unknownVariableWarnings warns about each TOLLGATE_ variable in environ
// that Tollgate does not read, suggesting the closest known name.
func unknownVariableWarnings(environ []string) []string {
	known := map[string]bool{}
	var names []string
	for _, k := range configKeys() {
		names = append(names, k.name)
		if k.secret {
			names = append(names, k.name+"_FILE")
		}
	}
	for _, n := range names {
		known[n] = true
	}
	var warnings []string
	seen := map[string]bool{}
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		upper := strings.ToUpper(name)
		if !strings.HasPrefix(upper, envPrefix) || known[name] || seen[name] {
			continue
		}
		seen[name] = true
		if base, ok := strings.CutSuffix(upper, "_FILE"); ok && known[base] {
			warnings = append(warnings, fmt.Sprintf("%s is ignored: only secrets have a _FILE variant; set %s instead", name, base))
			continue
		}
		w := name + " is not a Tollgate setting and is ignored"
		if s := closest(upper, names); s != "" {
			w += "; did you mean " + s + "?"
		}
		warnings = append(warnings, w)
	}
	return warnings
}

// closest returns the name in names nearest to s, if it is a few edits away.
func closest(s string, names []string) string {
	const maxEdits = 3
	best, bestDist := "", maxEdits+1
	for _, n := range names {
		if d := editDistance(s, n); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
