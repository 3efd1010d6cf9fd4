package signed

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Errors returned by Verify; each error wraps exactly one of them. All mean
// "deny": the edge answers 403 with CloudFront's AccessDenied body whatever
// the cause, and logs the cause.
var (
	// ErrMissingSignature: no signed URL and no signed cookies, or an
	// incomplete set (e.g. Expires without Signature or Key-Pair-Id).
	ErrMissingSignature = errors.New("signed: missing signature")
	// ErrMalformed: a signing value cannot be decoded: bad base64, a policy
	// that is not CloudFront's JSON form, an Expires that is not an integer,
	// an unknown Hash-Algorithm, repeated or conflicting parameters.
	ErrMalformed = errors.New("signed: malformed signing parameters")
	// ErrUnknownKey: Key-Pair-Id names no key in the trusted key groups.
	ErrUnknownKey = errors.New("signed: unknown key pair id")
	// ErrBadSignature: the signature does not verify with the named key (for
	// a canned policy this includes any change to the URL or Expires).
	ErrBadSignature = errors.New("signed: signature does not match")
	// ErrResourceMismatch: a custom policy's Resource does not match the URL.
	ErrResourceMismatch = errors.New("signed: resource does not match the policy")
	// ErrExpired: now is at or after DateLessThan (Expires).
	ErrExpired = errors.New("signed: expired")
	// ErrNotYetValid: now is at or before DateGreaterThan.
	ErrNotYetValid = errors.New("signed: not yet valid")
	// ErrIPNotAllowed: the client address is outside the policy's
	// AWS:SourceIp range (an IPv6 client never matches: CloudFront's IP
	// conditions are IPv4 only).
	ErrIPNotAllowed = errors.New("signed: client IP address not allowed")
)

// The query parameters and cookies of CloudFront's signing scheme.
var (
	signingParams  = [...]string{"Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm"}
	signingCookies = [...]string{"CloudFront-Expires", "CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id", "CloudFront-Hash-Algorithm"}
)

// Request is what Verify needs of a viewer request.
type Request struct {
	// Scheme is how the viewer reached the edge: "http" or "https".
	Scheme string
	// Host is the Host header as the viewer sent it (an alias of the
	// distribution, with the port if one was given).
	Host string
	// RequestURI is the request target as it was on the wire: the escaped
	// path and the raw query, signing parameters included (http.Request's
	// RequestURI).
	RequestURI string
	// Cookies are the viewer's cookies (http.Request.Cookies()).
	Cookies []*http.Cookie
	// ClientIP is the viewer's address, for IpAddress conditions.
	ClientIP netip.Addr
}

// ResourceURL is the URL a policy is about: scheme://host/path?query without
// the signing parameters, the others kept in their order and encoding.
func (r Request) ResourceURL() string {
	path, rawQuery, _ := strings.Cut(r.RequestURI, "?")
	u := r.Scheme + "://" + r.Host + path
	if q := StripSigningParams(rawQuery); q != "" {
		u += "?" + q
	}
	return u
}

// Source says where the signature came from.
type Source string

const (
	FromURL    Source = "url"
	FromCookie Source = "cookie"
)

// Grant describes a request that Verify let through, for the access log.
type Grant struct {
	Source   Source
	Custom   bool // custom policy (else canned)
	KeyGroup string
	KeyID    string
	Expires  time.Time
}

// Verify checks a viewer request against the trusted key groups of a cache
// behaviour, at time now. The signed URL parameters are used if the query
// has any of them; otherwise the signed cookies. It returns an error wrapping
// one of ErrMissingSignature, ErrMalformed, ErrUnknownKey, ErrBadSignature,
// ErrResourceMismatch, ErrExpired, ErrNotYetValid or ErrIPNotAllowed. The
// signature is checked before any condition of the policy, so a condition
// error means the signer really issued that policy.
func Verify(groups []*KeyGroup, req Request, now time.Time) (Grant, error) {
	_, rawQuery, _ := strings.Cut(req.RequestURI, "?")
	vals, err := signingValues(rawQuery)
	if err != nil {
		return Grant{}, err
	}
	src := FromURL
	if len(vals) == 0 {
		src = FromCookie
		if vals = cookieValues(req.Cookies); len(vals) == 0 {
			return Grant{}, fmt.Errorf("%w: no signed URL parameters or signed cookies", ErrMissingSignature)
		}
	}
	g, err := verify(groups, req.ResourceURL(), vals, req.ClientIP, now)
	g.Source = src
	if err != nil {
		return g, fmt.Errorf("%w (signed %s)", err, src)
	}
	return g, nil
}

// StripSigningParams returns rawQuery without the signing parameters
// (Expires, Policy, Signature, Key-Pair-Id, Hash-Algorithm), the others left
// in their order and encoding: the query the cache key and the origin see.
func StripSigningParams(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	var kept []string
	for seg := range strings.SplitSeq(rawQuery, "&") {
		if _, ok := signingName(seg); !ok {
			kept = append(kept, seg)
		}
	}
	return strings.Join(kept, "&")
}

// signingName returns the signing parameter a query segment sets, if any.
func signingName(seg string) (string, bool) {
	k, _, _ := strings.Cut(seg, "=")
	if uk, err := url.QueryUnescape(k); err == nil {
		k = uk
	}
	for _, p := range signingParams {
		if k == p {
			return p, true
		}
	}
	return "", false
}

// values are the signing values by parameter name (the URL names, also for
// cookies), decoded from the query or cookie encoding.
type values map[string]string

func signingValues(rawQuery string) (values, error) {
	vals := values{}
	if rawQuery == "" {
		return vals, nil
	}
	for seg := range strings.SplitSeq(rawQuery, "&") {
		name, ok := signingName(seg)
		if !ok {
			continue
		}
		_, v, _ := strings.Cut(seg, "=")
		uv, err := url.QueryUnescape(v)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, name, err)
		}
		if _, dup := vals[name]; dup {
			return nil, fmt.Errorf("%w: %s repeated", ErrMalformed, name)
		}
		vals[name] = uv
	}
	return vals, nil
}

// cookieValues takes the first cookie of each signing name: browsers send
// the cookie with the most specific Path first.
func cookieValues(cookies []*http.Cookie) values {
	vals := values{}
	for _, c := range cookies {
		for i, name := range signingCookies {
			if c.Name != name {
				continue
			}
			if _, seen := vals[signingParams[i]]; !seen {
				vals[signingParams[i]] = c.Value
			}
		}
	}
	return vals
}

func verify(groups []*KeyGroup, resourceURL string, vals values, clientIP netip.Addr, now time.Time) (Grant, error) {
	var g Grant
	expires, hasExpires := vals["Expires"]
	encPolicy, hasPolicy := vals["Policy"]
	sigText, hasSig := vals["Signature"]
	keyID, hasKey := vals["Key-Pair-Id"]
	switch {
	case hasExpires && hasPolicy:
		return g, fmt.Errorf("%w: both Expires and Policy", ErrMalformed)
	case !hasExpires && !hasPolicy:
		return g, fmt.Errorf("%w: neither Expires nor Policy", ErrMissingSignature)
	case !hasSig || sigText == "":
		return g, fmt.Errorf("%w: no Signature", ErrMissingSignature)
	case !hasKey || keyID == "":
		return g, fmt.Errorf("%w: no Key-Pair-Id", ErrMissingSignature)
	}
	g.KeyID = keyID
	hash := crypto.SHA1
	switch alg, ok := vals["Hash-Algorithm"]; {
	case !ok || alg == "SHA1":
	case alg == "SHA256":
		hash = crypto.SHA256
	default:
		return g, fmt.Errorf("%w: Hash-Algorithm %q is not SHA1 or SHA256", ErrMalformed, alg)
	}
	sig, err := decodeBase64(sigText)
	if err != nil {
		return g, fmt.Errorf("%w: Signature: %v", ErrMalformed, err)
	}

	var (
		p       policy
		message []byte
	)
	if hasExpires {
		if p.lessThan, err = parseEpoch(expires); err != nil {
			return g, fmt.Errorf("%w: Expires: %v", ErrMalformed, err)
		}
		p.resource, p.hasResource = resourceURL, true
		message = cannedPolicy(resourceURL, p.lessThan)
	} else {
		g.Custom = true
		if len(encPolicy) > maxPolicyLen {
			return g, fmt.Errorf("%w: Policy longer than %d bytes", ErrMalformed, maxPolicyLen)
		}
		if message, err = decodeBase64(encPolicy); err != nil {
			return g, fmt.Errorf("%w: Policy: %v", ErrMalformed, err)
		}
		if p, err = parsePolicy(message); err != nil {
			return g, fmt.Errorf("%w: Policy: %v", ErrMalformed, err)
		}
	}
	g.Expires = time.Unix(p.lessThan, 0).UTC()

	group, err := checkSignature(groups, keyID, hash, message, sig)
	g.KeyGroup = group
	if err != nil {
		return g, err
	}
	return g, p.allows(resourceURL, clientIP, now)
}

// checkSignature verifies sig over message with the key keyID of any of the
// groups, returning the name of the group whose key verified.
func checkSignature(groups []*KeyGroup, keyID string, hash crypto.Hash, message, sig []byte) (string, error) {
	var digest []byte
	if hash == crypto.SHA256 {
		d := sha256.Sum256(message)
		digest = d[:]
	} else {
		d := sha1.Sum(message)
		digest = d[:]
	}
	known := false
	for _, g := range groups {
		key, ok := g.keys[keyID]
		if !ok {
			continue
		}
		known = true
		switch key := key.(type) {
		case *rsa.PublicKey:
			if rsa.VerifyPKCS1v15(key, hash, digest, sig) == nil {
				return g.Name, nil
			}
		case *ecdsa.PublicKey:
			if ecdsa.VerifyASN1(key, digest, sig) {
				return g.Name, nil
			}
		}
	}
	if !known {
		return "", fmt.Errorf("%w: %q", ErrUnknownKey, keyID)
	}
	return "", fmt.Errorf("%w (key %s, %s)", ErrBadSignature, keyID, hash)
}

// allows checks a verified policy's conditions.
func (p policy) allows(resourceURL string, clientIP netip.Addr, now time.Time) error {
	if p.hasResource && !matchResource(p.resource, resourceURL) {
		return fmt.Errorf("%w: %s is not %s", ErrResourceMismatch, resourceURL, p.resource)
	}
	t := now.Unix()
	if t >= p.lessThan {
		return fmt.Errorf("%w at %s", ErrExpired, time.Unix(p.lessThan, 0).UTC().Format(time.RFC3339))
	}
	if p.hasGreater && t <= p.greaterThan {
		return fmt.Errorf("%w until %s", ErrNotYetValid, time.Unix(p.greaterThan, 0).UTC().Format(time.RFC3339))
	}
	if p.sourceIP.IsValid() {
		ip := clientIP.Unmap()
		if !ip.Is4() || !p.sourceIP.Contains(ip) {
			return fmt.Errorf("%w: %s is outside %s", ErrIPNotAllowed, clientIP, p.sourceIP)
		}
	}
	return nil
}
