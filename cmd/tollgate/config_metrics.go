package main

import (
	"fmt"
	"strings"
)

// MetricsConfig is where the Prometheus metrics are served.
type MetricsConfig struct {
	// Addr is a listen address of its own for GET /metrics, without
	// authentication; empty: none.
	Addr string
	// Token is the bearer token GET /metrics on the main server asks for;
	// empty: no /metrics on the main server. It is a secret: never log it.
	Token string
}

// metricsConfigKeys are the variables of MetricsConfig.
func metricsConfigKeys() []configKey {
	return []configKey{
		{
			name:        "TOLLGATE_METRICS_ADDR",
			description: "Listen address, host:port, of a separate HTTP server answering GET /metrics (Prometheus) without authentication, e.g. 127.0.0.1:9090; keep it off public networks. Empty: no separate server.",
			parse: func(c *Config, v string) (err error) {
				if v != "" {
					c.Metrics.Addr, err = parseAddr(v)
				}
				return err
			},
		},
		{
			name: "TOLLGATE_METRICS_TOKEN", secret: true,
			description: "Bearer token that GET /metrics on the main server (TOLLGATE_ADDR) asks for, at least 24 characters, e.g. from openssl rand -hex 24. Empty: no /metrics on the main server.",
			parse:       secretKey(24, func(c *Config) *string { return &c.Metrics.Token }),
		},
	}
}

// validate checks the metrics address against the main one; port 0 (any
// free port) may be on both.
func (m MetricsConfig) validate(addr string) []error {
	if m.Addr != "" && m.Addr == addr && !strings.HasSuffix(addr, ":0") {
		return []error{fmt.Errorf("TOLLGATE_METRICS_ADDR is TOLLGATE_ADDR (%s); give the metrics another port, or leave it empty and set TOLLGATE_METRICS_TOKEN to serve /metrics on the main server", addr)}
	}
	return nil
}
