package main

import (
	"errors"
	"log/slog"
	"time"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/contactflows/dispatch"
)

// newDialer builds the dialer cfg names.
func newDialer(cfg DialConfig, log *slog.Logger) (dispatch.Dialer, error) {
	switch cfg.Dialer {
	case "connect":
		return dispatch.NewConnectDialer(dispatch.ConnectConfig{
			Region: cfg.ConnectRegion, InstanceID: cfg.ConnectInstanceID, ContactFlowID: cfg.ConnectContactFlowID,
			SourcePhoneNumber: cfg.ConnectSourcePhone, QueueID: cfg.ConnectQueueID,
		})
	case "twilio":
		return dispatch.NewTwilioDialer(dispatch.TwilioConfig{
			AccountSID: cfg.TwilioAccountSID, AuthToken: cfg.TwilioAuthToken, From: cfg.TwilioFrom, PublicURL: cfg.PublicURL,
		})
	}
	sim := &dispatch.Simulator{Outcome: cfg.SimulatorOutcome, Duration: 2 * time.Second, Logger: log}
	if cfg.SimulatorOutcome == contactflows.OutcomeFailed {
		sim.OutcomeFunc = func(dispatch.Call) (string, error) {
			return "", errors.New("simulated dial failure (TOLLGATE_SIMULATOR_OUTCOME=failed)")
		}
	}
	return sim, nil
}
