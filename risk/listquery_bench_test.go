package risk_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/tollgate/tollgate/risk"
)

// BenchmarkListEntries100k reads pages of a 100,000-entry list on a real
// Redis: the first page, a prefix search, a page deep behind a cursor and
// a filter by author that matches one entry in a hundred.
//
//	go test ./risk -run '^$' -bench ListEntries100k
func BenchmarkListEntries100k(b *testing.B) {
	rdb := benchRedis(b)
	e := benchEngine(b, rdb, nil)
	ctx := context.Background()
	const n = 100_000
	entries := make([]risk.Entry, 0, 10_000)
	for i := range n {
		author := "bulk"
		if i%100 == 0 {
			author = "ann"
		}
		entries = append(entries, risk.Entry{Value: fmt.Sprintf("+1201%07d", i), Reason: "bench", Author: author})
		if len(entries) == cap(entries) {
			if _, err := e.ListStore().AddEntries(ctx, risk.DenyNumber, entries); err != nil {
				b.Fatal(err)
			}
			entries = entries[:0]
		}
	}
	queries := []struct {
		name string
		q    risk.ListQuery
	}{
		{"first-page", risk.ListQuery{}},
		{"prefix", risk.ListQuery{Prefix: "+1 201 005"}},
		{"deep-cursor", risk.ListQuery{After: "+12010090000"}},
		{"author", risk.ListQuery{Author: "ann"}},
	}
	for _, bq := range queries {
		b.Run(bq.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := e.ListStore().ListEntries(ctx, risk.DenyNumber, bq.q)
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Entries) == 0 {
					b.Fatal("empty page")
				}
			}
		})
	}
}

// BenchmarkListMirrorReload times what another instance's write to a list
// of 100,000 entries costs this one: reading that list again.
//
//	go test ./risk -run '^$' -bench ListMirrorReload -benchtime 10x
func BenchmarkListMirrorReload(b *testing.B) {
	rdb := benchRedis(b)
	here, other := benchEngine(b, rdb, nil), benchEngine(b, rdb, nil)
	fillLists(b, other, 100_000)
	ctx := context.Background()
	if err := here.ListStore().LoadMirror(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		if _, err := other.ListStore().AddEntry(ctx, risk.DenyNumber, risk.Entry{Value: fmt.Sprintf("+4420%08d", i)}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := here.ListStore().LoadMirror(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
