package geo

import (
	"math"
	"net/netip"
	"strings"
	"testing"
)

func TestBuildRoundTrip(t *testing.T) {
	dbs, err := Build(DemoNetworks())
	if err != nil {
		t.Fatal(err)
	}
	d, err := OpenBytes(dbs.Country, dbs.ASN, dbs.Anonymous)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	tests := []struct {
		ip   string
		want Info
	}{
		{"192.0.2.1", Info{Country: "US", ASN: 64500, ASOrg: "Example Residential US"}},
		{"198.51.100.255", Info{Country: "GB", ASN: 64501, ASOrg: "Example Broadband GB"}},
		{"203.0.113.7", Info{Country: "NL", ASN: 16509, ASOrg: "Amazon.com, Inc.", Anonymous: Anonymous{Tor: true, Hosting: true}}},
		{"100.64.0.9", Info{Country: "FR", ASN: 64502, ASOrg: "Example Mobile FR", Anonymous: Anonymous{ResidentialProxy: true}}},
		{"::ffff:203.0.113.7", Info{Country: "NL", ASN: 16509, ASOrg: "Amazon.com, Inc.", Anonymous: Anonymous{Tor: true, Hosting: true}}},
		{"::ffff:192.0.2.1", Info{Country: "US", ASN: 64500, ASOrg: "Example Residential US"}},
		{"2001:db8::1", Info{Country: "DE", ASN: 64503, ASOrg: "Example Kabel DE"}},
		{"2001:db8:0:ffff::1", Info{Country: "DE", ASN: 64503, ASOrg: "Example Kabel DE"}},
		{"2001:db8:1::42", Info{Country: "US", ASN: 9009, ASOrg: "M247 Europe SRL", Anonymous: Anonymous{VPN: true, Hosting: true}}},
		{"192.0.3.1", Info{}},
		{"100.64.1.1", Info{}},
		{"2001:db8:2::1", Info{}},
		{"10.0.0.1", Info{}},
	}
	for _, tt := range tests {
		got := d.Lookup(netip.MustParseAddr(tt.ip))
		if got != tt.want {
			t.Errorf("Lookup(%s) = %+v, want %+v", tt.ip, got, tt.want)
		}
	}
	if got := d.Lookup(netip.Addr{}); got != (Info{}) {
		t.Errorf("Lookup(zero Addr) = %+v, want zero Info", got)
	}
}

func TestBuildOnlyInsertsDataItHas(t *testing.T) {
	dbs, err := Build([]Network{
		{Prefix: netip.MustParsePrefix("192.0.2.0/25"), Country: "se"},
		{Prefix: netip.MustParsePrefix("192.0.2.128/25"), ASN: 64510},
		{Prefix: netip.MustParsePrefix("198.51.100.0/24"), Anonymous: Anonymous{PublicProxy: true}},
		{Prefix: netip.MustParsePrefix("::ffff:203.0.113.0/120"), Country: "JP"},
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := OpenBytes(dbs.Country, dbs.ASN, dbs.Anonymous)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	tests := []struct {
		ip   string
		want Info
	}{
		{"192.0.2.1", Info{Country: "SE"}},
		{"192.0.2.200", Info{ASN: 64510}},
		{"198.51.100.1", Info{Anonymous: Anonymous{PublicProxy: true}}},
		{"203.0.113.1", Info{Country: "JP"}},
	}
	for _, tt := range tests {
		if got := d.Lookup(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("Lookup(%s) = %+v, want %+v", tt.ip, got, tt.want)
		}
	}
}

func TestBuildOverlapLaterWins(t *testing.T) {
	dbs, err := Build([]Network{
		{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Country: "US"},
		{Prefix: netip.MustParsePrefix("192.0.2.128/25"), Country: "CA"},
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := OpenBytes(dbs.Country, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for ip, want := range map[string]string{"192.0.2.1": "US", "192.0.2.129": "CA"} {
		if got := d.Lookup(netip.MustParseAddr(ip)).Country; got != want {
			t.Errorf("Lookup(%s).Country = %q, want %q", ip, got, want)
		}
	}
}

func TestBuildEmpty(t *testing.T) {
	dbs, err := Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := OpenBytes(dbs.Country, dbs.ASN, dbs.Anonymous)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if got := d.Disabled(); len(got) != 0 {
		t.Errorf("Disabled() = %v, want none", got)
	}
	if got := d.Lookup(netip.MustParseAddr("192.0.2.1")); got != (Info{}) {
		t.Errorf("Lookup = %+v, want zero Info", got)
	}
}

func TestBuildRejects(t *testing.T) {
	tests := []struct {
		name string
		net  Network
		want string
	}{
		{"invalid prefix", Network{Country: "US"}, "invalid prefix"},
		{"long country", Network{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Country: "USA"}, `country "USA"`},
		{"digit country", Network{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Country: "U1"}, `country "U1"`},
		{"wide mapped prefix", Network{Prefix: netip.MustParsePrefix("::ffff:0:0/95"), Country: "US"}, "IPv4-mapped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build([]Network{tt.net})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Build error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestBuildRejectsWideASN(t *testing.T) {
	asn := uint(math.MaxUint32)
	asn++
	if asn == 0 {
		t.Skip("uint is 32 bits")
	}
	_, err := Build([]Network{{Prefix: netip.MustParsePrefix("192.0.2.0/24"), ASN: asn}})
	if err == nil || !strings.Contains(err.Error(), "32 bits") {
		t.Errorf("Build error = %v, want one containing %q", err, "32 bits")
	}
}
