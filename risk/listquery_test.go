package risk_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/redistest"
)

func TestListEntriesMiniredis(t *testing.T) { runListSuite(t, miniStore) }

// TestListEntriesRedis runs the suite on a redis-server and on a Redis
// Cluster.
func TestListEntriesRedis(t *testing.T) {
	redistest.Each(t, func(t *testing.T, c redis.UniversalClient) {
		runListSuite(t, func(t *testing.T) redis.UniversalClient { redistest.Flush(t, c); return c })
	})
}

// listClock is the fixed time of the list tests.
var listClock = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func listEngine(t *testing.T, rdb redis.UniversalClient, now *time.Time) *risk.Engine {
	t.Helper()
	e, err := risk.NewEngine(risk.Options{Redis: rdb, DefaultRegion: "GB", Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func addAll(t *testing.T, e *risk.Engine, l risk.List, entries ...risk.Entry) {
	t.Helper()
	if _, err := e.ListStore().AddEntries(context.Background(), l, entries); err != nil {
		t.Fatal(err)
	}
}

func values(p risk.ListPage) []string {
	out := make([]string, len(p.Entries))
	for i, e := range p.Entries {
		out[i] = e.Value
	}
	return out
}

func list(t *testing.T, e *risk.Engine, l risk.List, q risk.ListQuery) risk.ListPage {
	t.Helper()
	p, err := e.ListStore().ListEntries(context.Background(), l, q)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func runListSuite(t *testing.T, st store) {
	ctx := context.Background()

	t.Run("pages follow the cursor in value order", func(t *testing.T) {
		now := listClock
		e := listEngine(t, st(t), &now)
		var all []string
		for i := range 25 {
			v := fmt.Sprintf("+4420794600%02d", 99-i)
			all = append(all, v)
			addAll(t, e, risk.DenyNumber, risk.Entry{Value: v})
		}
		slices.Sort(all)
		var got []string
		q := risk.ListQuery{Limit: 10}
		for pages := 0; ; pages++ {
			p := list(t, e, risk.DenyNumber, q)
			if p.Total != 25 {
				t.Fatalf("got total %d, want 25", p.Total)
			}
			got = append(got, values(p)...)
			if p.Next == "" {
				if pages != 2 {
					t.Errorf("got %d pages, want 3", pages+1)
				}
				break
			}
			q.After = p.Next
		}
		if !slices.Equal(got, all) {
			t.Errorf("got %v, want %v", got, all)
		}

		var back []string
		p := list(t, e, risk.DenyNumber, risk.ListQuery{Limit: 10, After: all[19]})
		for q := (risk.ListQuery{Limit: 10, Before: p.Entries[0].Value}); ; {
			prev := list(t, e, risk.DenyNumber, q)
			back = append(values(prev), back...)
			if prev.Next != prev.Entries[len(prev.Entries)-1].Value {
				t.Errorf("previous page: got next %q, want its last value", prev.Next)
			}
			if prev.Prev == "" {
				break
			}
			q.Before = prev.Prev
		}
		if !slices.Equal(back, all[:20]) || p.Prev != all[20] {
			t.Errorf("going back: got %v (prev %q), want %v", back, p.Prev, all[:20])
		}
		p = list(t, e, risk.DenyNumber, risk.ListQuery{Prefix: "+44207946009", Before: "+442079460100", Limit: 3})
		if got := values(p); !slices.Equal(got, all[22:]) || p.Prev != all[22] {
			t.Errorf("previous page of a prefix: got %v prev %q, want %v", got, p.Prev, all[22:])
		}
	})

	t.Run("prefix search is normalised per list", func(t *testing.T) {
		now := listClock
		e := listEngine(t, st(t), &now)
		addAll(t, e, risk.DenyNumber, risk.Entry{Value: "+442079460000"}, risk.Entry{Value: "+442079460001"}, risk.Entry{Value: "+447400123456"})
		addAll(t, e, risk.DenyIP, risk.Entry{Value: "10.1.2.0/24"}, risk.Entry{Value: "10.10.0.0/16"}, risk.Entry{Value: "192.0.2.1"})
		addAll(t, e, risk.DenyASN, risk.Entry{Value: "AS16509"}, risk.Entry{Value: "AS1600"}, risk.Entry{Value: "AS3320"})
		addAll(t, e, risk.DenyCountry, risk.Entry{Value: "CU"}, risk.Entry{Value: "CN"})
		tests := []struct {
			list   risk.List
			prefix string
			want   []string
		}{
			{risk.DenyNumber, "+44 20", []string{"+442079460000", "+442079460001"}},
			{risk.DenyNumber, "004474", []string{"+447400123456"}},
			{risk.DenyIP, "10.1.", []string{"10.1.2.0/24"}},
			{risk.DenyIP, "10.1", []string{"10.1.2.0/24", "10.10.0.0/16"}},
			{risk.DenyASN, "as16", []string{"1600", "16509"}},
			{risk.DenyCountry, "c", []string{"CN", "CU"}},
			{risk.DenyCountry, "x", []string{}},
		}
		for _, tt := range tests {
			p := list(t, e, tt.list, risk.ListQuery{Prefix: tt.prefix})
			if got := values(p); !slices.Equal(got, tt.want) || p.Total != int64(len(tt.want)) {
				t.Errorf("%s %q: got %v total %d, want %v", tt.list, tt.prefix, got, p.Total, tt.want)
			}
		}
		p := list(t, e, risk.DenyNumber, risk.ListQuery{Prefix: "+4420", Limit: 1})
		p = list(t, e, risk.DenyNumber, risk.ListQuery{Prefix: "+4420", Limit: 1, After: p.Next})
		if got := values(p); !slices.Equal(got, []string{"+442079460001"}) || p.Next != "" {
			t.Errorf("second prefix page: got %v next %q, want [+442079460001] and no next", got, p.Next)
		}
	})

	t.Run("status, author and reason filters", func(t *testing.T) {
		now := listClock
		e := listEngine(t, st(t), &now)
		addAll(t, e, risk.DenyCountry,
			risk.Entry{Value: "AA", Author: "ann", Reason: "Fraud wave"},
			risk.Entry{Value: "BB", Author: "bob", Reason: "test", Expires: now.Add(time.Hour)},
			risk.Entry{Value: "CC", Author: "Ann", Reason: "premium fraud", Expires: now.Add(30 * 24 * time.Hour)},
			risk.Entry{Value: "DD", Author: "bob", Expires: now.Add(2 * time.Hour)},
		)
		now = now.Add(90 * time.Minute)
		tests := []struct {
			q    risk.ListQuery
			want []string
		}{
			{risk.ListQuery{Status: risk.StatusActive}, []string{"AA", "CC", "DD"}},
			{risk.ListQuery{Status: risk.StatusExpired}, []string{"BB"}},
			{risk.ListQuery{Status: risk.StatusExpiring}, []string{"DD"}},
			{risk.ListQuery{Author: "ann"}, []string{"AA", "CC"}},
			{risk.ListQuery{Reason: "FRAUD"}, []string{"AA", "CC"}},
			{risk.ListQuery{Author: "bob", Status: risk.StatusActive}, []string{"DD"}},
		}
		for _, tt := range tests {
			if got := values(list(t, e, risk.DenyCountry, tt.q)); !slices.Equal(got, tt.want) {
				t.Errorf("%+v: got %v, want %v", tt.q, got, tt.want)
			}
		}
	})

	t.Run("a rare match costs a bounded read and a cursor", func(t *testing.T) {
		now := listClock
		e := listEngine(t, st(t), &now)
		n := risk.MaxExamined + 500
		entries := make([]risk.Entry, n)
		for i := range entries {
			entries[i] = risk.Entry{Value: fmt.Sprintf("+44207%07d", i), Author: "bulk"}
		}
		entries[n-1].Author = "rare"
		addAll(t, e, risk.DenyNumber, entries...)
		p := list(t, e, risk.DenyNumber, risk.ListQuery{Author: "rare"})
		if len(p.Entries) != 0 || p.Next == "" || p.Examined != risk.MaxExamined {
			t.Fatalf("got %d entries, next %q, examined %d; want none, a cursor and %d examined", len(p.Entries), p.Next, p.Examined, risk.MaxExamined)
		}
		p = list(t, e, risk.DenyNumber, risk.ListQuery{Author: "rare", After: p.Next})
		if got := values(p); !slices.Equal(got, []string{entries[n-1].Value}) || p.Next != "" {
			t.Errorf("got %v next %q, want the rare entry and no cursor", got, p.Next)
		}
	})

	t.Run("remove and sweep keep the index in step", func(t *testing.T) {
		now := listClock
		rdb := st(t)
		e := listEngine(t, rdb, &now)
		addAll(t, e, risk.DenyPrefix, risk.Entry{Value: "+881"}, risk.Entry{Value: "+882", Expires: now.Add(time.Minute)}, risk.Entry{Value: "+883"})
		if err := e.ListStore().RemoveEntry(ctx, risk.DenyPrefix, "+881"); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Hour)
		if _, err := e.ListStore().SweepExpired(ctx); err != nil {
			t.Fatal(err)
		}
		p := list(t, e, risk.DenyPrefix, risk.ListQuery{})
		if got := values(p); !slices.Equal(got, []string{"+883"}) || p.Total != 1 || p.Examined != 1 {
			t.Errorf("got %v total %d examined %d, want [+883] 1 1", got, p.Total, p.Examined)
		}
		if n := rdb.ZCard(ctx, "tg:{lists}:idx:deny_prefix").Val(); n != 1 {
			t.Errorf("index holds %d values, want 1", n)
		}
	})

	t.Run("a missing index is rebuilt", func(t *testing.T) {
		now := listClock
		rdb := st(t)
		e := listEngine(t, rdb, &now)
		addAll(t, e, risk.AllowIP, risk.Entry{Value: "10.0.0.0/8"}, risk.Entry{Value: "192.0.2.0/24"})
		addAll(t, e, risk.DenyASN, risk.Entry{Value: "AS1"})
		rdb.Del(ctx, "tg:{lists}:idx:allow_ip")
		rebuilt, err := e.ListStore().EnsureListIndex(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rebuilt, []risk.List{risk.AllowIP}) {
			t.Errorf("rebuilt %v, want [allow_ip]", rebuilt)
		}
		if got := values(list(t, e, risk.AllowIP, risk.ListQuery{})); !slices.Equal(got, []string{"10.0.0.0/8", "192.0.2.0/24"}) {
			t.Errorf("got %v after the rebuild", got)
		}
		if rebuilt, _ := e.ListStore().EnsureListIndex(ctx); len(rebuilt) != 0 {
			t.Errorf("second call rebuilt %v, want nothing", rebuilt)
		}
	})

	t.Run("several lists in one transaction", func(t *testing.T) {
		now := listClock
		e := listEngine(t, st(t), &now)
		out, err := e.ListStore().AddEntriesToLists(ctx, map[risk.List][]risk.Entry{
			risk.DenyNumber:  {{Value: "07400 123456", Expires: now.Add(time.Hour)}},
			risk.DenyIP:      {{Value: "192.0.2.7"}},
			risk.AllowNumber: nil,
		})
		if err != nil {
			t.Fatal(err)
		}
		if out[risk.DenyNumber][0].Value != "+447400123456" || out[risk.DenyIP][0].Value != "192.0.2.7/32" || !out[risk.DenyIP][0].Created.Equal(now) {
			t.Errorf("got %+v, want the normalised entries created now", out)
		}
		if got := values(list(t, e, risk.DenyNumber, risk.ListQuery{})); !slices.Equal(got, []string{"+447400123456"}) {
			t.Errorf("deny_number: got %v, want the number", got)
		}
		if got := values(list(t, e, risk.DenyIP, risk.ListQuery{})); !slices.Equal(got, []string{"192.0.2.7/32"}) {
			t.Errorf("deny_ip: got %v, want the address", got)
		}
		now = now.Add(2 * time.Hour)
		if n, err := e.ListStore().SweepExpired(ctx); err != nil || n != 1 {
			t.Errorf("sweep: got %d, %v; want 1 expired entry", n, err)
		}
		if p := list(t, e, risk.DenyNumber, risk.ListQuery{}); p.Total != 0 {
			t.Errorf("deny_number after the sweep: got %v, want none", values(p))
		}

		_, err = e.ListStore().AddEntriesToLists(ctx, map[risk.List][]risk.Entry{
			risk.DenyNumber: {{Value: "+447400123457"}},
			risk.DenyIP:     {{Value: "192.0.2.8"}, {Value: "not an address"}},
		})
		var ee risk.EntryErrors
		if !errors.As(err, &ee) || len(ee) != 1 || ee[0].List != risk.DenyIP || ee[0].Index != 1 {
			t.Fatalf("a refused value: got %v, want EntryErrors naming deny_ip entry 2", err)
		}
		if _, found, _ := e.ListStore().LookupEntry(ctx, risk.DenyNumber, "+447400123457"); found {
			t.Error("a refused batch added its number")
		}
	})

	t.Run("counts and lookups", func(t *testing.T) {
		now := listClock
		e := listEngine(t, st(t), &now)
		addAll(t, e, risk.DenyNumber, risk.Entry{Value: "07400 123456", Reason: "fraud", Author: "ann"})
		counts, err := e.ListStore().ListCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if counts[risk.DenyNumber] != 1 || counts[risk.DenyIP] != 0 || len(counts) != len(risk.Lists()) {
			t.Errorf("got counts %v, want deny_number 1, others 0", counts)
		}
		en, found, err := e.ListStore().LookupEntry(ctx, risk.DenyNumber, "+44 7400 123456")
		if err != nil || !found || en.Reason != "fraud" || en.Author != "ann" {
			t.Errorf("got %+v found %v err %v, want the fraud entry", en, found, err)
		}
		if _, found, _ := e.ListStore().LookupEntry(ctx, risk.DenyNumber, "+447400123457"); found {
			t.Error("an unlisted number was found")
		}
		got, err := e.ListStore().LookupEntries(ctx, map[risk.List][]string{risk.DenyNumber: {"+447400123457", "07400 123456"}, risk.DenyIP: {"192.0.2.1"}})
		if err != nil || len(got) != 1 || len(got[risk.DenyNumber]) != 1 || got[risk.DenyNumber][0].Reason != "fraud" {
			t.Errorf("LookupEntries: got %+v, %v; want only the fraud entry", got, err)
		}
		if _, err := e.ListStore().LookupEntries(ctx, map[risk.List][]string{risk.DenyIP: {"not an address"}}); err == nil {
			t.Error("LookupEntries of an invalid value: got no error")
		}
	})
}

func TestListEntriesRefusesUnknownList(t *testing.T) {
	now := listClock
	e := listEngine(t, miniStore(t), &now)
	if _, err := e.ListStore().ListEntries(context.Background(), "nope", risk.ListQuery{}); err == nil {
		t.Error("got no error for an unknown list")
	}
	_, err := risk.ParseList("deny_numbers")
	if err == nil || !strings.Contains(err.Error(), "deny_number, deny_prefix") {
		t.Errorf("got %v, want an error naming the lists", err)
	}
}

func TestParseEntryStatus(t *testing.T) {
	for in, want := range map[string]risk.EntryStatus{"": risk.StatusAll, "all": risk.StatusAll, "Active": risk.StatusActive, "expiring": risk.StatusExpiring} {
		if got, err := risk.ParseEntryStatus(in); got != want || err != nil {
			t.Errorf("ParseEntryStatus(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := risk.ParseEntryStatus("soon"); err == nil {
		t.Error("got no error for an unknown status")
	}
}
