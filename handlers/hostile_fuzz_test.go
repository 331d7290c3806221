package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// FuzzClientIP feeds the IP extractor arbitrary peers and forwarding
// headers. The address it finds is always a valid IP; without trusted
// proxies, or from a peer that is not one, it is the peer whatever the
// headers say; behind a trusted proxy it is the peer or an address the
// X-Forwarded-For chain names, and never one X-Real-IP or Forwarded does.
//
//	go test ./handlers -run '^$' -fuzz '^FuzzClientIP$' -fuzztime 60s
func FuzzClientIP(f *testing.F) {
	for _, seed := range []struct{ peer, xff, xff2, realIP, forwarded string }{
		{"203.0.113.7:5555", "198.51.100.1", "", "198.51.100.2", "for=198.51.100.3"},
		{"10.1.2.3:5555", "6.6.6.6, 198.51.100.1", "", "", ""},
		{"10.1.2.3:5555", "198.51.100.1, 10.9.9.9", "6.6.6.6", "", ""},
		{"[2001:db8::1]:443", "2001:db8:ffff::9, [2001:db8::2]", "", "", `for="[2001:db8::9]:80"`},
		{"10.1.2.3:5555", "not-an-ip, , ,", "", "127.0.0.1", "for=unknown"},
		{"10.1.2.3:5555", "::ffff:10.0.0.1, fe80::1%eth0", "", "", ""},
		{"10.1.2.3:5555", strings.Repeat("1.2.3.4,", 200), "", "", ""},
		{"bogus", "198.51.100.1", "", "", ""},
		{"[::ffff:10.1.2.3]:1", "198.51.100.1\x00", "", "", ""},
	} {
		f.Add(seed.peer, seed.xff, seed.xff2, seed.realIP, seed.forwarded)
	}
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/48")}
	direct, behind := ipExtractor(nil), ipExtractor(trusted)
	f.Fuzz(func(t *testing.T, peer, xff, xff2, realIP, forwarded string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = peer
		req.Header = http.Header{}
		for _, v := range []string{xff, xff2} {
			if v != "" {
				req.Header.Add("X-Forwarded-For", v)
			}
		}
		req.Header.Set("X-Real-Ip", realIP)
		req.Header.Set("Forwarded", forwarded)
		peerIP, peerErr := netip.ParseAddrPort(peer)

		got := direct(req)
		if peerErr == nil {
			if a, err := netip.ParseAddr(got); err != nil || a.Unmap() != peerIP.Addr().Unmap() {
				t.Fatalf("direct: peer %q, headers %q: got %q, want the peer", peer, req.Header, got)
			}
		}

		got = behind(req)
		if peerErr != nil {
			return
		}
		a, err := netip.ParseAddr(got)
		if err != nil {
			t.Fatalf("behind proxy: peer %q, XFF %q: got %q, not an IP", peer, req.Header.Values("X-Forwarded-For"), got)
		}
		a = a.Unmap()
		fromProxy := false
		for _, p := range trusted {
			fromProxy = fromProxy || p.Contains(peerIP.Addr().Unmap())
		}
		if !fromProxy || a == peerIP.Addr().Unmap() {
			if a != peerIP.Addr().Unmap() {
				t.Fatalf("untrusted peer %q with XFF %q: got %q, want the peer", peer, req.Header.Values("X-Forwarded-For"), got)
			}
			return
		}
		named := false
		for _, entry := range strings.Split(strings.Join(req.Header.Values("X-Forwarded-For"), ","), ",") {
			e, err := netip.ParseAddr(strings.Trim(strings.TrimSpace(entry), "[]"))
			named = named || err == nil && e.Unmap() == a
		}
		if !named {
			t.Fatalf("peer %q, XFF %q: got %q, named by neither", peer, req.Header.Values("X-Forwarded-For"), got)
		}
	})
}
