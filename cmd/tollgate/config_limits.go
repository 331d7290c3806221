package main

import (
	"fmt"
	"strconv"
	"time"
)

// LimitsConfig bounds what one client may hold of the server: how long it
// may take to send its headers, how big they may be, and how long an idle
// keep-alive connection stays open. Request bodies are capped by the
// handlers (64 KB; 10 MB for a list import).
type LimitsConfig struct {
	// ReadHeaderTimeout is how long a client has to send a request's
	// headers; a slower one is cut off.
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes a keep-alive connection with no request this long.
	IdleTimeout time.Duration
	// MaxHeaderBytes caps a request's header block; more is answered 431.
	MaxHeaderBytes int
}

// readTimeout and writeTimeout bound a whole request's reading and its
// answer's writing.
const (
	readTimeout  = 15 * time.Second
	writeTimeout = 15 * time.Second
)

// limitsConfigKeys are the variables of LimitsConfig and the retention of
// decision records.
func limitsConfigKeys() []configKey {
	return []configKey{
		{
			name: "TOLLGATE_READ_HEADER_TIMEOUT", def: "5s",
			description: "How long a client has to send a request's headers before the connection is closed (slow-client protection); at most 15s.",
			parse: func(c *Config, v string) (err error) {
				c.Limits.ReadHeaderTimeout, err = parseDurationRange(v, 100*time.Millisecond, readTimeout)
				return err
			},
		},
		{
			name: "TOLLGATE_IDLE_TIMEOUT", def: "60s",
			description: "How long an idle keep-alive connection is kept open.",
			parse: func(c *Config, v string) (err error) {
				c.Limits.IdleTimeout, err = parseDurationRange(v, 100*time.Millisecond, time.Hour)
				return err
			},
		},
		{
			name: "TOLLGATE_MAX_HEADER_BYTES", def: "32768",
			description: "Largest request header block in bytes; a larger one is answered 431.",
			parse: func(c *Config, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil || n < 4096 || n > 1<<20 {
					return fmt.Errorf("%q is not a whole number from 4096 to 1048576; use e.g. 32768", v)
				}
				c.Limits.MaxHeaderBytes = n
				return nil
			},
		},
		{
			name: "TOLLGATE_DECISION_RETENTION", def: "720h",
			description: "How long decision records are kept: the decision log, the dead letters and call records, " +
				"and the dashboard's per-number counters. Older ones are deleted. At least 1h.",
			parse: func(c *Config, v string) (err error) {
				c.DecisionRetention, err = parseDurationRange(v, time.Hour, 10*365*24*time.Hour)
				return err
			},
		},
	}
}

// parseDurationRange parses a Go duration from least to most.
func parseDurationRange(v string, least, most time.Duration) (time.Duration, error) {
	d, err := parseDuration(v, least)
	if err == nil && d > most {
		err = fmt.Errorf("%s is too long; use at most %s", d, most)
	}
	return d, err
}
