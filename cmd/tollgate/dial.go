package main

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tollgate/tollgate/contactflows"
)

// newDialer builds the dialer cfg names.
func newDialer(cfg DialConfig, log *slog.Logger) (contactflows.Dialer, error) {
	switch cfg.Dialer {
	case "simulator":
		sim := &contactflows.Simulator{Outcome: cfg.SimulatorOutcome, Duration: 2 * time.Second, Logger: log}
		if cfg.SimulatorOutcome == contactflows.OutcomeFailed {
			sim.OutcomeFunc = func(contactflows.Call) (string, error) {
				return "", errors.New("simulated dial failure (TOLLGATE_SIMULATOR_OUTCOME=failed)")
			}
		}
		return sim, nil
	}
	return nil, fmt.Errorf("dialer %q is not available in this build", cfg.Dialer)
}
