package main

import (
	"net/netip"

	"github.com/tollgate/tollgate/risk/geo"
)

// simNetwork is one range the simulator places visitors in.
type simNetwork struct {
	prefix netip.Prefix
	net    geo.Network
}

// The simulator's networks, all documentation, private-use or shared
// address space, so no real visitor is ever named:
//
//	prefix            country  ASN    kind
//	10.0.0.0/9        US       64600  residential broadband
//	10.128.0.0/9      GB       64601  residential broadband
//	172.16.0.0/12     US       16509  Amazon hosting (hosting flag)
//	192.168.0.0/16    NL       9009   M247 VPN (VPN and hosting flags)
//	100.64.0.0/10     DE       64602  residential proxy pool (residential proxy flag)
//	198.18.0.0/15     DE       64603  residential broadband
//	2001:db8::/32     GB       64604  residential broadband (IPv6)
//	3fff:100::/32     US       64607  residential cable (IPv6)
//	192.0.2.0/24      US       21928  T-Mobile USA carrier-grade NAT
//	198.51.100.0/24   GB       64605  Sim Mobile GB carrier-grade NAT
//	203.0.113.0/24    US       64606  one office's NAT
//
// AS21928 is T-Mobile USA's mobile network, on Tollgate's shipped list of
// shared-address networks (risk.ShippedSharedNetworks); AS64605 is private,
// on no list.
var (
	netResidentialUS = netip.MustParsePrefix("10.0.0.0/9")
	netResidentialGB = netip.MustParsePrefix("10.128.0.0/9")
	netHosting       = netip.MustParsePrefix("172.16.0.0/12")
	netVPN           = netip.MustParsePrefix("192.168.0.0/16")
	netResProxy      = netip.MustParsePrefix("100.64.0.0/10")
	netResidentialDE = netip.MustParsePrefix("198.18.0.0/15")
	// netResidentialGBv6 is the IPv6 documentation range.
	netResidentialGBv6 = netip.MustParsePrefix("2001:db8::/32")
	// netResidentialUSv6 is inside 3fff::/20, the other IPv6 documentation range.
	netResidentialUSv6 = netip.MustParsePrefix("3fff:100::/32")
	// netCarrierUS, netCarrierGB and netOffice are the IPv4 documentation
	// ranges TEST-NET-1, -2 and -3.
	netCarrierUS = netip.MustParsePrefix("192.0.2.0/24")
	netCarrierGB = netip.MustParsePrefix("198.51.100.0/24")
	netOffice    = netip.MustParsePrefix("203.0.113.0/24")
)

// simNetworks returns what the simulator's GeoIP databases hold.
func simNetworks() []geo.Network {
	return []geo.Network{
		{Prefix: netResidentialUS, Country: "US", ASN: 64600, ASOrg: "Sim Residential US"},
		{Prefix: netResidentialGB, Country: "GB", ASN: 64601, ASOrg: "Sim Broadband GB"},
		{Prefix: netHosting, Country: "US", ASN: 16509, ASOrg: "Amazon.com, Inc.", Anonymous: geo.Anonymous{Hosting: true}},
		{Prefix: netVPN, Country: "NL", ASN: 9009, ASOrg: "M247 Europe SRL", Anonymous: geo.Anonymous{VPN: true, Hosting: true}},
		{Prefix: netResProxy, Country: "DE", ASN: 64602, ASOrg: "Sim Proxy Pool", Anonymous: geo.Anonymous{ResidentialProxy: true}},
		{Prefix: netResidentialDE, Country: "DE", ASN: 64603, ASOrg: "Sim Kabel DE"},
		{Prefix: netResidentialGBv6, Country: "GB", ASN: 64604, ASOrg: "Sim Fibre GB"},
		{Prefix: netResidentialUSv6, Country: "US", ASN: 64607, ASOrg: "Sim Cable US"},
		{Prefix: netCarrierUS, Country: "US", ASN: 21928, ASOrg: "T-Mobile USA, Inc."},
		{Prefix: netCarrierGB, Country: "GB", ASN: 64605, ASOrg: "Sim Mobile GB"},
		{Prefix: netOffice, Country: "US", ASN: 64606, ASOrg: "Sim Office US"},
	}
}

// writeGeoIP builds the simulator's databases into dir.
func writeGeoIP(dir string) (geo.Paths, error) {
	dbs, err := geo.Build(simNetworks())
	if err != nil {
		return geo.Paths{}, err
	}
	return dbs.WriteFiles(dir)
}
