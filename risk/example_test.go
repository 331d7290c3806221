package risk_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/geo"
)

// A request from a Tor exit on a hosting network, for a number in another
// country, is blocked; the reasons say why.
func ExampleEngine_Evaluate() {
	m, _ := miniredis.Run()
	defer m.Close()
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	db, _ := geo.Demo()
	engine, _ := risk.NewEngine(risk.Options{Redis: rdb, GeoIP: db, DefaultRegion: "GB"})
	defer engine.Close()

	d, err := engine.Evaluate(context.Background(), risk.Request{
		Phone: "07400 123456",
		IP:    netip.MustParseAddr("203.0.113.7"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Action, d.Score, d.Number, d.NumberCountry, d.NumberType, d.IPCountry)
	for _, r := range d.Reasons {
		fmt.Printf("%-22s %3d  %s\n", r.Code, r.Weight, r.Detail)
	}
	// Output:
	// block 140 +447400123456 GB mobile NL
	// ip_geo_mismatch         20  visitor in NL, number in GB
	// ip_tor_exit             60  Tor exit node
	// ip_hosting_provider     30  hosting provider network
	// ip_hosting_asn          30  AS16509 is a hosting network
}

// A number that cannot be valid is a validation error, not a block.
func ExampleNumberError() {
	m, _ := miniredis.Run()
	defer m.Close()
	engine, _ := risk.NewEngine(risk.Options{Redis: redis.NewClient(&redis.Options{Addr: m.Addr()})})
	_, err := engine.Evaluate(context.Background(), risk.Request{Phone: "+44 12", IP: netip.MustParseAddr("192.0.2.1")})
	fmt.Println(err)
	// Output: invalid phone number: That number is too short.
}

// Lists are read a page at a time in value order; a search by prefix is
// normalised the way the list stores its values.
func ExampleListStore_ListEntries() {
	m, _ := miniredis.Run()
	defer m.Close()
	engine, _ := risk.NewEngine(risk.Options{Redis: redis.NewClient(&redis.Options{Addr: m.Addr()}), DefaultRegion: "GB"})
	defer engine.Close()
	ctx := context.Background()
	_, _ = engine.ListStore().AddEntries(ctx, risk.DenyNumber, []risk.Entry{
		{Value: "020 7946 0001", Reason: "fraud wave", Author: "ann"},
		{Value: "020 7946 0000", Reason: "fraud wave", Author: "ann"},
		{Value: "07400 123456", Reason: "premium", Author: "bob"},
	})
	page, _ := engine.ListStore().ListEntries(ctx, risk.DenyNumber, risk.ListQuery{Prefix: "+44 20", Limit: 1})
	fmt.Println(page.Total, page.Entries[0].Value, page.Next)
	page, _ = engine.ListStore().ListEntries(ctx, risk.DenyNumber, risk.ListQuery{Prefix: "+44 20", After: page.Next})
	fmt.Println(page.Entries[0].Value, page.Next == "")
	// Output:
	// 2 +442079460000 +442079460000
	// +442079460001 true
}
