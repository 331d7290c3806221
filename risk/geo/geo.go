// Package geo answers where an IP address is, which network owns it and
// whether it is a known anonymizer, from MaxMind-format databases (GeoIP2,
// GeoLite2 or databases built with Build).
//
// Every source is optional: a DB without a database for a source, a nil *DB
// and a zero DB all return empty fields for it, so the risk engine runs
// without GeoIP data.
package geo

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"

	"github.com/oschwald/geoip2-golang/v2"
)

// Source names one of the databases a DB reads.
type Source string

// The sources a DB can read.
const (
	// SourceCountry is a GeoIP2/GeoLite2 Country, City or Enterprise database.
	SourceCountry Source = "country"
	// SourceASN is a GeoLite2 ASN (or GeoIP2 ISP) database.
	SourceASN Source = "asn"
	// SourceAnonymous is a GeoIP2 Anonymous IP database.
	SourceAnonymous Source = "anonymous"
)

var sources = [...]Source{SourceCountry, SourceASN, SourceAnonymous}

// Paths holds the database file for each source; an empty path disables
// that source.
type Paths struct {
	// Country is a GeoIP2/GeoLite2 Country or City database.
	Country string
	// ASN is a GeoLite2 ASN database.
	ASN string
	// Anonymous is a GeoIP2 Anonymous IP database.
	Anonymous string
}

// DB reads the configured databases. It is safe for concurrent use; Lookup
// must not be called during or after Close.
type DB struct {
	country   *geoip2.Reader
	asn       *geoip2.Reader
	anonymous *geoip2.Reader
	disabled  map[Source]string
}

// Open opens the databases named in p. An empty path, or a path that does
// not exist, disables its source; a file that is not a MaxMind database of
// the right type is an error.
func Open(p Paths) (*DB, error) {
	d := &DB{disabled: map[Source]string{}}
	for _, s := range sources {
		path := p.path(s)
		if path == "" {
			d.disabled[s] = fmt.Sprintf("no %s database configured", s)
			continue
		}
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			d.disabled[s] = fmt.Sprintf("%s database %s not found", s, path)
			continue
		}
		if err := d.open(s, func() (*geoip2.Reader, error) { return geoip2.Open(path) }); err != nil {
			return nil, fmt.Errorf("geo: %s database %s: %w", s, path, err)
		}
	}
	return d, nil
}

// open opens source s with open and checks its type; on failure it closes
// everything the DB opened so far.
func (d *DB) open(s Source, open func() (*geoip2.Reader, error)) error {
	r, err := open()
	if err == nil {
		err = checkType(s, r)
	}
	if err != nil {
		if r != nil {
			_ = r.Close()
		}
		_ = d.Close()
		return err
	}
	d.set(s, r)
	return nil
}

// OpenBytes opens databases held in memory; a nil slice disables its source.
// The DB keeps the slices, which must not be modified afterwards.
func OpenBytes(country, asn, anonymous []byte) (*DB, error) {
	d := &DB{disabled: map[Source]string{}}
	for i, b := range [...][]byte{country, asn, anonymous} {
		s := sources[i]
		if b == nil {
			d.disabled[s] = fmt.Sprintf("no %s database configured", s)
			continue
		}
		if err := d.open(s, func() (*geoip2.Reader, error) { return geoip2.OpenBytes(b) }); err != nil {
			return nil, fmt.Errorf("geo: %s database: %w", s, err)
		}
	}
	return d, nil
}

// Disabled reports each source the DB cannot answer for, with the reason.
// The map is a copy; it is empty when every source is available.
func (d *DB) Disabled() map[Source]string {
	out := map[Source]string{}
	for _, s := range sources {
		if d.reader(s) != nil {
			continue
		}
		reason := fmt.Sprintf("no %s database configured", s)
		if d != nil && d.disabled[s] != "" {
			reason = d.disabled[s]
		}
		out[s] = reason
	}
	return out
}

// Close releases the databases. Closing a nil or zero DB does nothing.
func (d *DB) Close() error {
	if d == nil {
		return nil
	}
	var errs []error
	for _, r := range []*geoip2.Reader{d.country, d.asn, d.anonymous} {
		if r != nil {
			errs = append(errs, r.Close())
		}
	}
	return errors.Join(errs...)
}

func (p Paths) path(s Source) string {
	switch s {
	case SourceCountry:
		return p.Country
	case SourceASN:
		return p.ASN
	default:
		return p.Anonymous
	}
}

func (d *DB) reader(s Source) *geoip2.Reader {
	if d == nil {
		return nil
	}
	switch s {
	case SourceCountry:
		return d.country
	case SourceASN:
		return d.asn
	default:
		return d.anonymous
	}
}

func (d *DB) set(s Source, r *geoip2.Reader) {
	switch s {
	case SourceCountry:
		d.country = r
	case SourceASN:
		d.asn = r
	default:
		d.anonymous = r
	}
}

// checkType makes one lookup with the method s needs, so geoip2's own table
// of database types decides whether r can serve s.
func checkType(s Source, r *geoip2.Reader) error {
	probe := netip.IPv4Unspecified()
	var err error
	switch s {
	case SourceCountry:
		_, err = r.Country(probe)
	case SourceASN:
		_, err = r.ASN(probe)
	default:
		_, err = r.AnonymousIP(probe)
	}
	if wrong := (geoip2.InvalidMethodError{}); errors.As(err, &wrong) {
		return fmt.Errorf("database type %q cannot answer %s lookups", wrong.DatabaseType, s)
	}
	return nil
}
