package dispatch

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
	"github.com/tollgate/tollgate/risk/spike"
)

// TestRecordCountsSpikes records decisions on a redis-server and on a
// 3-master Redis Cluster: the spike counts go into the decision's
// transaction, one hash per minute, and expire.
func TestRecordCountsSpikes(t *testing.T) { redistest.Each(t, testRecordCountsSpikes) }

func testRecordCountsSpikes(t *testing.T, cc redis.UniversalClient) {
	s := risk.DefaultSpikes()
	q, err := NewQueue(QueueOptions{Redis: cc, Dialer: &fakeDialer{}, Spikes: func() risk.Spikes { return s }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	at := time.Now().UTC()
	for i := range 3 {
		d := risk.Decision{ID: fmt.Sprintf("s%d", i), Action: risk.Block, Number: "+12015550123", NumberCountry: "US",
			IP: netip.MustParseAddr(fmt.Sprintf("192.0.2.%d", i+1)), At: at}
		if err := q.Record(ctx, d, nil); err != nil {
			t.Fatal(err)
		}
	}
	k := "tg:{calls}:spike:m:" + strconv.FormatInt(at.Unix()/60, 10)
	got, err := cc.HGetAll(ctx, k).Result()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"country|US": "3", "prefix|+1201555": "3", "ip_network|192.0.2.0/24": "3"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("minute counts: got %v, want %v", got, want)
	}
	if ttl := cc.TTL(ctx, k).Val(); ttl <= 0 || ttl > s.Keep() {
		t.Errorf("TTL: got %s, want up to %s", ttl, s.Keep())
	}

	s = risk.Spikes{}
	if err := q.Record(ctx, risk.Decision{ID: "off", Action: risk.Block, Number: "+12015550123", At: at}, nil); err != nil {
		t.Fatal(err)
	}
	if n := cc.HGet(ctx, k, "prefix|+1201555").Val(); n != "3" {
		t.Errorf("detection off: count got %s, want 3 (not counted)", n)
	}
}

// TestDetectorOnRedis finds a spike in counts Record wrote to a real
// redis-server, and blocks it through the real engine.
func TestDetectorOnRedis(t *testing.T) {
	redistest.Each(t, testDetectorOnRedis)
}

func testDetectorOnRedis(t *testing.T, rdb redis.UniversalClient) {
	engine, err := risk.NewEngine(risk.Options{Redis: rdb, DefaultRegion: "US"})
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close()
	s := engine.SettingsStore().SpikeSettings()
	s.AutoBlock = risk.BlockOn
	q, err := NewQueue(QueueOptions{Redis: rdb, Dialer: &fakeDialer{}, Spikes: func() risk.Spikes { return s }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range s.Network.Floor {
		d := risk.Decision{ID: fmt.Sprintf("n%d", i), Action: risk.Allow, Number: fmt.Sprintf("+1201555%04d", i),
			IP: netip.MustParseAddr("203.0.113.9")}
		if err := q.Record(ctx, d, nil); err != nil {
			t.Fatal(err)
		}
	}
	store := spike.NewStore(rdb, engine.ListStore())
	det, err := spike.NewDetector(spike.DetectorOptions{Redis: rdb, Store: store, Settings: func() risk.Spikes { return s }})
	if err != nil {
		t.Fatal(err)
	}
	alerts, err := det.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var blocked []string
	for _, a := range alerts {
		if a.Action == spike.ActionBlocked {
			blocked = append(blocked, string(a.List)+" "+a.Value)
		}
	}
	if want := "[deny_ip 203.0.113.0/24 deny_prefix +1201555]"; fmt.Sprint(blocked) != want {
		t.Fatalf("blocked: got %v, want %s", blocked, want)
	}
	en, found, err := engine.ListStore().LookupEntry(ctx, risk.DenyIP, "203.0.113.0/24")
	if err != nil || !found || en.Author != spike.Author || en.Expires.IsZero() {
		t.Errorf("deny_ip entry: got %+v %v %v", en, found, err)
	}
}
