package geo

import (
	"bytes"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

func demoDatabases(t testing.TB) Databases {
	t.Helper()
	dbs, err := Build(DemoNetworks())
	if err != nil {
		t.Fatal(err)
	}
	return dbs
}

func TestOpenFiles(t *testing.T) {
	paths, err := demoDatabases(t).WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{paths.Country, paths.ASN, paths.Anonymous} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("WriteFiles did not write %q: %v", p, err)
		}
	}
	d, err := Open(paths)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if got := d.Disabled(); len(got) != 0 {
		t.Errorf("Disabled() = %v, want none", got)
	}
	got := d.Lookup(netip.MustParseAddr("2001:db8:1::1"))
	want := Info{Country: "US", ASN: 9009, ASOrg: "M247 Europe SRL", Anonymous: Anonymous{VPN: true, Hosting: true}}
	if got != want {
		t.Errorf("Lookup = %+v, want %+v", got, want)
	}
}

func TestOpenMissingDisables(t *testing.T) {
	dir := t.TempDir()
	paths, err := demoDatabases(t).WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nope.mmdb")
	d, err := Open(Paths{Country: paths.Country, ASN: missing})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	got := d.Disabled()
	want := map[Source]string{
		SourceASN:       "asn database " + missing + " not found",
		SourceAnonymous: "no anonymous database configured",
	}
	if len(got) != len(want) {
		t.Errorf("Disabled() = %v, want %v", got, want)
	}
	for s, reason := range want {
		if got[s] != reason {
			t.Errorf("Disabled()[%s] = %q, want %q", s, got[s], reason)
		}
	}
	if got, want := d.Lookup(netip.MustParseAddr("203.0.113.7")), (Info{Country: "NL"}); got != want {
		t.Errorf("Lookup = %+v, want %+v", got, want)
	}
}

func TestOpenRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	dbs := demoDatabases(t)
	paths, err := dbs.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(dir, "corrupt.mmdb")
	if err := os.WriteFile(corrupt, randomBytes(4096), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.mmdb")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		paths Paths
		want  string
	}{
		{"corrupt country", Paths{Country: corrupt}, "country database " + corrupt},
		{"empty asn", Paths{ASN: empty}, "asn database " + empty},
		{"directory as anonymous", Paths{Anonymous: dir}, "anonymous database " + dir},
		{"asn as country", Paths{Country: paths.ASN}, `country database ` + paths.ASN + `: database type "GeoLite2-ASN"`},
		{"country as anonymous", Paths{Country: paths.Country, Anonymous: paths.Country}, `anonymous database ` + paths.Country + `: database type "GeoIP2-Country"`},
		{"anonymous as asn", Paths{ASN: paths.Anonymous}, `asn database ` + paths.Anonymous + `: database type "GeoIP2-Anonymous-IP"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Open(tt.paths)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open error = %v, want one containing %q", err, tt.want)
			}
			if d != nil {
				t.Errorf("Open returned a DB with its error")
			}
		})
	}
}

func TestOpenBytes(t *testing.T) {
	dbs := demoDatabases(t)
	tests := []struct {
		name                    string
		country, asn, anonymous []byte
		want                    string
	}{
		{"corrupt country", randomBytes(4096), nil, nil, "country database"},
		{"empty anonymous", nil, nil, []byte{}, "anonymous database"},
		{"asn as country", dbs.ASN, nil, nil, `country database: database type "GeoLite2-ASN"`},
		{"country as asn", nil, dbs.Country, nil, `asn database: database type "GeoIP2-Country"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OpenBytes(tt.country, tt.asn, tt.anonymous)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("OpenBytes error = %v, want one containing %q", err, tt.want)
			}
		})
	}

	d, err := OpenBytes(nil, dbs.ASN, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if got, want := len(d.Disabled()), 2; got != want {
		t.Errorf("len(Disabled()) = %d, want %d", got, want)
	}
	if got, want := d.Lookup(netip.MustParseAddr("198.51.100.1")), (Info{ASN: 64501, ASOrg: "Example Broadband GB"}); got != want {
		t.Errorf("Lookup = %+v, want %+v", got, want)
	}
}

func TestCityDatabaseAsCountry(t *testing.T) {
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            "GeoLite2-City",
		Languages:               []string{"en"},
		IncludeReservedNetworks: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	insert := func(cidr string, rec mmdbtype.Map) {
		t.Helper()
		_, ipnet, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(ipnet, rec); err != nil {
			t.Fatal(err)
		}
	}
	insert("192.0.2.0/24", mmdbtype.Map{
		"city":               mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String("Lyon")}},
		"continent":          mmdbtype.Map{"code": mmdbtype.String("EU")},
		"country":            mmdbtype.Map{"iso_code": mmdbtype.String("FR"), "names": mmdbtype.Map{"en": mmdbtype.String("France")}},
		"registered_country": mmdbtype.Map{"iso_code": mmdbtype.String("DE")},
		"location":           mmdbtype.Map{"latitude": mmdbtype.Float64(45.76), "longitude": mmdbtype.Float64(4.83)},
		"subdivisions":       mmdbtype.Slice{mmdbtype.Map{"iso_code": mmdbtype.String("ARA")}},
	})
	insert("2001:db8::/32", mmdbtype.Map{
		"registered_country": mmdbtype.Map{"iso_code": mmdbtype.String("it")},
	})
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}

	d, err := OpenBytes(buf.Bytes(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for ip, want := range map[string]string{"192.0.2.1": "FR", "2001:db8::1": "IT", "198.51.100.1": ""} {
		if got := d.Lookup(netip.MustParseAddr(ip)).Country; got != want {
			t.Errorf("Lookup(%s).Country = %q, want %q", ip, got, want)
		}
	}
}

func TestNoDatabases(t *testing.T) {
	opened, err := Open(Paths{})
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]*DB{"nil": nil, "zero": {}, "Open(Paths{})": opened} {
		t.Run(name, func(t *testing.T) {
			if got := d.Lookup(netip.MustParseAddr("203.0.113.7")); got != (Info{}) {
				t.Errorf("Lookup = %+v, want zero Info", got)
			}
			got := d.Disabled()
			for _, s := range []Source{SourceCountry, SourceASN, SourceAnonymous} {
				if want := "no " + string(s) + " database configured"; got[s] != want {
					t.Errorf("Disabled()[%s] = %q, want %q", s, got[s], want)
				}
			}
			if err := d.Close(); err != nil {
				t.Errorf("Close() = %v, want nil", err)
			}
		})
	}
}

func TestDisabledIsACopy(t *testing.T) {
	d, err := OpenBytes(nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	d.Disabled()[SourceCountry] = "changed"
	if got, want := d.Disabled()[SourceCountry], "no country database configured"; got != want {
		t.Errorf("Disabled()[country] = %q, want %q", got, want)
	}
}

func randomBytes(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}
