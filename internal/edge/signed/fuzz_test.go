package signed

import (
	"crypto"
	"errors"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"
)

// FuzzParsePolicy: parsing never panics, and whatever it accepts has the
// documented shape.
func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(customJSON(base, expires, 0, "")))
	f.Add([]byte(customJSON("http://*", expires, expires-10, "192.0.2.0/24")))
	f.Add([]byte(customJSON("", expires, 0, "")))
	f.Add([]byte(`{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1e3}}}]}`))
	f.Add([]byte(`{"Statement":[{"Resource":"\u002a","Condition":{"DateLessThan":{"AWS:EpochTime":1},"IpAddress":{"AWS:SourceIp":"::/0"}}}]}`))
	f.Fuzz(func(t *testing.T, js []byte) {
		p, err := parsePolicy(js)
		if err != nil {
			return
		}
		if p.lessThan < 0 || p.greaterThan < 0 {
			t.Errorf("negative epoch accepted: %+v", p)
		}
		if p.sourceIP.IsValid() && (!p.sourceIP.Addr().Is4() || p.sourceIP != p.sourceIP.Masked()) {
			t.Errorf("source IP %v is not a masked IPv4 prefix", p.sourceIP)
		}
	})
}

// FuzzVerify feeds arbitrary request targets and cookies to Verify with a
// real key group: it never panics, lets a request through only with a
// signature the test issued (the fuzzer holds no key), and every error wraps
// exactly one of the documented sentinels.
func FuzzVerify(f *testing.F) {
	signer := testSigner{keyID: "K1EXAMPLE", key: testKeys()[0]}
	group, err := NewKeyGroup("kg1", map[string]crypto.PublicKey{"K1EXAMPLE": testKeys()[0].Public()})
	if err != nil {
		f.Fatal(err)
	}
	issued := map[string]bool{}
	for _, u := range []string{
		signer.cannedURL(f, base+"?a=1", expires),
		signer.customURL(f, base, customJSON("https://cdn.example.com/*", expires, 0, "192.0.2.0/24")),
	} {
		r := requestFor(f, u)
		f.Add(r.RequestURI, "")
		_, q, _ := strings.Cut(r.RequestURI, "?")
		vals, err := signingValues(q)
		if err != nil {
			f.Fatal(err)
		}
		issued[vals["Signature"]] = true
	}
	f.Add("/private/movie.mp4?Expires=1&Signature=&Key-Pair-Id=K1EXAMPLE&Hash-Algorithm=SHA256", "")
	f.Add("/private/movie.mp4?Policy=%ZZ&Signature=~~~~&Key-Pair-Id=K1EXAMPLE", "")
	f.Add("/private/x", "CloudFront-Policy=e30_; CloudFront-Signature=AAAA; CloudFront-Key-Pair-Id=K1EXAMPLE")
	sentinels := []error{ErrMissingSignature, ErrMalformed, ErrUnknownKey, ErrBadSignature,
		ErrResourceMismatch, ErrExpired, ErrNotYetValid, ErrIPNotAllowed}
	f.Fuzz(func(t *testing.T, requestURI, cookieHeader string) {
		cookies, _ := http.ParseCookie(cookieHeader)
		req := Request{Scheme: "https", Host: "cdn.example.com", RequestURI: requestURI, Cookies: cookies,
			ClientIP: netip.MustParseAddr("192.0.2.10")}
		g, err := Verify([]*KeyGroup{group}, req, time.Unix(expires-60, 0))
		if err == nil {
			_, q, _ := strings.Cut(requestURI, "?")
			vals, _ := signingValues(q)
			if g.Source == FromCookie {
				vals = cookieValues(cookies)
			}
			if sig, _ := decodeBase64(vals["Signature"]); !issuedSignature(issued, sig) {
				t.Fatalf("Verify accepted a signature the test did not issue: %q %q", requestURI, cookieHeader)
			}
			return
		}
		n := 0
		for _, s := range sentinels {
			if errors.Is(err, s) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("error %v wraps %d sentinels, want 1", err, n)
		}
	})
}

// issuedSignature compares decoded bytes: the base64 leniency means one
// signature has several spellings.
func issuedSignature(issued map[string]bool, sig []byte) bool {
	for s := range issued {
		if b, _ := decodeBase64(s); string(b) == string(sig) {
			return true
		}
	}
	return false
}

// FuzzMatchResource checks the wildcard matcher against a regular expression
// doing the same job.
func FuzzMatchResource(f *testing.F) {
	f.Add("http://d111111abcdef8.cloudfront.net/*game_download.zip*", "http://d111111abcdef8.cloudfront.net/example_game_download.zip?license=yes")
	f.Add("a?c*", "abcdef")
	f.Add("**?*", "")
	f.Fuzz(func(t *testing.T, pattern, url string) {
		if !isASCII(pattern) || !isASCII(url) {
			return // regexp matches runes; the matcher matches bytes of an ASCII URL
		}
		var re strings.Builder
		re.WriteString(`^(?s)`)
		for _, c := range pattern {
			switch c {
			case '*':
				re.WriteString(`.*`)
			case '?':
				re.WriteString(`.`)
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		re.WriteString(`$`)
		want := regexp.MustCompile(re.String()).MatchString(url)
		if got := matchResource(pattern, url); got != want {
			t.Errorf("matchResource(%q, %q) = %v, regexp says %v", pattern, url, got, want)
		}
	})
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
