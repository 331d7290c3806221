package main

import (
	"log/slog"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers"
	"github.com/tollgate/tollgate/handlers/metrics"
)

// newFaults builds the fail modes the handlers answer with when the store
// fails, and the stateless challenger of the IVR's challenge mode, keyed
// with TOLLGATE_FALLBACK_SECRET or a random key.
func newFaults(cfg Config, m *metrics.Metrics) (handlers.Faults, error) {
	secret := []byte(cfg.Faults.FallbackSecret)
	if len(secret) == 0 {
		var err error
		if secret, err = contactflows.RandomFallbackSecret(); err != nil {
			return handlers.Faults{}, err
		}
	}
	fb, err := contactflows.NewFallbackChallenges(contactflows.FallbackOptions{
		Secret: secret, CodeLength: cfg.IVR.CodeLength, Window: cfg.IVR.CodeTTL, MaxAttempts: cfg.IVR.Attempts,
	})
	if err != nil {
		return handlers.Faults{}, err
	}
	return handlers.Faults{
		Budget: cfg.Faults.Budget, Form: cfg.Faults.FormMode, IVR: cfg.Faults.IVRMode,
		Fallback: fb, ObserveFallback: m.ObserveFallback,
	}, nil
}

// configureSimulator sets the simulator dialer's call duration and opens
// its journal, if one is configured; other dialers are left as they are.
// The returned func closes the journal.
func configureSimulator(d dispatch.Dialer, cfg Config, log *slog.Logger) (func(), error) {
	sim, ok := d.(*dispatch.Simulator)
	if !ok {
		return func() {}, nil
	}
	sim.Duration = cfg.Faults.SimulatorDuration
	if cfg.Faults.SimulatorJournal == "" {
		return func() {}, nil
	}
	j, err := dispatch.OpenSimulatorJournal(cfg.Faults.SimulatorJournal)
	if err != nil {
		return nil, err
	}
	sim.Journal = j
	log.Info("simulated calls are journaled; the simulator is idempotent", "journal", cfg.Faults.SimulatorJournal)
	return func() { j.Close() }, nil
}
