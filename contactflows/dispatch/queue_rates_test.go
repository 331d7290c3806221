package dispatch

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk/redistest"
)

// The queue asks Rates before every dial, so a changed rate applies to
// the next call without a restart.
func TestQueueRatesReadPerDial(t *testing.T) {
	redistest.Each(t, testQueueRatesReadPerDial)
}

func testQueueRatesReadPerDial(t *testing.T, rdb redis.UniversalClient) {
	d := &fakeDialer{}
	var perCountry atomic.Int64
	h := newHarness(t, rdb, d, QueueOptions{Workers: 2, Rates: func() (int, int) { return 0, int(perCountry.Load()) }})
	h.run(t)
	h.submit(t, "free", "+447700900000", "GB")
	eventually(t, "the uncapped call placed", func() bool { _, n := d.count(""); return n == 1 })

	perCountry.Store(1)
	for i := range 2 {
		h.submit(t, fmt.Sprintf("capped%d", i), fmt.Sprintf("+44770090%04d", i+1), "GB")
	}
	eventually(t, "one capped call placed, one waiting", func() bool {
		_, n := d.count("")
		return n == 2 && rdb.ZCard(context.Background(), retryKey).Val() == 1
	})
}
