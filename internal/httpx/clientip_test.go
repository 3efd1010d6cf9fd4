package httpx

import (
	"net/netip"
	"strings"
	"testing"
)

func TestClientIP(t *testing.T) {
	proxies := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("192.168.1.0/24"),
		netip.MustParsePrefix("fd00::/8"),
	}
	tests := []struct {
		name         string
		remoteAddr   string
		forwardedFor []string
		trusted      []netip.Prefix
		want         string // "" for the zero Addr
	}{
		{"no header", "10.1.2.3:5000", nil, proxies, "10.1.2.3"},
		{"untrusted peer: header ignored", "198.51.100.9:5000", []string{"203.0.113.7"}, proxies, "198.51.100.9"},
		{"no trusted proxies: header ignored", "10.1.2.3:5000", []string{"203.0.113.7"}, nil, "10.1.2.3"},
		{"empty trusted list: header ignored", "10.1.2.3:5000", []string{"203.0.113.7"}, []netip.Prefix{}, "10.1.2.3"},
		{"trusted peer, one hop", "10.1.2.3:5000", []string{"203.0.113.7"}, proxies, "203.0.113.7"},
		{"chain of trusted proxies", "10.1.2.3:5000", []string{"203.0.113.7, 192.168.1.5, 10.9.9.9"}, proxies, "203.0.113.7"},
		{"spoofed left-most entries ignored", "10.1.2.3:5000", []string{"1.1.1.1, 8.8.8.8, 203.0.113.7, 10.0.0.2"}, proxies, "203.0.113.7"},
		{"headers joined in order", "10.1.2.3:5000", []string{"1.1.1.1, 203.0.113.7", "10.0.0.2"}, proxies, "203.0.113.7"},
		{"right-most header untrusted wins", "10.1.2.3:5000", []string{"203.0.113.7", "198.51.100.1"}, proxies, "198.51.100.1"},
		{"only trusted entries: the left-most", "10.1.2.3:5000", []string{"10.0.0.5, 10.0.0.6"}, proxies, "10.0.0.5"},
		{"IPv6 peer and client", "[fd00::1]:5000", []string{"2001:db8::7"}, proxies, "2001:db8::7"},
		{"IPv6 bracketed entry with port", "[fd00::1]:5000", []string{"[2001:db8::7]:443"}, proxies, "2001:db8::7"},
		{"IPv6 bracketed entry", "10.1.2.3:5000", []string{"[2001:db8::7]"}, proxies, "2001:db8::7"},
		{"IPv4 entry with port", "10.1.2.3:5000", []string{"203.0.113.7:61000"}, proxies, "203.0.113.7"},
		{"IPv4-mapped peer is trusted as IPv4", "[::ffff:10.1.2.3]:5000", []string{"203.0.113.7"}, proxies, "203.0.113.7"},
		{"IPv4-mapped entry unmapped", "10.1.2.3:5000", []string{"::ffff:203.0.113.7"}, proxies, "203.0.113.7"},
		{"zone dropped", "[fe80::1%eth0]:5000", nil, nil, "fe80::1"},
		{"malformed entry: the peer", "10.1.2.3:5000", []string{"203.0.113.7, not-an-ip"}, proxies, "10.1.2.3"},
		{"malformed entry: the last good proxy", "10.1.2.3:5000", []string{"203.0.113.7, garbage, 10.0.0.2"}, proxies, "10.0.0.2"},
		{"empty entry stops the walk", "10.1.2.3:5000", []string{"203.0.113.7,,10.0.0.2"}, proxies, "10.0.0.2"},
		{"empty header", "10.1.2.3:5000", []string{""}, proxies, "10.1.2.3"},
		{"unknown token", "10.1.2.3:5000", []string{"unknown"}, proxies, "10.1.2.3"},
		{"peer without port", "10.1.2.3", []string{"203.0.113.7"}, proxies, "203.0.113.7"},
		{"peer not an address", "pipe", []string{"203.0.113.7"}, proxies, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := clientIP(tt.remoteAddr, tt.forwardedFor, tt.trusted)
			want := netip.Addr{}
			if tt.want != "" {
				want = netip.MustParseAddr(tt.want)
			}
			if got != want {
				t.Errorf("clientIP(%q, %q) = %v, want %v", tt.remoteAddr, tt.forwardedFor, got, want)
			}
		})
	}
}

// FuzzClientIP checks that clientIP, which reads a header any client can
// set, never panics and never returns an address the request did not name.
func FuzzClientIP(f *testing.F) {
	f.Add("10.1.2.3:5000", "203.0.113.7, 10.0.0.2")
	f.Add("[fd00::1]:443", "[2001:db8::7]:80,fd00::2")
	f.Add("198.51.100.9:1", "203.0.113.7")
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	f.Fuzz(func(t *testing.T, remoteAddr, forwardedFor string) {
		got := clientIP(remoteAddr, []string{forwardedFor}, trusted)
		peer, ok := parseHostAddr(remoteAddr)
		switch {
		case !ok:
			if got.IsValid() {
				t.Fatalf("peer %q is no address, yet clientIP = %v", remoteAddr, got)
			}
			return
		case got.Is4In6() || got.Zone() != "":
			t.Fatalf("clientIP = %v, not normalized", got)
		case !isTrusted(peer, trusted) && got != peer:
			t.Fatalf("untrusted peer %v, yet clientIP = %v", peer, got)
		case got == peer:
			return
		}
		for _, e := range strings.Split(forwardedFor, ",") {
			if a, ok := parseHostAddr(e); ok && a == got {
				return
			}
		}
		t.Fatalf("clientIP = %v, neither the peer %q nor in X-Forwarded-For %q", got, remoteAddr, forwardedFor)
	})
}
