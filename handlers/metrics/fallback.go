package metrics

import "github.com/prometheus/client_golang/prometheus"

// fallbackModes are the fail modes of each surface, whose counters start
// at zero.
var fallbackModes = map[string][]string{
	"form": {"deflect", "block", "allow"},
	"api":  {"deflect", "block", "allow"},
	"ivr":  {"challenge", "pass"},
}

// newFallbacks returns tollgate_fallbacks_total with every surface and
// mode at zero.
func newFallbacks() *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "fallbacks_total",
		Help: "Answers a fail mode gave because the store failed or missed the decision budget, by surface (form, api, ivr) and mode (deflect, block, allow; challenge, pass).",
	}, []string{"surface", "mode"})
	for surface, modes := range fallbackModes {
		for _, m := range modes {
			c.WithLabelValues(surface, m)
		}
	}
	return c
}

// ObserveFallback counts one answer the fail mode gave on surface;
// handlers.Faults.ObserveFallback takes it.
func (m *Metrics) ObserveFallback(surface, mode string) {
	m.fallbacks.WithLabelValues(surface, mode).Inc()
}
