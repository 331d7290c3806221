package geo

import "net/netip"

// DemoNetworks returns the networks of the demo databases. All are
// documentation or shared address space, so none is a real visitor:
//
//	prefix             country  ASN    organization             flags
//	192.0.2.0/24       US       64500  Example Residential US   -
//	198.51.100.0/24    GB       64501  Example Broadband GB     -
//	203.0.113.0/24     NL       16509  Amazon.com, Inc.         Tor, Hosting
//	100.64.0.0/24      FR       64502  Example Mobile FR        ResidentialProxy
//	2001:db8::/48      DE       64503  Example Kabel DE         -
//	2001:db8:1::/48    US       9009   M247 Europe SRL          VPN, Hosting
//
// 203.0.113.0/24 carries a real hosting ASN so hosting-ASN lists match it.
func DemoNetworks() []Network {
	return []Network{
		{
			Prefix:  netip.MustParsePrefix("192.0.2.0/24"),
			Country: "US", ASN: 64500, ASOrg: "Example Residential US",
		},
		{
			Prefix:  netip.MustParsePrefix("198.51.100.0/24"),
			Country: "GB", ASN: 64501, ASOrg: "Example Broadband GB",
		},
		{
			Prefix:  netip.MustParsePrefix("203.0.113.0/24"),
			Country: "NL", ASN: 16509, ASOrg: "Amazon.com, Inc.",
			Anonymous: Anonymous{Tor: true, Hosting: true},
		},
		{
			Prefix:  netip.MustParsePrefix("100.64.0.0/24"),
			Country: "FR", ASN: 64502, ASOrg: "Example Mobile FR",
			Anonymous: Anonymous{ResidentialProxy: true},
		},
		{
			Prefix:  netip.MustParsePrefix("2001:db8::/48"),
			Country: "DE", ASN: 64503, ASOrg: "Example Kabel DE",
		},
		{
			Prefix:  netip.MustParsePrefix("2001:db8:1::/48"),
			Country: "US", ASN: 9009, ASOrg: "M247 Europe SRL",
			Anonymous: Anonymous{VPN: true, Hosting: true},
		},
	}
}

// Demo opens in-memory databases built from DemoNetworks.
func Demo() (*DB, error) {
	dbs, err := Build(DemoNetworks())
	if err != nil {
		return nil, err
	}
	return OpenBytes(dbs.Country, dbs.ASN, dbs.Anonymous)
}
