package geo

import (
	"bytes"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// The database types Build writes, as geoip2 expects them.
const (
	countryType   = "GeoIP2-Country"
	asnType       = "GeoLite2-ASN"
	anonymousType = "GeoIP2-Anonymous-IP"
)

// Network is what Build records for one prefix. Zero fields are left out.
type Network struct {
	// Prefix is an IPv4 or IPv6 network; an IPv4-mapped IPv6 prefix is
	// stored as IPv4.
	Prefix netip.Prefix
	// Country is an ISO 3166-1 alpha-2 code, either case.
	Country string
	// ASN is the autonomous system number; at most 2^32-1.
	ASN uint
	// ASOrg is the organization that owns ASN.
	ASOrg string
	// Anonymous holds the anonymizer flags.
	Anonymous Anonymous
}

// Databases holds MaxMind DB files in memory, ready for OpenBytes.
type Databases struct {
	// Country is a GeoIP2-Country database.
	Country []byte
	// ASN is a GeoLite2-ASN database.
	ASN []byte
	// Anonymous is a GeoIP2-Anonymous-IP database.
	Anonymous []byte
}

// Build writes a Country, an ASN and an Anonymous IP database holding nets.
// Each database gets only the networks that have data for it. The trees are
// IPv6 with IPv4 mapped in, and accept reserved ranges such as the
// documentation networks. Where prefixes overlap, the later one wins.
func Build(nets []Network) (Databases, error) {
	var dbs Databases
	targets := []struct {
		dbType string
		record func(Network) (mmdbtype.Map, error)
		out    *[]byte
		tree   *mmdbwriter.Tree
	}{
		{dbType: countryType, record: countryRecord, out: &dbs.Country},
		{dbType: asnType, record: asnRecord, out: &dbs.ASN},
		{dbType: anonymousType, record: anonymousRecord, out: &dbs.Anonymous},
	}
	for i := range targets {
		t, err := mmdbwriter.New(mmdbwriter.Options{
			DatabaseType:            targets[i].dbType,
			Description:             map[string]string{"en": "Tollgate " + targets[i].dbType},
			IncludeReservedNetworks: true,
		})
		if err != nil {
			return Databases{}, fmt.Errorf("geo: new %s tree: %w", targets[i].dbType, err)
		}
		targets[i].tree = t
	}
	for i, n := range nets {
		ipnet, err := ipNet(n.Prefix)
		if err != nil {
			return Databases{}, fmt.Errorf("geo: network %d: %w", i, err)
		}
		for _, t := range targets {
			rec, err := t.record(n)
			if err == nil && rec != nil {
				err = t.tree.Insert(ipnet, rec)
			}
			if err != nil {
				return Databases{}, fmt.Errorf("geo: network %d (%s): %w", i, n.Prefix, err)
			}
		}
	}
	for _, t := range targets {
		var buf bytes.Buffer
		if _, err := t.tree.WriteTo(&buf); err != nil {
			return Databases{}, fmt.Errorf("geo: writing %s: %w", t.dbType, err)
		}
		*t.out = buf.Bytes()
	}
	return dbs, nil
}

// WriteFiles writes the databases into dir as GeoIP2-Country.mmdb,
// GeoLite2-ASN.mmdb and GeoIP2-Anonymous-IP.mmdb and returns their paths.
// A nil database is not written and its path is left empty.
func (d Databases) WriteFiles(dir string) (Paths, error) {
	var p Paths
	for _, f := range []struct {
		data []byte
		name string
		path *string
	}{
		{d.Country, countryType, &p.Country},
		{d.ASN, asnType, &p.ASN},
		{d.Anonymous, anonymousType, &p.Anonymous},
	} {
		if f.data == nil {
			continue
		}
		path := filepath.Join(dir, f.name+".mmdb")
		if err := os.WriteFile(path, f.data, 0o644); err != nil {
			return Paths{}, fmt.Errorf("geo: %w", err)
		}
		*f.path = path
	}
	return p, nil
}

// ipNet converts p for mmdbwriter, which takes an IPv4 network as 4 bytes.
func ipNet(p netip.Prefix) (*net.IPNet, error) {
	if !p.IsValid() {
		return nil, fmt.Errorf("invalid prefix %s", p)
	}
	if p.Addr().Is4In6() {
		if p.Bits() < 96 {
			return nil, fmt.Errorf("prefix %s is wider than the IPv4-mapped range", p)
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	p = p.Masked()
	return &net.IPNet{
		IP:   p.Addr().AsSlice(),
		Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen()),
	}, nil
}

func countryRecord(n Network) (mmdbtype.Map, error) {
	if n.Country == "" {
		return nil, nil
	}
	code := strings.ToUpper(n.Country)
	if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
		return nil, fmt.Errorf("country %q is not an ISO 3166-1 alpha-2 code", n.Country)
	}
	iso := mmdbtype.Map{"iso_code": mmdbtype.String(code)}
	return mmdbtype.Map{"country": iso, "registered_country": iso}, nil
}

func asnRecord(n Network) (mmdbtype.Map, error) {
	if n.ASN > math.MaxUint32 {
		return nil, fmt.Errorf("ASN %d does not fit in 32 bits", n.ASN)
	}
	rec := mmdbtype.Map{}
	if n.ASN != 0 {
		rec["autonomous_system_number"] = mmdbtype.Uint32(n.ASN)
	}
	if n.ASOrg != "" {
		rec["autonomous_system_organization"] = mmdbtype.String(n.ASOrg)
	}
	if len(rec) == 0 {
		return nil, nil
	}
	return rec, nil
}

func anonymousRecord(n Network) (mmdbtype.Map, error) {
	a := n.Anonymous
	if !a.Any() {
		return nil, nil
	}
	rec := mmdbtype.Map{"is_anonymous": mmdbtype.Bool(true)}
	for key, set := range map[mmdbtype.String]bool{
		"is_anonymous_vpn":     a.VPN,
		"is_tor_exit_node":     a.Tor,
		"is_public_proxy":      a.PublicProxy,
		"is_residential_proxy": a.ResidentialProxy,
		"is_hosting_provider":  a.Hosting,
	} {
		if set {
			rec[key] = mmdbtype.Bool(true)
		}
	}
	return rec, nil
}
