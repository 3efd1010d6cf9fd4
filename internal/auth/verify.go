package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxHashedBody bounds the body Verify reads into memory to hash it itself,
// which it does only for non-S3 services (IAM, STS, KMS) whose clients do
// not send x-amz-content-sha256. Their documents are small.
const maxHashedBody = 1 << 20

// Verify authenticates r with AWS Signature Version 4, in the Authorization
// header or in the query string (presigned URL).
//
// A request with neither is anonymous: the result has Principal.Anonymous set
// and a nil error; the caller decides whether anonymous access is allowed.
//
// Errors (each wraps one sentinel):
//   - ErrUnsupportedAlgorithm: SigV2, SigV4a or another scheme; both an
//     Authorization header and a presigned query.
//   - ErrAuthorizationHeaderMalformed / ErrAuthorizationQueryMalformed: the
//     header or query cannot be parsed, the host header is not signed, the
//     credential date is not the request date, X-Amz-Expires is out of range.
//   - ErrMissingDate: no valid x-amz-date or Date (header auth).
//   - ErrRequestTimeTooSkewed: the request time is more than MaxSkew away from
//     now (for presigned URLs: dated in the future).
//   - ErrRequestExpired: a presigned URL past X-Amz-Expires.
//   - ErrHeadersNotSigned (wraps ErrMissingAuth): an x-amz-* header is not
//     covered by the signature.
//   - ErrMissingContentSHA256 / ErrInvalidContentSHA256: x-amz-content-sha256
//     missing (S3 header auth) or not a payload mode.
//   - ErrMissingDecodedLength: aws-chunked without x-amz-decoded-content-length.
//   - ErrInvalidAccessKeyID (or whatever Creds.Lookup returns).
//   - ErrSignatureDoesNotMatch.
//
// The body is verified as it streams; see Result.Body.
func (v *Verifier) Verify(r *http.Request) (*Result, error) {
	_, rawQuery := wireTarget(r)
	query := parseQueryLenient(rawQuery)
	authz, hasAuthz := r.Header["Authorization"]
	presigned := isPresigned(query)
	switch {
	case hasAuthz && presigned:
		return nil, fmt.Errorf("%w: only one auth mechanism allowed", ErrUnsupportedAlgorithm)
	case hasAuthz:
		if len(authz) != 1 {
			return nil, fmt.Errorf("%w: repeated Authorization header", ErrAuthorizationHeaderMalformed)
		}
		return v.verifyHeader(r, authz[0])
	case presigned:
		return v.verifyPresigned(r, query)
	case query.Has("AWSAccessKeyId") && query.Has("Signature"):
		return nil, fmt.Errorf("%w: signature version 2 presigned URL", ErrUnsupportedAlgorithm)
	default:
		return v.anonymous(r)
	}
}

// signingKeys returns v's signing key cache, creating it on first use.
func (v *Verifier) signingKeys() *signingKeys {
	if c := v.keys.Load(); c != nil {
		return c
	}
	v.keys.CompareAndSwap(nil, newSigningKeys(maxSigningKeys))
	return v.keys.Load()
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return defaultMaxSkew
}

// requestTime returns the header-auth request time and its x-amz-date form.
func requestTime(r *http.Request) (time.Time, string, error) {
	if d := r.Header.Get("X-Amz-Date"); d != "" {
		t, err := time.Parse(amzDateLayout, d)
		if err != nil {
			return time.Time{}, "", fmt.Errorf("%w: invalid x-amz-date", ErrMissingDate)
		}
		return t, d, nil
	}
	if d := r.Header.Get("Date"); d != "" {
		t, err := http.ParseTime(d)
		if err != nil {
			return time.Time{}, "", fmt.Errorf("%w: invalid Date", ErrMissingDate)
		}
		t = t.UTC()
		return t, t.Format(amzDateLayout), nil
	}
	return time.Time{}, "", ErrMissingDate
}

func (v *Verifier) verifyHeader(r *http.Request, authz string) (*Result, error) {
	sa, err := parseAuthorizationHeader(authz)
	if err != nil {
		return nil, err
	}
	t, amzDate, err := requestTime(r)
	if err != nil {
		return nil, err
	}
	if d := v.now().Sub(t); d > v.maxSkew() || d < -v.maxSkew() {
		return nil, fmt.Errorf("%w: request time %s", ErrRequestTimeTooSkewed, amzDate)
	}
	// Formatted into an array on the stack: compared, not kept.
	var date [len(scopeDateLayout)]byte
	if sa.scope.date != string(t.AppendFormat(date[:0], scopeDateLayout)) {
		return nil, fmt.Errorf("%w: credential date %s is not the request date", ErrAuthorizationHeaderMalformed, sa.scope.date)
	}
	if err := checkAllAmzHeadersSigned(r.Header, sa.signedHeaders); err != nil {
		return nil, err
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	var hashedBody []byte
	if payloadHash == "" {
		if strings.EqualFold(sa.scope.service, "s3") {
			return nil, ErrMissingContentSHA256
		}
		if hashedBody, err = readBounded(bodyOf(r), r.ContentLength, maxHashedBody); err != nil {
			return nil, err
		}
		sum := sha256.Sum256(hashedBody)
		payloadHash = hex.EncodeToString(sum[:])
	}
	mode, err := payloadMode(payloadHash)
	if err != nil {
		return nil, err
	}
	res, signer, err := v.checkSignature(r, sa, amzDate, payloadHash, false)
	if err != nil {
		return nil, err
	}
	if hashedBody != nil {
		res.PayloadMode = PayloadSignedSHA256
		res.Body = readCloser{bytes.NewReader(hashedBody), bodyOf(r)}
		res.ContentLength = int64(len(hashedBody))
		res.Trailer = noTrailer
		return res, nil
	}
	return res, attachBody(res, r, mode, payloadHash, signer)
}

func (v *Verifier) verifyPresigned(r *http.Request, query url.Values) (*Result, error) {
	pa, err := parsePresignedQuery(query)
	if err != nil {
		return nil, err
	}
	now := v.now()
	if pa.date.Sub(now) > v.maxSkew() {
		return nil, fmt.Errorf("%w: presigned URL dated %s", ErrRequestTimeTooSkewed, pa.amzDate)
	}
	if now.After(pa.date.Add(pa.expires)) {
		return nil, fmt.Errorf("%w: expired at %s", ErrRequestExpired, pa.date.Add(pa.expires).Format(time.RFC3339))
	}
	if pa.scope.date != pa.date.Format(scopeDateLayout) {
		return nil, fmt.Errorf("%w: credential date %s is not X-Amz-Date", ErrAuthorizationQueryMalformed, pa.scope.date)
	}
	if err := checkAllAmzHeadersSigned(r.Header, pa.signedHeaders); err != nil {
		return nil, err
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	if payloadHash == "" {
		payloadHash = PayloadUnsigned
	}
	mode, err := payloadMode(payloadHash)
	if err != nil {
		return nil, err
	}
	res, signer, err := v.checkSignature(r, pa.signedAuth, pa.amzDate, payloadHash, true)
	if err != nil {
		return nil, err
	}
	return res, attachBody(res, r, mode, payloadHash, signer)
}

// checkSignature looks the key up and compares the request signature. The
// returned chunkSigner continues the signature chain of a signed streaming
// payload; it is nil for every other payload mode.
func (v *Verifier) checkSignature(r *http.Request, sa signedAuth, amzDate, payloadHash string, presigned bool) (*Result, *chunkSigner, error) {
	if v.Creds == nil {
		return nil, nil, fmt.Errorf("auth: access key %q: %w", sa.scope.accessKeyID, ErrInvalidAccessKeyID)
	}
	cred, err := v.lookup(r, sa.scope.accessKeyID, presigned)
	if err != nil {
		return nil, nil, err
	}
	keys := v.signingKeys()
	id := newSigningKeyID(cred.SecretKey, sa.scope)
	key, cached := keys.get(id)
	if !cached {
		key = signingKey(cred.SecretKey, sa.scope)
	}
	canon := sha256.Sum256(canonicalRequest(r, sa.signedHeaders, payloadHash, presigned))
	want := hmacSHA256(key[:], stringToSign(algorithmHMAC, amzDate, sa.scope, hex.EncodeToString(canon[:])))
	if !hmac.Equal(want, sa.signature) {
		return nil, nil, fmt.Errorf("%w: access key %s", ErrSignatureDoesNotMatch, sa.scope.accessKeyID)
	}
	if !cached {
		keys.put(id, key)
	}
	p := cred.Principal
	if p.AccessKeyID == "" {
		p.AccessKeyID = sa.scope.accessKeyID
	}
	p.Anonymous = false
	res := &Result{
		Principal: p,
		Service:   sa.scope.service,
		Region:    sa.scope.region,
		Presigned: presigned,
	}
	if payloadHash != PayloadStreamingSigned && payloadHash != PayloadStreamingSignedTrl {
		return res, nil, nil // no signature chain to continue
	}
	return res, &chunkSigner{key: key[:], amzDate: amzDate, scope: sa.scope, prev: hex.EncodeToString(sa.signature)}, nil
}

// lookup finds the credential of an access key: through the session token
// when the request carries one (temporary credentials), else the
// long-term keys.
func (v *Verifier) lookup(r *http.Request, accessKeyID string, presigned bool) (Credential, error) {
	token := r.Header.Get("X-Amz-Security-Token")
	if presigned {
		token = r.URL.Query().Get("X-Amz-Security-Token")
	}
	if token == "" {
		return v.Creds.Lookup(r.Context(), accessKeyID)
	}
	sc, ok := v.Creds.(SessionCredentials)
	if !ok {
		return Credential{}, fmt.Errorf("%w: this endpoint issues no temporary credentials", ErrInvalidToken)
	}
	return sc.LookupSession(r.Context(), accessKeyID, token)
}

// anonymous answers an unsigned request. Unsigned payload framing
// (STREAMING-UNSIGNED-PAYLOAD-TRAILER) is still decoded and a hex
// x-amz-content-sha256 still checked, so a public-write bucket stores the
// object, not its transfer encoding.
func (v *Verifier) anonymous(r *http.Request) (*Result, error) {
	res := &Result{
		Principal:     Principal{Anonymous: true},
		Body:          bodyOf(r),
		ContentLength: r.ContentLength,
		Trailer:       noTrailer,
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	if payloadHash == "" {
		return res, nil
	}
	mode, err := payloadMode(payloadHash)
	if err != nil {
		return nil, err
	}
	switch mode {
	case PayloadStreamingSigned, PayloadStreamingSignedTrl:
		return nil, fmt.Errorf("%w: %s requires a signature", ErrMissingAuth, mode)
	case PayloadStreamingUnsignedTrl, PayloadSignedSHA256:
		if err := attachBody(res, r, mode, payloadHash, nil); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// payloadMode classifies an x-amz-content-sha256 value.
func payloadMode(v string) (string, error) {
	switch v {
	case PayloadUnsigned, PayloadStreamingSigned, PayloadStreamingUnsignedTrl, PayloadStreamingSignedTrl:
		return v, nil
	case "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER":
		return "", fmt.Errorf("%w: %s", ErrUnsupportedAlgorithm, v)
	}
	if len(v) == 64 && strings.Trim(v, "0123456789abcdefABCDEF") == "" {
		return PayloadSignedSHA256, nil // hex, as hex.DecodeString reads it
	}
	return "", fmt.Errorf("%w: %.80q", ErrInvalidContentSHA256, v)
}

// attachBody sets Body, ContentLength, PayloadMode and Trailer of res.
// signer is nil for anonymous requests.
func attachBody(res *Result, r *http.Request, mode, payloadHash string, signer *chunkSigner) error {
	res.PayloadMode = mode
	res.Trailer = noTrailer
	body := bodyOf(r)
	switch mode {
	case PayloadUnsigned:
		res.Body, res.ContentLength = body, r.ContentLength
	case PayloadSignedSHA256:
		want, _ := hex.DecodeString(payloadHash)
		res.Body, res.ContentLength = newHashingReader(body, want), r.ContentLength
	default: // aws-chunked
		n, err := decodedContentLength(r.Header)
		if err != nil {
			return err
		}
		announced, err := announcedTrailers(r.Header)
		if err != nil {
			return err
		}
		cfg := chunkedConfig{decodedLength: n, announced: announced}
		switch mode {
		case PayloadStreamingSigned:
			cfg.signer = signer
		case PayloadStreamingSignedTrl:
			cfg.signer, cfg.trailers = signer, true
		case PayloadStreamingUnsignedTrl:
			cfg.trailers = true
		}
		if cfg.signer != nil && len(announced) > 0 && !cfg.trailers {
			return fmt.Errorf("%w: x-amz-trailer needs a -TRAILER payload mode", ErrMalformedTrailer)
		}
		cr := newChunkedReader(body, cfg)
		res.Body, res.ContentLength, res.Trailer = cr, n, cr.Trailer
	}
	return nil
}

func decodedContentLength(h http.Header) (int64, error) {
	v := h.Get("X-Amz-Decoded-Content-Length")
	if v == "" {
		return 0, ErrMissingDecodedLength
	}
	n, err := parseDecimal(v)
	if err != nil {
		return 0, fmt.Errorf("%w: invalid value %.40q", ErrMissingDecodedLength, v)
	}
	return n, nil
}

// maxTrailers bounds the trailer headers a request may announce.
const maxTrailers = 8

// announcedTrailers parses x-amz-trailer into canonical header names.
func announcedTrailers(h http.Header) ([]string, error) {
	var names []string
	for _, v := range h.Values("X-Amz-Trailer") {
		for n := range strings.SplitSeq(v, ",") {
			n = strings.TrimSpace(n)
			if n == "" {
				continue
			}
			if !isLowerToken(strings.ToLower(n)) || len(names) == maxTrailers {
				return nil, fmt.Errorf("%w: invalid x-amz-trailer", ErrMalformedTrailer)
			}
			names = append(names, http.CanonicalHeaderKey(n))
		}
	}
	return names, nil
}

func bodyOf(r *http.Request) io.ReadCloser {
	if r.Body == nil {
		return http.NoBody
	}
	return r.Body
}

func noTrailer() http.Header { return nil }

// readBounded reads all of body, failing if it exceeds limit bytes. size
// is the announced length (-1: unknown); it only sizes the buffer, so a
// body of the announced length is read into one allocation.
func readBounded(body io.Reader, size, limit int64) ([]byte, error) {
	capacity := int64(512)
	if size >= 0 && size <= limit {
		capacity = size + 1 // +1: room to see EOF without growing
	}
	b := make([]byte, 0, capacity)
	lr := io.LimitReader(body, limit+1)
	for {
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("auth: read body to hash it: %w", err)
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: body over %d bytes needs x-amz-content-sha256", ErrMissingContentSHA256, limit)
	}
	return b, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// parseQueryLenient splits a raw query like url.ParseQuery but keeps going
// past bad escapes (keeping them literally), so detection of presigned
// parameters cannot be dodged with a malformed neighbour.
func parseQueryLenient(raw string) url.Values {
	q := make(url.Values)
	for seg := range strings.SplitSeq(raw, "&") {
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		k = queryUnescape(k)
		q[k] = append(q[k], queryUnescape(v))
	}
	return q
}
