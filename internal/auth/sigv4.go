package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Wire constants of Signature Version 4. Frozen by AWS.
const (
	algorithmHMAC    = "AWS4-HMAC-SHA256"
	scopeTerminator  = "aws4_request"
	amzDateLayout    = "20060102T150405Z"
	scopeDateLayout  = "20060102"
	emptySHA256Hex   = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	defaultMaxSkew   = 15 * time.Minute
	maxPresignExpiry = 7 * 24 * 60 * 60 // seconds
)

// ErrHeadersNotSigned is returned when an x-amz-* header is present in the
// request but not covered by the signature (S3: AccessDenied "There were
// headers present in the request which were not signed"). It wraps
// ErrMissingAuth so that callers mapping ErrMissingAuth to AccessDenied
// need nothing new.
var ErrHeadersNotSigned = fmt.Errorf("auth: headers present in the request were not signed: %w", ErrMissingAuth)

// credentialScope is the parsed Credential component:
// AKID/YYYYMMDD/REGION/SERVICE/aws4_request.
type credentialScope struct {
	accessKeyID string
	date        string // YYYYMMDD
	region      string
	service     string
}

// signedAuth is what a client claims: who signed, over which headers, and the
// signature itself.
type signedAuth struct {
	scope         credentialScope
	signedHeaders []string // lower-case, in the order the client listed them
	signature     []byte   // 32 raw bytes
}

// parseCredential parses AKID/DATE/REGION/SERVICE/aws4_request. malformed
// is the sentinel to wrap on failure (header or query flavour).
func parseCredential(v string, malformed error) (credentialScope, error) {
	parts := strings.Split(v, "/")
	if len(parts) != 5 {
		return credentialScope{}, fmt.Errorf("%w: credential must have 5 slash-separated parts", malformed)
	}
	s := credentialScope{accessKeyID: parts[0], date: parts[1], region: parts[2], service: parts[3]}
	switch {
	case s.accessKeyID == "":
		return credentialScope{}, fmt.Errorf("%w: empty access key in credential", malformed)
	case !isScopeDate(s.date):
		return credentialScope{}, fmt.Errorf("%w: invalid credential date %q", malformed, s.date)
	case !isScopeToken(s.region):
		return credentialScope{}, fmt.Errorf("%w: invalid credential region %q", malformed, s.region)
	case !isScopeToken(s.service):
		return credentialScope{}, fmt.Errorf("%w: invalid credential service %q", malformed, s.service)
	case parts[4] != scopeTerminator:
		return credentialScope{}, fmt.Errorf("%w: credential must end with %s", malformed, scopeTerminator)
	}
	return s, nil
}

// isScopeDate reports whether s is a valid YYYYMMDD date, as
// time.Parse(scopeDateLayout, s) would, without its cost on every request.
func isScopeDate(s string) bool {
	if len(s) != 8 {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		n = n*10 + int(s[i]-'0')
	}
	year, month, day := n/10000, time.Month(n/100%100), n%100
	// Day 0 of the next month is the last day of this one.
	return month >= time.January && month <= time.December &&
		day >= 1 && day <= time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// isScopeToken accepts region and service names: short, printable, no
// separators that could confuse the string to sign.
func isScopeToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// parseSignedHeaders parses "host;x-amz-date;…". Names must be lower-case
// HTTP tokens, unique, and include host.
func parseSignedHeaders(v string, malformed error) ([]string, error) {
	if v == "" {
		return nil, fmt.Errorf("%w: empty SignedHeaders", malformed)
	}
	names := strings.Split(v, ";")
	if len(names) > 256 {
		return nil, fmt.Errorf("%w: too many signed headers", malformed)
	}
	// Clients sign a handful of headers: a linear search for duplicates
	// is cheaper than a map up to a few dozen.
	var seen map[string]bool
	if len(names) > 32 {
		seen = make(map[string]bool, len(names))
	}
	for i, n := range names {
		if !isLowerToken(n) {
			return nil, fmt.Errorf("%w: invalid signed header name %q", malformed, n)
		}
		var dup bool
		if seen != nil {
			dup, seen[n] = seen[n], true
		} else {
			dup = slices.Contains(names[:i], n)
		}
		if dup {
			return nil, fmt.Errorf("%w: duplicate signed header %q", malformed, n)
		}
	}
	if !slices.Contains(names, "host") {
		return nil, fmt.Errorf("%w: host header must be signed", malformed)
	}
	return names, nil
}

func isLowerToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func parseSignature(v string, malformed error) ([]byte, error) {
	if len(v) != 2*sha256.Size {
		return nil, fmt.Errorf("%w: signature must be %d hex digits", malformed, 2*sha256.Size)
	}
	sig, err := hex.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("%w: signature is not hex", malformed)
	}
	return sig, nil
}

// parseAuthorizationHeader parses
//
//	AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=HEX
//
// Any other scheme (SigV2 "AWS AKID:sig", SigV4a "AWS4-ECDSA-P256-SHA256",
// …) is ErrUnsupportedAlgorithm; a bad SigV4 header is
// ErrAuthorizationHeaderMalformed.
func parseAuthorizationHeader(v string) (signedAuth, error) {
	malformed := ErrAuthorizationHeaderMalformed
	alg, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
	if alg == "" {
		return signedAuth{}, fmt.Errorf("%w: empty", malformed)
	}
	if alg != algorithmHMAC {
		return signedAuth{}, fmt.Errorf("%w: %.40q", ErrUnsupportedAlgorithm, alg)
	}
	var cred, headers, sig string
	var haveCred, haveHeaders, haveSig bool
	for part := range strings.SplitSeq(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return signedAuth{}, fmt.Errorf("%w: component without '='", malformed)
		}
		var dst *string
		var have *bool
		switch k {
		case "Credential":
			dst, have = &cred, &haveCred
		case "SignedHeaders":
			dst, have = &headers, &haveHeaders
		case "Signature":
			dst, have = &sig, &haveSig
		default:
			return signedAuth{}, fmt.Errorf("%w: unknown component %.40q", malformed, k)
		}
		if *have {
			return signedAuth{}, fmt.Errorf("%w: duplicate component %s", malformed, k)
		}
		*dst, *have = val, true
	}
	if !haveCred || !haveHeaders || !haveSig {
		return signedAuth{}, fmt.Errorf("%w: Credential, SignedHeaders and Signature are required", malformed)
	}
	return buildSignedAuth(cred, headers, sig, malformed)
}

func buildSignedAuth(cred, headers, sig string, malformed error) (signedAuth, error) {
	scope, err := parseCredential(cred, malformed)
	if err != nil {
		return signedAuth{}, err
	}
	names, err := parseSignedHeaders(headers, malformed)
	if err != nil {
		return signedAuth{}, err
	}
	raw, err := parseSignature(sig, malformed)
	if err != nil {
		return signedAuth{}, err
	}
	return signedAuth{scope: scope, signedHeaders: names, signature: raw}, nil
}

// presignedAuth is a parsed presigned (query-string) authentication.
type presignedAuth struct {
	signedAuth
	date    time.Time
	amzDate string // X-Amz-Date exactly as sent
	expires time.Duration
}

// Query parameters of a presigned request.
const (
	queryAlgorithm     = "X-Amz-Algorithm"
	queryCredential    = "X-Amz-Credential"
	queryDate          = "X-Amz-Date"
	queryExpires       = "X-Amz-Expires"
	querySignedHeaders = "X-Amz-SignedHeaders"
	querySignature     = "X-Amz-Signature"
)

// isPresigned reports whether the query attempts SigV4 query authentication.
func isPresigned(q url.Values) bool {
	return q.Has(querySignature) || q.Has(queryAlgorithm) || q.Has(queryCredential)
}

// parsePresignedQuery parses the X-Amz-* parameters of a presigned URL.
// X-Amz-Algorithm other than AWS4-HMAC-SHA256 is ErrUnsupportedAlgorithm;
// anything missing, repeated or invalid is ErrAuthorizationQueryMalformed.
func parsePresignedQuery(q url.Values) (presignedAuth, error) {
	malformed := ErrAuthorizationQueryMalformed
	get := func(k string) (string, error) {
		vs := q[k]
		switch len(vs) {
		case 0:
			return "", fmt.Errorf("%w: missing %s", malformed, k)
		case 1:
			return vs[0], nil
		default:
			return "", fmt.Errorf("%w: repeated %s", malformed, k)
		}
	}
	var vals [6]string
	for i, k := range [...]string{queryAlgorithm, queryCredential, queryDate, queryExpires, querySignedHeaders, querySignature} {
		v, err := get(k)
		if err != nil {
			return presignedAuth{}, err
		}
		vals[i] = v
		if i == 0 && v != algorithmHMAC {
			return presignedAuth{}, fmt.Errorf("%w: X-Amz-Algorithm %.40q", ErrUnsupportedAlgorithm, v)
		}
	}
	sa, err := buildSignedAuth(vals[1], vals[4], vals[5], malformed)
	if err != nil {
		return presignedAuth{}, err
	}
	date, err := time.Parse(amzDateLayout, vals[2])
	if err != nil {
		return presignedAuth{}, fmt.Errorf("%w: invalid X-Amz-Date", malformed)
	}
	exp, err := parseDecimal(vals[3])
	if err != nil || exp < 1 || exp > maxPresignExpiry {
		return presignedAuth{}, fmt.Errorf("%w: X-Amz-Expires must be between 1 and %d seconds", malformed, maxPresignExpiry)
	}
	return presignedAuth{signedAuth: sa, date: date, amzDate: vals[2], expires: time.Duration(exp) * time.Second}, nil
}

// parseDecimal parses a non-negative decimal without sign or spaces.
func parseDecimal(s string) (int64, error) {
	if s == "" || len(s) > 18 {
		return 0, errors.New("bad decimal")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("bad decimal")
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

// wireTarget returns the escaped path and raw query exactly as the client
// sent them. S3 signs the path as sent (no normalisation, no second round of
// encoding), so the request line is the authority; r.URL is only a fallback
// for requests that did not come off the wire.
func wireTarget(r *http.Request) (path, rawQuery string) {
	if ru := r.RequestURI; ru != "" && ru[0] == '/' {
		path, rawQuery, _ = strings.Cut(ru, "?")
	} else {
		path, rawQuery = r.URL.EscapedPath(), r.URL.RawQuery
	}
	if path == "" {
		path = "/"
	}
	return path, rawQuery
}

// canonicalQuery builds the SigV4 canonical query string: every parameter
// decoded, re-encoded with AWS's rules, sorted by key then value.
// X-Amz-Signature is left out for presigned requests.
func canonicalQuery(rawQuery string, presigned bool) string {
	if rawQuery == "" {
		return ""
	}
	type param struct{ k, v string }
	var params []param
	for seg := range strings.SplitSeq(rawQuery, "&") {
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		k, v = queryUnescape(k), queryUnescape(v)
		if presigned && k == querySignature {
			continue
		}
		params = append(params, param{uriEncode(k), uriEncode(v)})
	}
	slices.SortFunc(params, func(a, b param) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// queryUnescape decodes like net/url does for r.URL.Query() ('+' is a space),
// so the signature covers the parameters the handlers will see. An invalid
// escape is kept literally (and then fails to match any honest signature).
func queryUnescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// EncodePath percent-encodes an S3 object path for a request URI as
// SigV4 signs it for S3: each segment with uriEncode, slashes kept.
func EncodePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = uriEncode(s)
	}
	return strings.Join(segs, "/")
}

// uriEncode percent-encodes everything but the RFC 3986 unreserved set, with
// upper-case hex, as SigV4 requires for query keys and values.
func uriEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !isUnreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return string(b)
}

func isUnreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}

// canonicalHeaderValue is the value of one signed header: all values joined
// by ',', each trimmed with inner runs of spaces collapsed.
func canonicalHeaderValue(r *http.Request, name string) string {
	switch name {
	case "host":
		if r.Host != "" {
			return collapseSpaces(r.Host)
		}
		return collapseSpaces(r.URL.Host)
	case "content-length":
		// net/http may move Content-Length out of the header map.
		if len(r.Header.Values("Content-Length")) == 0 && r.ContentLength >= 0 {
			return strconv.FormatInt(r.ContentLength, 10)
		}
	case "transfer-encoding":
		if len(r.Header.Values("Transfer-Encoding")) == 0 && len(r.TransferEncoding) > 0 {
			return strings.Join(r.TransferEncoding, ",")
		}
	}
	vals := headerValues(r.Header, name)
	if len(vals) == 1 {
		return collapseSpaces(vals[0])
	}
	var b strings.Builder
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(collapseSpaces(v))
	}
	return b.String()
}

// headerValues returns h.Values(name) for a lower-case token name (a
// signed header name), without allocating the canonical form of name as
// h.Values does: the lookup by string(bytes) does not allocate.
func headerValues(h http.Header, name string) []string {
	var key [64]byte
	if len(name) > len(key) {
		return h.Values(name)
	}
	upper := true // as textproto.CanonicalMIMEHeaderKey for a token
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		key[i] = c
		upper = c == '-'
	}
	return h[string(key[:len(name)])]
}

func collapseSpaces(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// canonicalRequest builds the SigV4 canonical request of r.
func canonicalRequest(r *http.Request, signedHeaders []string, payloadHash string, presigned bool) []byte {
	path, rawQuery := wireTarget(r)
	query := canonicalQuery(rawQuery, presigned)
	// Room on the stack for the usual handful of signed headers.
	values := make([]string, 0, 16)
	n := len(r.Method) + len(path) + len(query) + len(payloadHash) + 5
	for _, h := range signedHeaders {
		v := canonicalHeaderValue(r, h)
		values = append(values, v)
		n += len(h) + 1 + len(v) + 1 + len(h) + 1 // "h:v\n" and "h;"
	}
	b := make([]byte, 0, n)
	b = append(b, r.Method...)
	b = append(b, '\n')
	b = append(b, path...)
	b = append(b, '\n')
	b = append(b, query...)
	b = append(b, '\n')
	for i, h := range signedHeaders {
		b = append(b, h...)
		b = append(b, ':')
		b = append(b, values[i]...)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	for i, h := range signedHeaders {
		if i > 0 {
			b = append(b, ';')
		}
		b = append(b, h...)
	}
	b = append(b, '\n')
	return append(b, payloadHash...)
}

// stringToSign joins the parts of a SigV4 string to sign.
func stringToSign(algorithm, amzDate string, scope credentialScope, last ...string) string {
	n := len(algorithm) + len(amzDate) + len(scope.date) + len(scope.region) + len(scope.service) + len(scopeTerminator) + 5
	for _, s := range last {
		n += 1 + len(s)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(algorithm)
	b.WriteByte('\n')
	b.WriteString(amzDate)
	b.WriteByte('\n')
	b.WriteString(scope.date)
	b.WriteByte('/')
	b.WriteString(scope.region)
	b.WriteByte('/')
	b.WriteString(scope.service)
	b.WriteByte('/')
	b.WriteString(scopeTerminator)
	for _, s := range last {
		b.WriteByte('\n')
		b.WriteString(s)
	}
	return b.String()
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// SigningKey derives the SigV4 signing key of secret for one day
// (YYYYMMDD), region and service, for clients that sign their own requests
// (kms.Client).
func SigningKey(secret, date, region, service string) [sha256.Size]byte {
	return signingKey(secret, credentialScope{date: date, region: region, service: service})
}

// signingKey derives the SigV4 key for one day, region and service.
func signingKey(secret string, scope credentialScope) [sha256.Size]byte {
	k := hmacSHA256([]byte("AWS4"+secret), scope.date)
	k = hmacSHA256(k, scope.region)
	k = hmacSHA256(k, scope.service)
	return [sha256.Size]byte(hmacSHA256(k, scopeTerminator))
}

// checkAllAmzHeadersSigned rejects x-amz-* headers the signature does not
// cover: they carry authorization-relevant inputs (ACLs, SSE, tagging) that
// an intermediary must not be able to inject.
func checkAllAmzHeadersSigned(h http.Header, signed []string) error {
	for k := range h {
		if len(k) < 6 || !strings.EqualFold(k[:6], "x-amz-") {
			continue
		}
		if !slices.ContainsFunc(signed, func(s string) bool { return strings.EqualFold(s, k) }) {
			return fmt.Errorf("%w: %s", ErrHeadersNotSigned, strings.ToLower(k))
		}
	}
	return nil
}
