package main

import (
	"flag"
	"strings"
)

// environMap is environ ("NAME=value" entries) by name.
func environMap(environ []string) map[string]string {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// adminFlags defines the -url and -token flags of the commands that call a
// running instance's admin API, defaulting to TOLLGATE_ADMIN_URL (else
// http://localhost:8080) and TOLLGATE_ADMIN_TOKEN.
func adminFlags(fs *flag.FlagSet, environ []string, tokenUsage string) (base, token *string) {
	env := environMap(environ)
	return fs.String("url", firstSet(env["TOLLGATE_ADMIN_URL"], "http://localhost:8080"), "the instance's address"),
		fs.String("token", env["TOLLGATE_ADMIN_TOKEN"], tokenUsage)
}

// firstSet returns the first of its arguments that is not empty.
func firstSet(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
