package replay

import (
	"errors"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
)

// TestOneReplayAtATime checks that a replay asked for while another runs
// is refused at once, and that the slot frees when it ends.
func TestOneReplayAtATime(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	t.Cleanup(func() { rdb.Close() })
	e, err := risk.NewEngine(risk.Options{Redis: rdb})
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Settings: risk.DefaultSettings(), Lists: e.ListStore()}
	running <- struct{}{}
	if _, err := Run(t.Context(), nil, o); !errors.Is(err, ErrBusy) {
		t.Errorf("while another runs: got %v, want ErrBusy", err)
	}
	<-running
	res, err := Run(t.Context(), nil, o)
	if err != nil || res.Decisions != 0 {
		t.Errorf("once it ended: got %+v, %v; want an empty replay", res, err)
	}
}
