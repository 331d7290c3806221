package handlers

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/risk"
)

func TestClientIPReachesEngine(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	tests := []struct {
		name       string
		trusted    []netip.Prefix
		remoteAddr string
		header     http.Header
		want       string
	}{
		{
			name:       "direct: forwarding headers ignored",
			remoteAddr: "203.0.113.7:5555",
			header:     http.Header{"X-Forwarded-For": {"198.51.100.1"}, "X-Real-Ip": {"198.51.100.2"}},
			want:       "203.0.113.7",
		},
		{
			name:       "direct: loopback client cannot forward either",
			remoteAddr: "127.0.0.1:5555",
			header:     http.Header{"X-Forwarded-For": {"198.51.100.1"}},
			want:       "127.0.0.1",
		},
		{
			name:       "direct: private client cannot forward either",
			remoteAddr: "192.168.1.9:5555",
			header:     http.Header{"X-Forwarded-For": {"198.51.100.1"}, "X-Real-Ip": {"198.51.100.2"}},
			want:       "192.168.1.9",
		},
		{
			name:       "direct: Forwarded ignored",
			remoteAddr: "203.0.113.7:5555",
			header:     http.Header{"Forwarded": {"for=198.51.100.1;proto=https"}},
			want:       "203.0.113.7",
		},
		{
			name:       "direct: IPv6",
			remoteAddr: "[2001:db8::7]:5555",
			want:       "2001:db8::7",
		},
		{
			name:       "trusted proxy: XFF used",
			trusted:    trusted,
			remoteAddr: "10.1.2.3:5555",
			header:     http.Header{"X-Forwarded-For": {"198.51.100.1"}},
			want:       "198.51.100.1",
		},
		{
			name:       "trusted proxy: spoofed leftmost XFF ignored",
			trusted:    trusted,
			remoteAddr: "10.1.2.3:5555",
			header:     http.Header{"X-Forwarded-For": {"6.6.6.6, 198.51.100.1"}},
			want:       "198.51.100.1",
		},
		{
			name:       "trusted proxy chain",
			trusted:    trusted,
			remoteAddr: "10.1.2.3:5555",
			header:     http.Header{"X-Forwarded-For": {"6.6.6.6, 198.51.100.1, 10.9.9.9"}},
			want:       "198.51.100.1",
		},
		{
			name:       "trusted proxy: X-Real-IP not used",
			trusted:    trusted,
			remoteAddr: "10.1.2.3:5555",
			header:     http.Header{"X-Real-Ip": {"198.51.100.2"}},
			want:       "10.1.2.3",
		},
		{
			name:       "trusted IPv6 proxy",
			trusted:    trusted,
			remoteAddr: "[2001:db8::1]:443",
			header:     http.Header{"X-Forwarded-For": {"198.51.100.1"}},
			want:       "198.51.100.1",
		},
		{
			name:       "untrusted client with XFF",
			trusted:    trusted,
			remoteAddr: "203.0.113.7:5555",
			header:     http.Header{"X-Forwarded-For": {"198.51.100.1"}, "X-Real-Ip": {"198.51.100.2"}},
			want:       "203.0.113.7",
		},
		{
			name:       "untrusted client with Forwarded",
			trusted:    trusted,
			remoteAddr: "203.0.113.7:5555",
			header:     http.Header{"Forwarded": {`for="[2001:db8::9]"`}},
			want:       "203.0.113.7",
		},
		{
			name:       "trusted proxy: Forwarded not used",
			trusted:    trusted,
			remoteAddr: "10.1.2.3:5555",
			header:     http.Header{"Forwarded": {"for=198.51.100.1"}},
			want:       "10.1.2.3",
		},
		{
			name:       "loopback not trusted unless configured",
			trusted:    trusted,
			remoteAddr: "127.0.0.1:5555",
			header:     http.Header{"X-Forwarded-For": {"198.51.100.1"}},
			want:       "127.0.0.1",
		},
		{
			name:       "private network not trusted unless configured",
			trusted:    trusted,
			remoteAddr: "192.168.1.9:5555",
			header:     http.Header{"X-Forwarded-For": {"198.51.100.1"}},
			want:       "192.168.1.9",
		},
		{
			name:       "link-local not trusted unless configured",
			trusted:    trusted,
			remoteAddr: "169.254.1.1:5555",
			header:     http.Header{"X-Forwarded-For": {"198.51.100.1"}},
			want:       "169.254.1.1",
		},
		{
			name:       "private hop behind trusted proxy is the client",
			trusted:    trusted,
			remoteAddr: "10.1.2.3:5555",
			header:     http.Header{"X-Forwarded-For": {"198.51.100.1, 192.168.0.9"}},
			want:       "192.168.0.9",
		},
		{
			name:       "garbage XFF from trusted proxy",
			trusted:    trusted,
			remoteAddr: "10.1.2.3:5555",
			header:     http.Header{"X-Forwarded-For": {"not-an-ip"}},
			want:       "10.1.2.3",
		},
		{
			name:       "trusted proxy: two XFF headers read as one chain",
			trusted:    trusted,
			remoteAddr: "10.1.2.3:5555",
			header:     http.Header{"X-Forwarded-For": {"6.6.6.6, 198.51.100.1", "198.51.100.77, 10.9.9.9"}},
			want:       "198.51.100.77",
		},
		{
			name:       "untrusted client: two XFF headers ignored",
			trusted:    trusted,
			remoteAddr: "203.0.113.7:5555",
			header:     http.Header{"X-Forwarded-For": {"198.51.100.1", "10.9.9.9"}, "X-Real-Ip": {"10.9.9.9"}, "Forwarded": {"for=10.9.9.9"}},
			want:       "203.0.113.7",
		},
		{
			name:       "trusted IPv6 proxy chain",
			trusted:    trusted,
			remoteAddr: "[2001:db8::1]:443",
			header:     http.Header{"X-Forwarded-For": {"2001:db8:ffff::6, 2a00:1450::9, 2001:db8::2"}},
			want:       "2a00:1450::9",
		},
		{
			name:       "direct IPv6 client with spoofed headers",
			remoteAddr: "[2a00:1450::9]:443",
			header:     http.Header{"X-Forwarded-For": {"2001:db8::1"}, "X-Real-Ip": {"::1"}, "Forwarded": {`for="[::1]"`}},
			want:       "2a00:1450::9",
		},
		{
			name:       "garbage IPv6 in XFF from trusted proxy",
			trusted:    trusted,
			remoteAddr: "10.1.2.3:5555",
			header:     http.Header{"X-Forwarded-For": {"[2001:db8::zz], 2001:db8:::1"}},
			want:       "10.1.2.3",
		},
		{
			name:       "trusted proxy: X-Real-IP with XFF, XFF wins",
			trusted:    trusted,
			remoteAddr: "10.1.2.3:5555",
			header:     http.Header{"X-Forwarded-For": {"198.51.100.1"}, "X-Real-Ip": {"6.6.6.6"}},
			want:       "198.51.100.1",
		},
		{
			name:       "IPv4-mapped trusted prefix",
			trusted:    []netip.Prefix{netip.MustParsePrefix("::ffff:10.0.0.0/104")},
			remoteAddr: "10.1.2.3:5555",
			header:     http.Header{"X-Forwarded-For": {"198.51.100.1"}},
			want:       "198.51.100.1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, risk.Allow, func(h *harness) { h.deps.TrustedProxies = tt.trusted })
			header := http.Header{"Content-Type": {"application/json"}}
			for k, v := range tt.header {
				header[k] = v
			}
			rec := h.do(t, request{
				method:     http.MethodPost,
				path:       "/api/v1/callbacks",
				body:       strings.NewReader(`{"phone":"` + testPhone + `"}`),
				header:     header,
				remoteAddr: tt.remoteAddr,
			})
			if got, want := rec.Code, http.StatusAccepted; got != want {
				t.Fatalf("status = %d, want %d", got, want)
			}
			if got, want := h.engineIP(t), netip.MustParseAddr(tt.want); got != want {
				t.Errorf("engine IP = %v, want %v", got, want)
			}
		})
	}
}
