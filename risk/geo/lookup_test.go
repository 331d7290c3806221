package geo

import (
	"net/netip"
	"testing"
)

func TestAnonymousAny(t *testing.T) {
	tests := []struct {
		a    Anonymous
		want bool
	}{
		{Anonymous{}, false},
		{Anonymous{VPN: true}, true},
		{Anonymous{Tor: true}, true},
		{Anonymous{PublicProxy: true}, true},
		{Anonymous{ResidentialProxy: true}, true},
		{Anonymous{Hosting: true}, true},
	}
	for _, tt := range tests {
		if got := tt.a.Any(); got != tt.want {
			t.Errorf("%+v.Any() = %v, want %v", tt.a, got, tt.want)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	d, err := Demo()
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ip := netip.MustParseAddr("203.0.113.7")
	b.ReportAllocs()
	for b.Loop() {
		d.Lookup(ip)
	}
}
