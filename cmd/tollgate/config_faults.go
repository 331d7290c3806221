package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tollgate/tollgate/handlers"
	"github.com/tollgate/tollgate/handlers/ivr"
)

// FaultsConfig is how Tollgate behaves when Redis stalls or dies, and how
// the dispatcher recovers calls after a crash.
type FaultsConfig struct {
	// Budget bounds the store work of one decision, screening or
	// verification.
	Budget time.Duration
	// FormMode is the form's and callback API's fail mode.
	FormMode handlers.FormFailMode
	// IVRMode is the IVR surfaces' fail mode.
	IVRMode ivr.FailMode
	// FallbackSecret keys the IVR's stateless fallback codes, or is empty
	// for a random key at each start. It is a secret: never log it.
	FallbackSecret string
	// DialTimeout bounds one dial.
	DialTimeout time.Duration
	// ClaimIdle is how long a call delivered to a worker may stay
	// unacknowledged before another instance takes it over.
	ClaimIdle time.Duration
	// SimulatorDuration is how long each simulated call lasts.
	SimulatorDuration time.Duration
	// SimulatorJournal is the file the simulator appends each placed call
	// to, or empty for none.
	SimulatorJournal string
}

// faultsConfigKeys are the variables of FaultsConfig.
func faultsConfigKeys() []configKey {
	return []configKey{
		{
			name: "TOLLGATE_DECISION_BUDGET", def: "150ms",
			description: "Longest time the store (Redis) may take over one callback decision, IVR screening or code check, 10ms to 10s; past it, or when Redis fails, the fail modes answer.",
			parse: func(c *Config, v string) error {
				d, err := parseDuration(v, 10*time.Millisecond)
				if err == nil && d > 10*time.Second {
					err = fmt.Errorf("%s is too long for a visitor to wait; use at most 10s", d)
				}
				c.Faults.Budget = d
				return err
			},
		},
		{
			name: "TOLLGATE_FORM_FAIL_MODE", def: "deflect",
			description: "What the callback form and API answer when Redis fails or misses the budget: deflect (offer the other channels), " +
				"block (answer as a blocked request: it looks accepted, no call is placed) or allow (score what needs no Redis, one call per number per duplicate TTL on each instance, and queue the call when that allows it and the queue can store it; else deflect or block as the score says).",
			parse: func(c *Config, v string) error {
				switch m := handlers.FormFailMode(v); m {
				case handlers.FailDeflect, handlers.FailBlock, handlers.FailAllow:
					c.Faults.FormMode = m
					return nil
				}
				return fmt.Errorf("%q is not a form fail mode; use deflect, block or allow", v)
			},
		},
		{
			name: "TOLLGATE_IVR_FAIL_MODE", def: "challenge",
			description: "What the IVR surfaces do when Redis fails or misses the budget: challenge (every caller keys in a stateless code, " +
				"signed with TOLLGATE_FALLBACK_SECRET) or pass (every caller goes through).",
			parse: func(c *Config, v string) error {
				switch m := ivr.FailMode(v); m {
				case ivr.FailChallenge, ivr.FailPass:
					c.Faults.IVRMode = m
					return nil
				}
				return fmt.Errorf("%q is not an IVR fail mode; use challenge or pass", v)
			},
		},
		{
			name: "TOLLGATE_FALLBACK_SECRET", secret: true, defaultDoc: "(random at each start)",
			description: "Secret, at least 32 characters, keying the IVR's stateless fallback codes; every instance needs the same one " +
				"to check codes another issued. Empty: a random key at each start, so a code checks only on the instance that issued it.",
			parse: secretKey(32, func(c *Config) *string { return &c.Faults.FallbackSecret }),
		},
		{
			name: "TOLLGATE_DIAL_TIMEOUT", def: "30s",
			description: "Longest one dial may take before it counts as failed.",
			parse: func(c *Config, v string) (err error) {
				c.Faults.DialTimeout, err = parseDuration(v, 100*time.Millisecond)
				return err
			},
		},
		{
			name: "TOLLGATE_DIAL_CLAIM_IDLE", def: "1m",
			description: "How long a call delivered to a worker may stay unacknowledged, as after a crash, before another instance takes it over; more than TOLLGATE_DIAL_TIMEOUT.",
			parse: func(c *Config, v string) (err error) {
				c.Faults.ClaimIdle, err = parseDuration(v, 200*time.Millisecond)
				return err
			},
		},
		{
			name: "TOLLGATE_SIMULATOR_DURATION", def: "2s",
			description: "How long each simulated call lasts, 0 to 1h.",
			parse: func(c *Config, v string) error {
				d, err := parseDuration(v, 0)
				if err == nil && d > time.Hour {
					err = fmt.Errorf("%s is longer than a simulated call needs; use at most 1h", d)
				}
				c.Faults.SimulatorDuration = d
				return err
			},
		},
		{
			name: "TOLLGATE_SIMULATOR_JOURNAL",
			description: "File the simulator dialer appends each placed call to, one JSON line per call, kept across restarts. " +
				"With it the simulator is idempotent, as Amazon Connect is: a call already in the journal is not placed again.",
			parse: func(c *Config, v string) error {
				if v != "" {
					if fi, err := os.Stat(filepath.Dir(v)); err != nil || !fi.IsDir() {
						return fmt.Errorf("the directory of %q does not exist; create it or give another path", v)
					}
				}
				c.Faults.SimulatorJournal = v
				return nil
			},
		},
	}
}

// validate checks what the keys cannot check alone.
func (f FaultsConfig) validate() []error {
	if f.ClaimIdle <= f.DialTimeout {
		return []error{fmt.Errorf("TOLLGATE_DIAL_CLAIM_IDLE (%s) must exceed TOLLGATE_DIAL_TIMEOUT (%s), "+
			"or a live worker's call would be taken over while it is being dialled; raise TOLLGATE_DIAL_CLAIM_IDLE", f.ClaimIdle, f.DialTimeout)}
	}
	return nil
}

// faultsWarnings are the fault settings' problems that do not stop
// Tollgate.
func (c Config) faultsWarnings() []string {
	var w []string
	ivrOn := c.Dial.FlowAPIKey != "" || c.IVR.BridgeSecret != "" || c.Dial.TwilioAuthToken != ""
	if c.Faults.FallbackSecret == "" && c.RedisURL != "" && c.Faults.IVRMode == ivr.FailChallenge && ivrOn {
		w = append(w, "TOLLGATE_FALLBACK_SECRET is not set: while Redis is down, IVR fallback codes are keyed with a random key made at start, "+
			"so they do not check on other instances or after a restart; set it to the same random value everywhere")
	}
	if c.Faults.SimulatorJournal != "" && c.Dial.Dialer != "simulator" {
		w = append(w, "TOLLGATE_SIMULATOR_JOURNAL is set but TOLLGATE_DIALER is "+c.Dial.Dialer+": no journal is written")
	}
	return w
}
