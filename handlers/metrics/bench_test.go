package metrics

import (
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tollgate/tollgate/risk"
)

// BenchmarkObserveDecision is the cost metrics add to one decision with
// three reasons.
func BenchmarkObserveDecision(b *testing.B) {
	m := New()
	d := risk.Decision{Action: risk.Block, Reasons: []risk.Reason{{Code: risk.CodeDenyNumber}, {Code: "ip_tor_exit"}, {Code: "ip_hosting_asn"}}}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ObserveDecision(d, nil, time.Millisecond)
		}
	})
}

// BenchmarkScrape is one scrape of /metrics, the store collector answering
// at once, after a few hundred series were created.
func BenchmarkScrape(b *testing.B) {
	m := New()
	if err := m.Register(fakeStore()); err != nil {
		b.Fatal(err)
	}
	for _, code := range []string{"deny_number", "ip_tor_exit", "velocity_ip_warning", "form_too_fast"} {
		for _, a := range []risk.Action{risk.Allow, risk.Deflect, risk.Block} {
			m.ObserveDecision(risk.Decision{Action: a, Reasons: []risk.Reason{{Code: code}}}, nil, time.Millisecond)
		}
	}
	for _, route := range []string{"/", "/api/v1/callbacks", "/admin", "/healthz"} {
		m.ObserveRequest("GET", route, 200, time.Millisecond)
	}
	h := m.Handler()
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		io.Copy(io.Discard, w.Body)
	}
}
