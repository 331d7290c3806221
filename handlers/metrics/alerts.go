package metrics

import _ "embed"

// AlertRules is the Prometheus alerting rules file for Tollgate's metrics
// (alerts.yml beside this file): Tollgate down, Redis errors, decision
// latency, 5xx answers, a block-ratio spike, growing dead letters, a
// stalled queue, the budget nearly spent and failing IVR challenges.
//
//go:embed alerts.yml
var AlertRules []byte
