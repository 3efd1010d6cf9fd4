package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testAKID   = "AKIDTESTEXAMPLE"
	testSecret = "s3cr3t/with+odd=chars"
	testRegion = "us-east-1"
)

var testTime = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func testCredentials() StaticCredentials {
	return NewStaticCredentials(Credential{
		AccessKeyID: testAKID,
		SecretKey:   testSecret,
		Principal:   Principal{AccountID: "123456789012", ARN: "arn:aws:iam::123456789012:root"},
	})
}

// sessionCredentials are testCredentials that also take any session token
// for their keys, so that the tests see a token only as a signed
// parameter; the token itself is checked by the Credentials (iam).
type sessionCredentials struct{ StaticCredentials }

func (c sessionCredentials) LookupSession(ctx context.Context, accessKeyID, token string) (Credential, error) {
	if token == "" {
		return Credential{}, ErrInvalidToken
	}
	return c.Lookup(ctx, accessKeyID)
}

func testVerifier(now time.Time) *Verifier {
	return &Verifier{Creds: sessionCredentials{testCredentials()}, Now: func() time.Time { return now }}
}

func awsCreds(secret string) aws.Credentials {
	return aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: secret}
}

// s3Signer signs like the S3 client does: the path is signed as escaped on
// the wire, not escaped a second time.
func s3Signer() *v4.Signer {
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
}

func sha256Hex2(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// outcome is what the test server saw for one request.
type outcome struct {
	res       *Result
	verifyErr error
	body      []byte
	readErr   error
	trailer   http.Header
	header    http.Header
}

// verifyServer is a real HTTP server on 127.0.0.1 that runs Verify and
// reads the verified body to the end.
type verifyServer struct {
	*httptest.Server
	seen chan outcome
}

func newVerifyServer(t *testing.T, v *Verifier, tls bool) *verifyServer {
	t.Helper()
	s := &verifyServer{seen: make(chan outcome, 16)}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := outcome{header: r.Header.Clone()}
		o.res, o.verifyErr = v.Verify(r)
		if o.verifyErr == nil {
			o.body, o.readErr = io.ReadAll(o.res.Body)
			o.trailer = o.res.Trailer()
		}
		s.seen <- o
		switch {
		case o.verifyErr != nil || o.readErr != nil:
			w.WriteHeader(http.StatusForbidden)
		case r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2":
			w.Header().Set("Content-Type", "application/xml")
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>`)
		default:
			w.Header().Set("ETag", `"d41d8cd98f00b204e9800998ecf8427e"`)
		}
	})
	if tls {
		s.Server = httptest.NewTLSServer(h)
	} else {
		s.Server = httptest.NewServer(h)
	}
	t.Cleanup(s.Close)
	return s
}

// do sends r and returns what the server saw.
func (s *verifyServer) do(t *testing.T, r *http.Request) outcome {
	t.Helper()
	resp, err := s.Client().Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.URL, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	select {
	case o := <-s.seen:
		return o
	default:
		t.Fatalf("server saw no request")
		return outcome{}
	}
}

// newRequest builds a client request to the server with an already escaped
// path and query, as an S3 client puts them on the wire.
func (s *verifyServer) newRequest(t *testing.T, method, escapedPathAndQuery string, body []byte) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequest(method, s.URL+escapedPathAndQuery, rd)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func sign(t testing.TB, r *http.Request, secret, payloadHash, service string, at time.Time) {
	t.Helper()
	if err := s3Signer().SignHTTP(context.Background(), awsCreds(secret), r, payloadHash, service, testRegion, at); err != nil {
		t.Fatal(err)
	}
}

// requestSignature extracts Signature= from a signed request.
func requestSignature(t *testing.T, r *http.Request) string {
	t.Helper()
	_, sig, ok := strings.Cut(r.Header.Get("Authorization"), "Signature=")
	if !ok {
		t.Fatalf("no signature in %q", r.Header.Get("Authorization"))
	}
	return sig
}

// --- an aws-chunked encoder, written from AWS's SigV4 streaming docs ---

type trailerKV struct{ name, value string }

// chunkEncoder produces aws-chunked bodies. With key == nil it writes the
// unsigned framing ("hex-size\r\n"), else signed chunks chained from seed.
type chunkEncoder struct {
	key     []byte
	amzDate string
	scope   string
	prev    string
}

func testSigningKey(secret, date, region, service string) []byte {
	mac := func(k []byte, s string) []byte {
		h := hmac.New(sha256.New, k)
		h.Write([]byte(s))
		return h.Sum(nil)
	}
	return mac(mac(mac(mac([]byte("AWS4"+secret), date), region), service), "aws4_request")
}

func (e *chunkEncoder) sign(parts ...string) string {
	h := hmac.New(sha256.New, e.key)
	h.Write([]byte(strings.Join(parts, "\n")))
	e.prev = hex.EncodeToString(h.Sum(nil))
	return e.prev
}

func (e *chunkEncoder) chunkHeader(data []byte) string {
	if e.key == nil {
		return fmt.Sprintf("%x\r\n", len(data))
	}
	sig := e.sign("AWS4-HMAC-SHA256-PAYLOAD", e.amzDate, e.scope, e.prev,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", sha256Hex2(data))
	return fmt.Sprintf("%x;chunk-signature=%s\r\n", len(data), sig)
}

// encode frames payload in chunks of chunkSize, then the final chunk, then
// trailers (signed when the encoder signs and trailers is non-nil).
func (e *chunkEncoder) encode(payload []byte, chunkSize int, trailers []trailerKV) []byte {
	var b bytes.Buffer
	for len(payload) > 0 {
		n := min(chunkSize, len(payload))
		b.WriteString(e.chunkHeader(payload[:n]))
		b.Write(payload[:n])
		b.WriteString("\r\n")
		payload = payload[n:]
	}
	b.WriteString(e.chunkHeader(nil))
	if trailers == nil {
		b.WriteString("\r\n")
		return b.Bytes()
	}
	var canon strings.Builder
	sorted := append([]trailerKV(nil), trailers...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, kv := range sorted {
		canon.WriteString(kv.name + ":" + kv.value + "\n")
	}
	for _, kv := range trailers {
		b.WriteString(kv.name + ":" + kv.value + "\r\n")
	}
	if e.key != nil {
		sig := e.sign("AWS4-HMAC-SHA256-TRAILER", e.amzDate, e.scope, e.prev, sha256Hex2([]byte(canon.String())))
		b.WriteString("x-amz-trailer-signature:" + sig + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func crc32Base64(b []byte) string {
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.ChecksumIEEE(b))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// streamingRequest is a signed aws-chunked PUT ready to send: mode is the
// x-amz-content-sha256 value, trailers nil for none.
type streamingRequest struct {
	mode      string
	payload   []byte
	chunkSize int
	trailers  []trailerKV
	secret    string
	at        time.Time
}

func (sr streamingRequest) build(t *testing.T, s *verifyServer, path string) (*http.Request, *chunkEncoder) {
	t.Helper()
	signed := sr.mode == PayloadStreamingSigned || sr.mode == PayloadStreamingSignedTrl
	enc := func(seed string) (*chunkEncoder, []byte) {
		e := &chunkEncoder{amzDate: sr.at.Format("20060102T150405Z"), scope: sr.at.Format("20060102") + "/" + testRegion + "/s3/aws4_request", prev: seed}
		if signed {
			e.key = testSigningKey(sr.secret, sr.at.Format("20060102"), testRegion, "s3")
		}
		return e, e.encode(sr.payload, sr.chunkSize, sr.trailers)
	}
	// The framing's length does not depend on signature values, so a dry run
	// gives the Content-Length to sign.
	_, dry := enc(strings.Repeat("0", 64))
	r := s.newRequest(t, http.MethodPut, path, dry)
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(sr.payload)))
	r.Header.Set("X-Amz-Content-Sha256", sr.mode)
	var names []string
	for _, kv := range sr.trailers {
		names = append(names, kv.name)
	}
	if len(names) > 0 {
		r.Header.Set("X-Amz-Trailer", strings.Join(names, ","))
	}
	sign(t, r, sr.secret, sr.mode, "s3", sr.at)
	e, body := enc(requestSignature(t, r))
	if len(body) != len(dry) {
		t.Fatalf("framing length changed: %d != %d", len(body), len(dry))
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return r, e
}

// bodyBytes returns the bytes of a built request's body (and restores it).
func bodyBytes(t *testing.T, r *http.Request) []byte {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

// serverSide turns a built client request into the request a server would
// see, with body replaced: for cases a real client refuses to send
// (truncated or over-long bodies).
func serverSide(t *testing.T, r *http.Request, body []byte) *http.Request {
	t.Helper()
	sr := httptest.NewRequest(r.Method, r.URL.RequestURI(), bytes.NewReader(body))
	sr.Host = r.URL.Host
	sr.Header = r.Header.Clone()
	sr.ContentLength = r.ContentLength
	return sr
}
