package handlers

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/risk"
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

// FuzzListImport feeds the list import arbitrary text. It never panics;
// every line it accepts exports (neutralised against formulas) and imports
// back to the same entry; and a cell survives neutralising unchanged.
//
//	go test ./handlers -run '^$' -fuzz '^FuzzListImport$' -fuzztime 60s
func FuzzListImport(f *testing.F) {
	for _, seed := range []string{
		"value,reason,expires\n+44 7700 900123,fraud ring,2099-01-01T00:00:00Z\n",
		"+12015550123\n+12015550124\n",
		"value,reason\n+12015550123,\"=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"\n",
		"value,reason\n+12015550123,'=1+1\n+12015550124,''@SUM(A1)\n",
		"value,reason\n\ufeff+12015550123,\"<script>alert(1)</script>\"\n",
		"value,reason\n+12015550123,\u202egnp.exe\n",
		"value;reason\n+12015550123;x\n",
		"\"unterminated\n",
		"value,reason,author,created,expires\n'+12015550123,-2+3,eve,2026-01-01T00:00:00Z,\n",
		"value,reason\n+12015550123,\" spaced \"\n+12015550123,dup\n",
	} {
		f.Add(seed, uint8(0))
	}
	engine, _ := realEngine(f)
	s := &server{console: &adminConsole{Console: Console{Engine: engine, Settings: engine.SettingsStore(), Lists: engine.ListStore()}}, now: func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }}
	lists := []risk.List{risk.DenyNumber, risk.DenyPrefix, risk.DenyIP, risk.DenyCountry}
	f.Fuzz(func(t *testing.T, text string, which uint8) {
		l := lists[int(which)%len(lists)]
		if got := csvUncell(csvCell(text)); got != text {
			t.Errorf("csvUncell(csvCell(%q)) = %q", text, got)
		}
		if c := csvCell(text); c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			t.Errorf("csvCell(%q) = %q starts like a formula", text, c)
		}
		entries, _, err := s.checkImport(l, strings.NewReader(text))
		if err != nil || len(entries) == 0 {
			return
		}
		var buf bytes.Buffer
		w := newCSVWriter(&buf)
		if err := w.Write("value", "reason", "author", "created", "expires"); err != nil {
			t.Fatal(err)
		}
		for _, en := range entries {
			if err := w.Write(en.Value, en.Reason, "fuzz", csvTime(s.now()), csvTime(en.Expires)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		again, rep, err := s.checkImport(l, bytes.NewReader(buf.Bytes()))
		if err != nil || rep.Refused > 0 {
			t.Fatalf("%s import of %q accepted %v; its export %q imports with %v, %+v", l, text, entries, buf.String(), err, rep.Lines)
		}
		if !reflect.DeepEqual(again, entries) {
			t.Fatalf("%s import of %q: export %q imports as %+v, want %+v", l, text, buf.String(), again, entries)
		}
	})
}
