package replay_test

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate/tollgate/risk/replay"
)

// BenchmarkReplay replays recorded traffic (record's mix, 600 decisions
// repeated to 50,000, BacktestMax, with fresh entry ids) with the settings in force and
// reports decisions replayed a second and the most heap in use meanwhile,
// per decision.
//
//	go test ./risk/replay -run '^$' -bench Replay -benchtime 1x
func BenchmarkReplay(b *testing.B) {
	tr := record(b)
	const n = 50_000
	var recorded []replay.Recorded
	for i := 0; len(recorded) < n; i++ {
		for _, r := range tr.recorded {
			r.Decision.At = r.Decision.At.Add(time.Duration(i) * time.Hour)
			r.Entry = replayEntry(r.Decision.At, len(recorded))
			recorded = append(recorded, r)
		}
	}
	recorded = recorded[:n]
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	sample := func(int, int) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > peak.Load() {
			peak.Store(ms.HeapInuse)
		}
	}
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		res, err := replay.Run(b.Context(), recorded, replay.Options{Settings: tr.settings, Lists: tr.engine.ListStore(), Progress: sample})
		if err != nil || res.Decisions != n {
			b.Fatalf("replayed %d, %v", res.Decisions, err)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "decisions/s")
		b.ReportMetric(float64(peak.Load()-base.HeapInuse)/n, "heap-bytes/decision")
	}
}
