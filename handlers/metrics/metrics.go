// Package metrics holds Tollgate's Prometheus collectors: decisions and
// their reasons, engine and HTTP latency, Redis errors, IVR screening and
// challenge outcomes, dial results, and the queue and budget read from
// Redis at scrape time. The risk and contactflows packages know nothing of
// Prometheus: the wrappers here (Engine, Challenges, Dialer, RedisHook)
// observe them from outside, and cmd/tollgate wires them in.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tollgate/tollgate/contactflows"
	"github.com/tollgate/tollgate/risk"
)

// namespace starts every metric name.
const namespace = "tollgate"

// Engine operations timed in tollgate_engine_duration_seconds.
const (
	opEvaluate = "evaluate"
	opScreen   = "screen_caller"
)

// Metrics is the set of Tollgate's collectors, registered in one registry.
// It is safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	decisions      *prometheus.CounterVec
	reasons        *prometheus.CounterVec
	decisionErrors *prometheus.CounterVec
	engineDuration *prometheus.HistogramVec
	httpDuration   *prometheus.HistogramVec
	redisErrors    *prometheus.CounterVec
	screenings     *prometheus.CounterVec
	issued         *prometheus.CounterVec
	verified       *prometheus.CounterVec
	dials          *prometheus.CounterVec
	dialDuration   *prometheus.HistogramVec
	fallbacks      *prometheus.CounterVec
}

// latencyBuckets suit decisions and requests: from 0.5 ms to 10 s.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// New returns Tollgate's collectors registered, with the Go runtime and
// process collectors, in a registry of their own. Every label value known
// in advance starts at zero, so rates and ratios exist before the first
// event.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "decisions_total",
			Help: "Callback decisions made by the engine, by action (allow, deflect, block).",
		}, []string{"action"}),
		reasons: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "decision_reasons_total",
			Help: "Reasons recorded in callback decisions, by the decision's action and the reason code.",
		}, []string{"action", "reason"}),
		decisionErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "decision_errors_total",
			Help: "Callback requests the engine could not decide: invalid_number (the visitor can correct it) or store (Redis failed).",
		}, []string{"kind"}),
		engineDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "engine_duration_seconds",
			Help:    "Time the risk engine took per call: evaluate (a callback decision) or screen_caller (an inbound caller), errors included.",
			Buckets: latencyBuckets,
		}, []string{"op"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "HTTP requests served, by method, route pattern (unmatched for none) and status code.",
			Buckets: latencyBuckets,
		}, []string{"method", "route", "code"}),
		redisErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "redis_errors_total",
			Help: "Redis commands and pipelines that failed, by kind: timeout, canceled, reply (an error Redis answered) or other (connection and the rest). A missing key is not an error.",
		}, []string{"kind"}),
		screenings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "screenings_total",
			Help: "Inbound callers screened, by verdict (pass, challenge, block, error).",
		}, []string{"verdict"}),
		issued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "challenges_issued_total",
			Help: "IVR challenge codes asked for, by result: issued, too_many (the contact had its codes) or error.",
		}, []string{"result"}),
		verified: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "challenge_verifications_total",
			Help: "IVR challenge verifications, by result: pass, retry, fail, expired, spent, unknown or error.",
		}, []string{"result"}),
		dials: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "dials_total",
			Help: "Dials of queued calls, by dialer and result: placed, failed (retried), permanent or maybe_placed.",
		}, []string{"dialer", "result"}),
		dialDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "dial_duration_seconds",
			Help:    "Time one dial took, by dialer.",
			Buckets: latencyBuckets,
		}, []string{"dialer"}),
		fallbacks: newFallbacks(),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.decisions, m.reasons, m.decisionErrors, m.engineDuration, m.httpDuration, m.redisErrors,
		m.screenings, m.issued, m.verified, m.dials, m.dialDuration, m.fallbacks,
	)
	for _, a := range []risk.Action{risk.Allow, risk.Deflect, risk.Block} {
		m.decisions.WithLabelValues(string(a))
	}
	for _, k := range []string{errInvalidNumber, errStore} {
		m.decisionErrors.WithLabelValues(k)
	}
	for _, op := range []string{opEvaluate, opScreen} {
		m.engineDuration.WithLabelValues(op)
	}
	for _, k := range []string{kindTimeout, kindCanceled, kindReply, kindOther} {
		m.redisErrors.WithLabelValues(k)
	}
	for _, v := range []risk.Verdict{risk.Pass, risk.Challenge, risk.Reject} {
		m.screenings.WithLabelValues(string(v))
	}
	m.screenings.WithLabelValues(resultError)
	for _, r := range []string{resultIssued, resultTooMany, resultError} {
		m.issued.WithLabelValues(r)
	}
	for _, r := range []contactflows.VerifyResult{contactflows.VerifyPass, contactflows.VerifyRetry, contactflows.VerifyFail,
		contactflows.VerifyExpired, contactflows.VerifySpent, contactflows.VerifyUnknown} {
		m.verified.WithLabelValues(string(r))
	}
	m.verified.WithLabelValues(resultError)
	return m
}

// Register adds collectors, such as a Store collector, to the registry.
func (m *Metrics) Register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Gatherer is the registry the collectors are in, for tests and handlers.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Handler serves the registry in the Prometheus exposition formats. A
// collector that fails is reported in the scrape's log, not as a 500: the
// other metrics are still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	})
}

// ObserveRequest records one HTTP request served: its method (other for
// an unusual one), its route pattern ("unmatched" when empty: pass the
// pattern, never the raw path, whose values are unbounded), its status and
// how long it took.
func (m *Metrics) ObserveRequest(method, route string, status int, took time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
	default:
		method = "other"
	}
	m.httpDuration.WithLabelValues(method, route, strconv.Itoa(status)).Observe(took.Seconds())
}
