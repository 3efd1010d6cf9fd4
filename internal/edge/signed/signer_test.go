package signed

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// This file is a test-only signer written from CloudFront's documentation
// (not from the package under test), so that the tests check the verifier
// against an independent reading of the format.

// testKeys are generated once: RSA key generation is slow under -race.
var testKeys = sync.OnceValue(func() []*rsa.PrivateKey {
	keys := make([]*rsa.PrivateKey, 3)
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
})

var testECKey = sync.OnceValue(func() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
})

type testSigner struct {
	keyID string
	key   crypto.Signer
	hash  crypto.Hash // crypto.SHA1 unless set
}

// cfBase64 is CloudFront's URL-safe base64.
func cfBase64(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	return strings.NewReplacer("+", "-", "=", "_", "/", "~").Replace(s)
}

func (s testSigner) signature(t testing.TB, policy string) string {
	t.Helper()
	var digest []byte
	h := s.hash
	if h == 0 {
		h = crypto.SHA1
	}
	if h == crypto.SHA256 {
		d := sha256.Sum256([]byte(policy))
		digest = d[:]
	} else {
		d := sha1.Sum([]byte(policy))
		digest = d[:]
	}
	sig, err := s.key.Sign(rand.Reader, digest, h)
	if err != nil {
		t.Fatal(err)
	}
	return cfBase64(sig)
}

func (s testSigner) hashParam() string {
	if s.hash == crypto.SHA256 {
		return "&Hash-Algorithm=SHA256"
	}
	return ""
}

// cannedJSON is the canned policy statement with the whitespace removed, as
// the documentation's example shows it.
func cannedJSON(resource string, expires int64) string {
	return `{"Statement":[{"Resource":"` + resource + `","Condition":{"DateLessThan":{"AWS:EpochTime":` +
		strconv.FormatInt(expires, 10) + `}}}]}`
}

// customJSON builds a custom policy; empty resource leaves Resource out,
// zero greaterThan leaves DateGreaterThan out, empty ip leaves IpAddress out.
func customJSON(resource string, lessThan, greaterThan int64, ip string) string {
	var cond []string
	cond = append(cond, `"DateLessThan":{"AWS:EpochTime":`+strconv.FormatInt(lessThan, 10)+`}`)
	if greaterThan != 0 {
		cond = append(cond, `"DateGreaterThan":{"AWS:EpochTime":`+strconv.FormatInt(greaterThan, 10)+`}`)
	}
	if ip != "" {
		cond = append(cond, `"IpAddress":{"AWS:SourceIp":"`+ip+`"}`)
	}
	stmt := `"Condition":{` + strings.Join(cond, ",") + `}`
	if resource != "" {
		stmt = `"Resource":"` + resource + `",` + stmt
	}
	return `{"Statement":[{` + stmt + `}]}`
}

func appendQuery(rawURL, params string) string {
	if strings.Contains(rawURL, "?") {
		return rawURL + "&" + params
	}
	return rawURL + "?" + params
}

// cannedURL signs rawURL (which may have its own query) with a canned policy.
func (s testSigner) cannedURL(t testing.TB, rawURL string, expires int64) string {
	sig := s.signature(t, cannedJSON(rawURL, expires))
	return appendQuery(rawURL, "Expires="+strconv.FormatInt(expires, 10)+"&Signature="+sig+"&Key-Pair-Id="+s.keyID+s.hashParam())
}

// customURL signs rawURL with the custom policy policyJSON.
func (s testSigner) customURL(t testing.TB, rawURL, policyJSON string) string {
	sig := s.signature(t, policyJSON)
	return appendQuery(rawURL, "Policy="+cfBase64([]byte(policyJSON))+"&Signature="+sig+"&Key-Pair-Id="+s.keyID+s.hashParam())
}

func (s testSigner) cookies(t testing.TB, first *http.Cookie, signature string) []*http.Cookie {
	cs := []*http.Cookie{
		first,
		{Name: "CloudFront-Signature", Value: signature},
		{Name: "CloudFront-Key-Pair-Id", Value: s.keyID},
	}
	if s.hash == crypto.SHA256 {
		cs = append(cs, &http.Cookie{Name: "CloudFront-Hash-Algorithm", Value: "SHA256"})
	}
	return cs
}

func (s testSigner) cannedCookies(t testing.TB, resource string, expires int64) []*http.Cookie {
	return s.cookies(t, &http.Cookie{Name: "CloudFront-Expires", Value: strconv.FormatInt(expires, 10)},
		s.signature(t, cannedJSON(resource, expires)))
}

func (s testSigner) customCookies(t testing.TB, policyJSON string) []*http.Cookie {
	return s.cookies(t, &http.Cookie{Name: "CloudFront-Policy", Value: cfBase64([]byte(policyJSON))},
		s.signature(t, policyJSON))
}

// requestFor splits a URL exactly as it would arrive (no re-encoding).
func requestFor(t testing.TB, rawURL string) Request {
	t.Helper()
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		t.Fatalf("not an absolute URL: %s", rawURL)
	}
	host, path, _ := strings.Cut(rest, "/")
	return Request{Scheme: scheme, Host: host, RequestURI: "/" + path}
}
