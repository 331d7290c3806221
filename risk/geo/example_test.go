package geo_test

import (
	"fmt"
	"log"
	"net/netip"

	"github.com/tollgate/tollgate/risk/geo"
)

func ExampleDB_Lookup() {
	db, err := geo.Demo()
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	info := db.Lookup(netip.MustParseAddr("203.0.113.7"))
	fmt.Println("country:", info.Country)
	fmt.Println("asn:", info.ASN, info.ASOrg)
	fmt.Printf("flags: %+v\n", info.Anonymous)
	fmt.Println("anonymous:", info.Anonymous.Any())
	// Output:
	// country: NL
	// asn: 16509 Amazon.com, Inc.
	// flags: {VPN:false Tor:true PublicProxy:false ResidentialProxy:false Hosting:true}
	// anonymous: true
}
