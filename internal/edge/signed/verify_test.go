package signed

import (
	"crypto"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

const (
	base    = "https://cdn.example.com/private/movie.mp4"
	expires = int64(1893456000) // 2030-01-01T00:00:00Z
)

var (
	before   = time.Unix(expires-3600, 0)
	viewerIP = netip.MustParseAddr("192.0.2.10")
)

// fixture is one distribution's trusted key groups: kg1 holds two RSA keys
// (a rotation), kg2 one RSA key and one ECDSA key.
type fixture struct {
	groups                     []*KeyGroup
	k1, k2, k3, ec, unknownKey testSigner
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	keys := testKeys()
	kg1, err := NewKeyGroup("kg1", map[string]crypto.PublicKey{
		"K1EXAMPLE": keys[0].Public(),
		"K2EXAMPLE": keys[1].Public(),
	})
	if err != nil {
		t.Fatal(err)
	}
	kg2, err := NewKeyGroup("kg2", map[string]crypto.PublicKey{
		"K3EXAMPLE":  keys[2].Public(),
		"KECEXAMPLE": testECKey().Public(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{
		groups:     []*KeyGroup{kg1, kg2},
		k1:         testSigner{keyID: "K1EXAMPLE", key: keys[0]},
		k2:         testSigner{keyID: "K2EXAMPLE", key: keys[1]},
		k3:         testSigner{keyID: "K3EXAMPLE", key: keys[2]},
		ec:         testSigner{keyID: "KECEXAMPLE", key: testECKey(), hash: crypto.SHA256},
		unknownKey: testSigner{keyID: "K9UNKNOWN", key: keys[0]},
	}
}

func TestVerifySignedURLs(t *testing.T) {
	f := newFixture(t)
	type tc struct {
		name      string
		url       string // as the viewer requests it
		ip        netip.Addr
		now       time.Time
		wantErr   error
		wantGroup string
	}
	tests := []tc{
		{name: "canned", url: f.k1.cannedURL(t, base, expires), wantGroup: "kg1"},
		{name: "canned, second key of the group", url: f.k2.cannedURL(t, base, expires), wantGroup: "kg1"},
		{name: "canned, key of the second group", url: f.k3.cannedURL(t, base, expires), wantGroup: "kg2"},
		{name: "canned with own query parameters", url: f.k1.cannedURL(t, base+"?color=red&size=medium", expires)},
		{name: "canned with percent-encoded path and query", url: f.k1.cannedURL(t, "https://cdn.example.com/private/a%20b%2Bc.mp4?q=a%26b&e=", expires)},
		{name: "canned with a signed parameter moved after Key-Pair-Id", url: moveParamToEnd(f.k1.cannedURL(t, base+"?color=red&size=medium", expires), "size=medium")},
		{name: "canned with an unsigned parameter after Key-Pair-Id", url: f.k1.cannedURL(t, base+"?color=red", expires) + "&size=medium",
			wantErr: ErrBadSignature}, // the viewer added size=medium: not what was signed
		{name: "canned, SHA256", url: testSigner{keyID: "K1EXAMPLE", key: testKeys()[0], hash: crypto.SHA256}.cannedURL(t, base, expires)},
		{name: "canned, ECDSA P-256 SHA256", url: f.ec.cannedURL(t, base, expires)},
		{name: "canned, ECDSA P-256 SHA1", url: testSigner{keyID: "KECEXAMPLE", key: testECKey()}.cannedURL(t, base, expires)},
		{name: "canned, one second before expiry", url: f.k1.cannedURL(t, base, expires), now: time.Unix(expires-1, 0)},
		{name: "canned, at expiry", url: f.k1.cannedURL(t, base, expires), now: time.Unix(expires, 0), wantErr: ErrExpired},
		{name: "canned, expired", url: f.k1.cannedURL(t, base, expires), now: time.Unix(expires+86400, 0), wantErr: ErrExpired},
		{name: "canned, tampered path", url: strings.Replace(f.k1.cannedURL(t, base, expires), "movie", "movie2", 1), wantErr: ErrBadSignature},
		{name: "canned, tampered query", url: strings.Replace(f.k1.cannedURL(t, base+"?size=small", expires), "small", "large", 1), wantErr: ErrBadSignature},
		{name: "canned, tampered Expires", url: strings.Replace(f.k1.cannedURL(t, base, expires), "Expires=1893456000", "Expires=1893456001", 1), wantErr: ErrBadSignature},
		{name: "canned, other host", url: strings.Replace(f.k1.cannedURL(t, base, expires), "cdn.", "www.", 1), wantErr: ErrBadSignature},
		{name: "canned, other scheme", url: strings.Replace(f.k1.cannedURL(t, base, expires), "https:", "http:", 1), wantErr: ErrBadSignature},
		{name: "canned, tampered signature", url: tamperSignature(f.k1.cannedURL(t, base, expires)), wantErr: ErrBadSignature},
		{name: "canned, signed by another key of the group", url: strings.Replace(f.k1.cannedURL(t, base, expires), "K1EXAMPLE", "K2EXAMPLE", 1), wantErr: ErrBadSignature},
		{name: "canned, SHA256 signature without Hash-Algorithm", url: strings.Replace(
			testSigner{keyID: "K1EXAMPLE", key: testKeys()[0], hash: crypto.SHA256}.cannedURL(t, base, expires), "&Hash-Algorithm=SHA256", "", 1),
			wantErr: ErrBadSignature},
		{name: "canned, unknown key ID", url: f.unknownKey.cannedURL(t, base, expires), wantErr: ErrUnknownKey},
		{name: "canned, Hash-Algorithm MD5", url: f.k1.cannedURL(t, base, expires) + "&Hash-Algorithm=MD5", wantErr: ErrMalformed},
		{name: "canned, Expires not a number", url: base + "?Expires=soon&Signature=abc&Key-Pair-Id=K1EXAMPLE", wantErr: ErrMalformed},
		{name: "canned, Expires negative", url: base + "?Expires=-1&Signature=abc&Key-Pair-Id=K1EXAMPLE", wantErr: ErrMalformed},
		{name: "signature not base64", url: base + "?Expires=1893456000&Signature=a!b&Key-Pair-Id=K1EXAMPLE", wantErr: ErrMalformed},
		{name: "Signature repeated", url: f.k1.cannedURL(t, base, expires) + "&Signature=abc", wantErr: ErrMalformed},
		{name: "Expires and Policy", url: f.k1.cannedURL(t, base, expires) + "&Policy=e30_", wantErr: ErrMalformed},
		{name: "no Signature", url: base + "?Expires=1893456000&Key-Pair-Id=K1EXAMPLE", wantErr: ErrMissingSignature},
		{name: "no Key-Pair-Id", url: strings.Replace(f.k1.cannedURL(t, base, expires), "&Key-Pair-Id=K1EXAMPLE", "", 1), wantErr: ErrMissingSignature},
		{name: "no Expires or Policy", url: base + "?Signature=abc&Key-Pair-Id=K1EXAMPLE", wantErr: ErrMissingSignature},
		{name: "unsigned", url: base, wantErr: ErrMissingSignature},
		{name: "unsigned with own query", url: base + "?size=large", wantErr: ErrMissingSignature},

		{name: "custom, exact resource", url: f.k1.customURL(t, base, customJSON(base, expires, 0, ""))},
		{name: "custom, wildcard directory", url: f.k1.customURL(t, base, customJSON("https://cdn.example.com/private/*", expires, 0, ""))},
		{name: "custom, wildcard matches the query too", url: f.k1.customURL(t, base+"?license=yes", customJSON("https://cdn.example.com/*movie.mp4*", expires, 0, ""))},
		{name: "custom, ? matches one character", url: f.k1.customURL(t, base, customJSON("https://cdn.example.com/private/movi?.mp4", expires, 0, ""))},
		{name: "custom, any scheme", url: f.k1.customURL(t, base, customJSON("*://cdn.example.com/private/*", expires, 0, ""))},
		{name: "custom, no Resource allows everything", url: f.k1.customURL(t, base, customJSON("", expires, 0, ""))},
		{name: "custom, other directory", url: f.k1.customURL(t, base, customJSON("https://cdn.example.com/public/*", expires, 0, "")), wantErr: ErrResourceMismatch},
		{name: "custom, ? does not match two characters", url: f.k1.customURL(t, base, customJSON("https://cdn.example.com/private/mov?.mp4", expires, 0, "")), wantErr: ErrResourceMismatch},
		{name: "custom, resource on another host", url: f.k1.customURL(t, base, customJSON("https://other.example.com/*", expires, 0, "")), wantErr: ErrResourceMismatch},
		{name: "custom, expired", url: f.k1.customURL(t, base, customJSON(base, expires, 0, "")), now: time.Unix(expires, 0), wantErr: ErrExpired},
		{name: "custom, not yet valid", url: f.k1.customURL(t, base, customJSON(base, expires, expires-60, "")), now: time.Unix(expires-120, 0), wantErr: ErrNotYetValid},
		{name: "custom, at DateGreaterThan", url: f.k1.customURL(t, base, customJSON(base, expires, expires-60, "")), now: time.Unix(expires-60, 0), wantErr: ErrNotYetValid},
		{name: "custom, inside the date window", url: f.k1.customURL(t, base, customJSON(base, expires, expires-60, "")), now: time.Unix(expires-30, 0)},
		{name: "custom, IP in range", url: f.k1.customURL(t, base, customJSON(base, expires, 0, "192.0.2.0/24"))},
		{name: "custom, IP /32", url: f.k1.customURL(t, base, customJSON(base, expires, 0, "192.0.2.10/32"))},
		{name: "custom, IPv4-mapped IPv6 client in range", url: f.k1.customURL(t, base, customJSON(base, expires, 0, "192.0.2.0/24")),
			ip: netip.MustParseAddr("::ffff:192.0.2.10")},
		{name: "custom, IP outside range", url: f.k1.customURL(t, base, customJSON(base, expires, 0, "198.51.100.0/24")), wantErr: ErrIPNotAllowed},
		{name: "custom, IPv6 client", url: f.k1.customURL(t, base, customJSON(base, expires, 0, "192.0.2.0/24")),
			ip: netip.MustParseAddr("2001:db8::1"), wantErr: ErrIPNotAllowed},
		{name: "custom, SHA256", url: testSigner{keyID: "K3EXAMPLE", key: testKeys()[2], hash: crypto.SHA256}.customURL(t, base, customJSON(base, expires, 0, "")), wantGroup: "kg2"},
		{name: "custom, ECDSA", url: f.ec.customURL(t, base, customJSON(base, expires, 0, "")), wantGroup: "kg2"},
		{name: "custom, policy swapped for a longer-lived one", url: swapPolicy(f.k1.customURL(t, base, customJSON(base, expires, 0, "")), customJSON(base, expires+86400*365, 0, "")),
			wantErr: ErrBadSignature},
		{name: "custom, policy widened to all IPs", url: swapPolicy(f.k1.customURL(t, base, customJSON(base, expires, 0, "192.0.2.10/32")), customJSON(base, expires, 0, "")),
			wantErr: ErrBadSignature},
		{name: "custom, tampered signature", url: tamperSignature(f.k1.customURL(t, base, customJSON(base, expires, 0, ""))), wantErr: ErrBadSignature},
		{name: "custom, unknown key ID", url: f.unknownKey.customURL(t, base, customJSON(base, expires, 0, "")), wantErr: ErrUnknownKey},
		{name: "custom, whitespace in the policy", url: f.k1.customURL(t, base, "{\n \"Statement\": [ {\"Resource\":\""+base+"\",\n \"Condition\":{\"DateLessThan\":{\"AWS:EpochTime\":1893456000}}}]}\n")},
	}
	for _, bad := range []struct{ name, policy string }{
		{"not JSON", `{"Statement":`},
		{"lower-case member name", `{"Statement":[{"resource":"` + base + `","Condition":{"DateLessThan":{"AWS:EpochTime":1893456000}}}]}`},
		{"two statements", `{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1893456000}}},{"Condition":{"DateLessThan":{"AWS:EpochTime":1893456000}}}]}`},
		{"no DateLessThan", `{"Statement":[{"Resource":"` + base + `","Condition":{"DateGreaterThan":{"AWS:EpochTime":1}}}]}`},
		{"quoted epoch", `{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":"1893456000"}}}]}`},
		{"fractional epoch", `{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1893456000.5}}}]}`},
		{"IPv6 CIDR", `{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1893456000},"IpAddress":{"AWS:SourceIp":"2001:db8::/32"}}}]}`},
		{"IP without prefix length", `{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1893456000},"IpAddress":{"AWS:SourceIp":"192.0.2.1"}}}]}`},
		{"unknown condition", `{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1893456000},"Referer":{"AWS:Referer":"x"}}}]}`},
		{"repeated member", `{"Statement":[{"Resource":"https://*","Resource":"` + base + `","Condition":{"DateLessThan":{"AWS:EpochTime":1893456000}}}]}`},
		{"trailing data", `{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1893456000}}}]}{}`},
	} {
		tests = append(tests, tc{name: "malformed policy, " + bad.name, url: f.k1.customURL(t, base, bad.policy), wantErr: ErrMalformed})
	}
	tests = append(tests, tc{name: "malformed policy, not base64", url: base + "?Policy=%%%&Signature=abc&Key-Pair-Id=K1EXAMPLE", wantErr: ErrMalformed})
	tests = append(tests, tc{name: "malformed policy, too long", url: base + "?Policy=" + strings.Repeat("e", maxPolicyLen+1) + "&Signature=abc&Key-Pair-Id=K1EXAMPLE", wantErr: ErrMalformed})

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := requestFor(t, tt.url)
			req.ClientIP = viewerIP
			if tt.ip.IsValid() {
				req.ClientIP = tt.ip
			}
			now := before
			if !tt.now.IsZero() {
				now = tt.now
			}
			g, err := Verify(f.groups, req, now)
			if !errors.Is(err, tt.wantErr) || (err != nil && tt.wantErr == nil) {
				t.Fatalf("Verify(%s) = %v, want %v", tt.url, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if g.Source != FromURL {
				t.Errorf("Source = %q, want %q", g.Source, FromURL)
			}
			if tt.wantGroup != "" && g.KeyGroup != tt.wantGroup {
				t.Errorf("KeyGroup = %q, want %q", g.KeyGroup, tt.wantGroup)
			}
		})
	}
}

func TestVerifySignedCookies(t *testing.T) {
	f := newFixture(t)
	page := "https://cdn.example.com/private/hls/index.m3u8"
	tests := []struct {
		name    string
		url     string
		cookies []*http.Cookie
		now     time.Time
		wantErr error
	}{
		{name: "canned", url: page, cookies: f.k1.cannedCookies(t, page, expires)},
		{name: "canned with query", url: page + "?v=2", cookies: f.k1.cannedCookies(t, page+"?v=2", expires)},
		{name: "canned, SHA256", url: page, cookies: testSigner{keyID: "K2EXAMPLE", key: testKeys()[1], hash: crypto.SHA256}.cannedCookies(t, page, expires)},
		{name: "canned, other object", url: "https://cdn.example.com/private/hls/seg1.ts", cookies: f.k1.cannedCookies(t, page, expires), wantErr: ErrBadSignature},
		{name: "canned, expired", url: page, cookies: f.k1.cannedCookies(t, page, expires), now: time.Unix(expires+1, 0), wantErr: ErrExpired},
		{name: "custom, wildcard covers every segment", url: "https://cdn.example.com/private/hls/seg1.ts",
			cookies: f.k1.customCookies(t, customJSON("https://cdn.example.com/private/hls/*", expires, 0, ""))},
		{name: "custom, outside the wildcard", url: "https://cdn.example.com/private/other.ts",
			cookies: f.k1.customCookies(t, customJSON("https://cdn.example.com/private/hls/*", expires, 0, "")), wantErr: ErrResourceMismatch},
		{name: "custom, IP not allowed", url: page,
			cookies: f.k1.customCookies(t, customJSON("https://cdn.example.com/*", expires, 0, "203.0.113.0/24")), wantErr: ErrIPNotAllowed},
		{name: "custom, not yet valid", url: page,
			cookies: f.k1.customCookies(t, customJSON("https://cdn.example.com/*", expires, expires-60, "")), wantErr: ErrNotYetValid},
		{name: "custom, tampered policy", url: page,
			cookies: replaceCookie(f.k1.customCookies(t, customJSON(page, expires, 0, "")), "CloudFront-Policy", cfBase64([]byte(customJSON("https://cdn.example.com/*", expires, 0, "")))),
			wantErr: ErrBadSignature},
		{name: "custom, unknown key", url: page, cookies: f.unknownKey.customCookies(t, customJSON(page, expires, 0, "")), wantErr: ErrUnknownKey},
		{name: "the first cookie of a name is used", url: page,
			cookies: append(f.k1.cannedCookies(t, page, expires), &http.Cookie{Name: "CloudFront-Signature", Value: "AAAA"})},
		{name: "no Signature cookie", url: page, cookies: f.k1.cannedCookies(t, page, expires)[:1], wantErr: ErrMissingSignature},
		{name: "signed URL parameters take precedence over cookies", url: page + "?Expires=1893456000",
			cookies: f.k1.cannedCookies(t, page, expires), wantErr: ErrMissingSignature},
		{name: "other cookies only", url: page, cookies: []*http.Cookie{{Name: "session", Value: "x"}}, wantErr: ErrMissingSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := requestFor(t, tt.url)
			req.ClientIP = viewerIP
			req.Cookies = tt.cookies
			now := before
			if !tt.now.IsZero() {
				now = tt.now
			}
			g, err := Verify(f.groups, req, now)
			if !errors.Is(err, tt.wantErr) || (err != nil && tt.wantErr == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
			if err == nil && g.Source != FromCookie {
				t.Errorf("Source = %q, want %q", g.Source, FromCookie)
			}
		})
	}
}

func TestGrantDescribesTheSignature(t *testing.T) {
	f := newFixture(t)
	req := requestFor(t, f.k2.customURL(t, base, customJSON("https://cdn.example.com/*", expires, 0, "")))
	req.ClientIP = viewerIP
	g, err := Verify(f.groups, req, before)
	if err != nil {
		t.Fatal(err)
	}
	want := Grant{Source: FromURL, Custom: true, KeyGroup: "kg1", KeyID: "K2EXAMPLE", Expires: time.Unix(expires, 0).UTC()}
	if g != want {
		t.Errorf("Grant = %+v, want %+v", g, want)
	}
}

func TestStripSigningParams(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"only signing", "Expires=1&Signature=a~b&Key-Pair-Id=K", ""},
		{"custom and hash", "Policy=e30_&Signature=s&Key-Pair-Id=K&Hash-Algorithm=SHA256", ""},
		{"own before", "color=red&size=medium&Expires=1&Signature=s&Key-Pair-Id=K", "color=red&size=medium"},
		{"own after", "Expires=1&Signature=s&Key-Pair-Id=K&color=red", "color=red"},
		{"order and encoding kept", "b=2&a=%2F&Expires=1&c=x+y&Signature=s", "b=2&a=%2F&c=x+y"},
		{"encoded name", "Key%2DPair-Id=K&x=1", "x=1"},
		{"case matters", "expires=1&signature=s", "expires=1&signature=s"},
		{"empty segments kept", "a=1&&b=2", "a=1&&b=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StripSigningParams(tt.in); got != tt.want {
				t.Errorf("StripSigningParams(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestResourceURL(t *testing.T) {
	r := Request{Scheme: "https", Host: "cdn.example.com:8443", RequestURI: "/a%20b?x=1&Expires=2&Signature=s&Key-Pair-Id=K&y=%2F"}
	if got, want := r.ResourceURL(), "https://cdn.example.com:8443/a%20b?x=1&y=%2F"; got != want {
		t.Errorf("ResourceURL() = %q, want %q", got, want)
	}
	r.RequestURI = "/a?Expires=2"
	if got, want := r.ResourceURL(), "https://cdn.example.com:8443/a"; got != want {
		t.Errorf("ResourceURL() = %q, want %q (no '?' when no parameters remain)", got, want)
	}
}

func TestCannedPolicyIsTheDocumentedStatement(t *testing.T) {
	// The documentation's example, whitespace removed.
	want := `{"Statement":[{"Resource":"http://d111111abcdef8.cloudfront.net/horizon.jpg?size=large&license=yes","Condition":{"DateLessThan":{"AWS:EpochTime":1357034400}}}]}`
	if got := string(cannedPolicy("http://d111111abcdef8.cloudfront.net/horizon.jpg?size=large&license=yes", 1357034400)); got != want {
		t.Errorf("cannedPolicy =\n%s\nwant\n%s", got, want)
	}
	// Escaping as Python's json.dumps (aws cloudfront sign): printable ASCII
	// as is (also < & > /), the rest as \u escapes, lower-case hex.
	want = `{"Statement":[{"Resource":"x\"\\/\u007f\u0001\u00e9\ud83d\ude00<&>\t","Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}`
	if got := string(cannedPolicy("x\"\\/\x7f\x01é😀<&>\t", 1)); got != want {
		t.Errorf("cannedPolicy escaping =\n%s\nwant\n%s", got, want)
	}
}

func TestMatchResource(t *testing.T) {
	const doc = "http://d111111abcdef8.cloudfront.net/*game_download.zip*"
	tests := []struct {
		pattern, url string
		want         bool
	}{
		{doc, "http://d111111abcdef8.cloudfront.net/game_download.zip", true},
		{doc, "http://d111111abcdef8.cloudfront.net/example_game_download.zip?license=yes", true},
		{doc, "http://d111111abcdef8.cloudfront.net/test_game_download.zip?license=temp", true},
		{doc, "http://d111111abcdef8.cloudfront.net/game_download.tar", false},
		{"http://*", "http://d111111abcdef8.cloudfront.net/training/orientation.pdf", true},
		{"http://*", "https://d111111abcdef8.cloudfront.net/", false},
		{"*", "", true},
		{"", "", true},
		{"", "x", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"**a", "a", true},
		{"https://h/p", "https://h/p?x", false},
		{"https://h/p*", "https://h/p?x", true},
	}
	for _, tt := range tests {
		if got := matchResource(tt.pattern, tt.url); got != tt.want {
			t.Errorf("matchResource(%q, %q) = %v, want %v", tt.pattern, tt.url, got, tt.want)
		}
	}
}

// moveParamToEnd moves the query segment seg to the end of u, as CloudFront
// allows ("in certain rare circumstances").
func moveParamToEnd(u, seg string) string {
	u = strings.Replace(u, seg+"&", "", 1)
	return u + "&" + seg
}

func tamperSignature(u string) string {
	i := strings.Index(u, "Signature=") + len("Signature=") + 10
	c := byte('A')
	if u[i] == 'A' {
		c = 'B'
	}
	return u[:i] + string(c) + u[i+1:]
}

// swapPolicy replaces the Policy parameter, keeping the old signature.
func swapPolicy(u, policyJSON string) string {
	i := strings.Index(u, "Policy=") + len("Policy=")
	j := strings.Index(u[i:], "&")
	return u[:i] + cfBase64([]byte(policyJSON)) + u[i+j:]
}

func replaceCookie(cs []*http.Cookie, name, value string) []*http.Cookie {
	out := make([]*http.Cookie, len(cs))
	for i, c := range cs {
		cc := *c
		if cc.Name == name {
			cc.Value = value
		}
		out[i] = &cc
	}
	return out
}
