package geo

import (
	"net/netip"
	"strings"
)

// Info is what the databases know about one address. A field is zero when
// its source is disabled, has no record for the address, or failed to read.
type Info struct {
	// Country is the ISO 3166-1 alpha-2 code in upper case: where the
	// address is, else where its network is registered; "" when unknown.
	Country string
	// ASN is the autonomous system number announcing the address; 0 when
	// unknown.
	ASN uint
	// ASOrg is the organization that owns ASN.
	ASOrg string
	// Anonymous flags the address as an anonymizer or hosting network.
	Anonymous Anonymous
}

// Anonymous holds the anonymizer flags of the Anonymous IP database.
type Anonymous struct {
	// VPN is a commercial anonymous VPN provider.
	VPN bool
	// Tor is a Tor exit node.
	Tor bool
	// PublicProxy is an open proxy.
	PublicProxy bool
	// ResidentialProxy is a proxy network running on residential addresses.
	ResidentialProxy bool
	// Hosting is a hosting or VPN provider's network.
	Hosting bool
}

// Any reports whether any flag is set.
func (a Anonymous) Any() bool {
	return a != Anonymous{}
}

// Lookup returns what the databases know about ip. IPv4-mapped IPv6
// addresses are looked up as IPv4. It never fails: a read error leaves the
// source's fields empty.
func (d *DB) Lookup(ip netip.Addr) Info {
	var info Info
	if d == nil || !ip.IsValid() {
		return info
	}
	ip = ip.Unmap()
	if d.country != nil {
		if rec, err := d.country.Country(ip); err == nil {
			info.Country = rec.Country.ISOCode
			if info.Country == "" {
				info.Country = rec.RegisteredCountry.ISOCode
			}
			info.Country = strings.ToUpper(info.Country)
		}
	}
	if d.asn != nil {
		if rec, err := d.asn.ASN(ip); err == nil {
			info.ASN = rec.AutonomousSystemNumber
			info.ASOrg = rec.AutonomousSystemOrganization
		}
	}
	if d.anonymous != nil {
		if rec, err := d.anonymous.AnonymousIP(ip); err == nil {
			info.Anonymous = Anonymous{
				VPN:              rec.IsAnonymousVPN,
				Tor:              rec.IsTorExitNode,
				PublicProxy:      rec.IsPublicProxy,
				ResidentialProxy: rec.IsResidentialProxy,
				Hosting:          rec.IsHostingProvider,
			}
		}
	}
	return info
}
