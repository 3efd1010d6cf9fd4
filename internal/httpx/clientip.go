package httpx

import (
	"net/http"
	"net/netip"
	"strings"
)

// clientIP is the address a request comes from, the value of aws:SourceIp.
// It is the TCP peer remoteAddr ("host:port", as net/http sets it) unless
// the peer is inside one of the trusted proxy prefixes: then X-Forwarded-For
// (forwardedFor, the header's values in order, read as one comma-separated
// list) is walked from the right, each proxy having appended the address it
// got the request from, and the client is the first address that is not
// itself a trusted proxy. Entries left of it were written by the client and
// are not believed. A malformed entry stops the walk at the last address
// that was believed. The result is unmapped (::ffff:192.0.2.1 is 192.0.2.1)
// and zoneless; it is the zero Addr only if remoteAddr is not an address.
func clientIP(remoteAddr string, forwardedFor []string, trusted []netip.Prefix) netip.Addr {
	client, ok := parseHostAddr(remoteAddr)
	if !ok || !isTrusted(client, trusted) {
		return client
	}
	for i := len(forwardedFor) - 1; i >= 0; i-- {
		list := forwardedFor[i]
		for {
			entry := list
			comma := strings.LastIndexByte(list, ',')
			if comma >= 0 {
				entry, list = list[comma+1:], list[:comma]
			}
			a, ok := parseHostAddr(entry)
			if !ok {
				return client
			}
			client = a
			if !isTrusted(a, trusted) {
				return client
			}
			if comma < 0 {
				break
			}
		}
	}
	return client
}

// parseHostAddr parses an address as it appears in RemoteAddr or in
// X-Forwarded-For: bare (192.0.2.1, 2001:db8::1), bracketed ([2001:db8::1])
// or with a port (192.0.2.1:443, [2001:db8::1]:443), surrounded by spaces.
func parseHostAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	var a netip.Addr
	if ap, err := netip.ParseAddrPort(s); err == nil {
		a = ap.Addr()
	} else {
		if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
			s = s[1 : len(s)-1]
		}
		if a, err = netip.ParseAddr(s); err != nil {
			return netip.Addr{}, false
		}
	}
	return a.WithZone("").Unmap(), true
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP is r's client address: clientIP of its peer and
// X-Forwarded-For with these trusted proxies. The S3 port uses it for
// aws:SourceIp, the edge for geo restriction, signed-URL IP conditions and
// its web ACLs.
func ClientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	return clientIP(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), trusted)
}

// ClientIPFunc is ClientIP with the trusted proxies bound.
func ClientIPFunc(trusted []netip.Prefix) func(r *http.Request) netip.Addr {
	return func(r *http.Request) netip.Addr { return ClientIP(r, trusted) }
}
