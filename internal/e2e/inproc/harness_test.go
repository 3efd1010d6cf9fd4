package inproc

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/coffer-project/coffer/internal/config"
	"github.com/coffer-project/coffer/internal/pkitest"
	"github.com/coffer-project/coffer/internal/server"
)

// testDomain is the virtual-hosted-style domain every test server serves:
// BUCKET.testDomain reaches the bucket. No DNS is involved: the test HTTP
// clients dial the test listener whatever host a URL names.
const testDomain = "s3.test.local"

// style is one way of addressing the server.
type style struct {
	name    string
	virtual bool // bucket in the Host (BUCKET.s3.test.local) instead of the path
	tls     bool // https: the SDK then sends checksums as aws-chunked trailers
}

// styles are the addressing styles every test runs in. Over plain HTTP the
// SDK signs the payload and sends checksums as headers; over TLS it sends
// STREAMING-UNSIGNED-PAYLOAD-TRAILER bodies with the checksum in a trailer.
var styles = []style{
	{name: "path"},
	{name: "virtual", virtual: true},
	{name: "virtual-tls", virtual: true, tls: true},
}

// serverOptions tune newTestServer; the zero value is the default server.
type serverOptions struct {
	region string // "" → us-east-1
	// trustedProxies are the proxies whose X-Forwarded-For the server
	// believes (server.Config.TrustedProxies); nil believes none.
	trustedProxies []netip.Prefix
	// vpcEndpoints map client networks to VPC endpoints
	// (server.Config.VPCEndpoints).
	vpcEndpoints []config.VPCEndpoint
}

// testServer is one coffer server with a fresh data dir, reachable through
// a plain and a TLS listener on 127.0.0.1.
type testServer struct {
	srv            *server.Server
	plain, secure  *httptest.Server
	pki            *pkitest.PKI // secure's certificate is for testDomain, *.testDomain and 127.0.0.1
	region         string
	access, secret string
	checker        *responseChecker
}

// newTestServer starts a server in a fresh t.TempDir(); everything is torn
// down (and the response checks reported) when t ends.
func newTestServer(t testing.TB, opts serverOptions) *testServer {
	t.Helper()
	region := opts.region
	if region == "" {
		region = "us-east-1"
	}
	ctx := context.Background()
	srv, err := server.New(ctx, server.Config{
		DataDir: t.TempDir(),
		Domain:  testDomain,
		Region:  region,
		Logger:  slog.New(slog.DiscardHandler),

		TrustedProxies: opts.trustedProxies,
		VPCEndpoints:   opts.vpcEndpoints,
	})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ts := &testServer{srv: srv, region: region, checker: &responseChecker{}}
	ts.access, ts.secret = srv.RootCredentials()
	if ts.access == "" || ts.secret == "" {
		t.Fatalf("RootCredentials returned empty credentials (%q)", ts.access)
	}
	h := srv.Handler()
	ts.plain = httptest.NewUnstartedServer(h)
	ts.plain.Start()
	ts.secure = httptest.NewUnstartedServer(h)
	ts.pki = pkitest.New(t, testDomain, "*."+testDomain)
	ts.secure.TLS = &tls.Config{Certificates: []tls.Certificate{ts.pki.Server.TLS}}
	ts.secure.StartTLS()
	t.Cleanup(func() {
		ts.plain.Close()
		ts.secure.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("server Close: %v", err)
		}
		ts.checker.report(t)
	})
	return ts
}

// client is one addressing style's view of a test server.
type client struct {
	style
	ts       *testServer
	endpoint string       // SDK BaseEndpoint: scheme://host:port
	http     *http.Client // dials the listener whatever the URL host; checks every response
	s3       *s3.Client   // default configuration, root credentials
}

func (ts *testServer) client(st style) *client {
	hs := ts.plain
	scheme := "http"
	if st.tls {
		hs, scheme = ts.secure, "https"
	}
	addr := hs.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	host := "127.0.0.1"
	if st.virtual {
		host = testDomain
	}
	c := &client{style: st, ts: ts, endpoint: scheme + "://" + net.JoinHostPort(host, port)}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 16,
		// As the SDK's own transport: wait up to 1 s for 100 Continue
		// before sending a large body (zero would send it at once, and a
		// refused upload then races the connection's close).
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     false,
	}
	if st.tls {
		tr.TLSClientConfig = &tls.Config{RootCAs: ts.pki.CertPool()}
	}
	c.http = &http.Client{
		Transport: &checkingTransport{base: tr, checker: ts.checker},
		// S3 clients never follow redirects; a redirect is a finding.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	c.s3 = c.newS3(ts.access, ts.secret)
	return c
}

// newS3 builds an SDK client with the given credentials and otherwise the
// SDK's default configuration: checksum calculation and validation "when
// supported" (what config.LoadDefaultConfig resolves them to; s3.New alone
// would leave them unset and send no checksums), standard retryer.
func (c *client) newS3(access, secret string, optFns ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{
		Region:                     c.ts.region,
		Credentials:                credentials.NewStaticCredentialsProvider(access, secret, ""),
		BaseEndpoint:               aws.String(c.endpoint),
		UsePathStyle:               !c.virtual,
		HTTPClient:                 c.http,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}, optFns...)
}

// eachStyle runs fn once per addressing style, each against its own fresh
// server, as parallel subtests.
func eachStyle(t *testing.T, opts serverOptions, fn func(t *testing.T, c *client)) {
	t.Helper()
	for _, st := range styles {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, opts)
			fn(t, ts.client(st))
		})
	}
}

// ctx returns a context bounded by the test's deadline-free default: no
// single call in these tests should take a minute.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// --- response checks applied to every response ---------------------------

// responseChecker collects violations of the rules every S3 response
// obeys: an x-amz-request-id header, and for errors with a body an XML
// <Error> with Code, Message and RequestId (equal to the header).
type responseChecker struct {
	mu       sync.Mutex
	problems []string
}

func (rc *responseChecker) addf(format string, args ...any) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.problems) < 50 {
		rc.problems = append(rc.problems, fmt.Sprintf(format, args...))
	}
}

func (rc *responseChecker) report(t testing.TB) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, p := range rc.problems {
		t.Errorf("response check: %s", p)
	}
}

type checkingTransport struct {
	base    http.RoundTripper
	checker *responseChecker
}

// errorDoc is the S3 REST error body.
type errorDoc struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource"`
	RequestID string   `xml:"RequestId"`
}

func (ct *checkingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := ct.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	what := req.Method + " " + req.URL.Redacted()
	if len(what) > 300 {
		what = what[:300] + "…"
	}
	id := resp.Header.Get("X-Amz-Request-Id")
	if id == "" {
		ct.checker.addf("%s → %d: no x-amz-request-id header", what, resp.StatusCode)
	}
	if resp.StatusCode >= 400 && req.Method != http.MethodHead {
		body, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if rerr != nil {
			ct.checker.addf("%s → %d: reading error body: %v", what, resp.StatusCode, rerr)
			return resp, nil
		}
		var doc errorDoc
		if err := xml.Unmarshal(body, &doc); err != nil {
			ct.checker.addf("%s → %d: error body is not <Error> XML (%v): %.300q", what, resp.StatusCode, err, body)
			return resp, nil
		}
		if doc.Code == "" || doc.Message == "" || doc.RequestID == "" {
			ct.checker.addf("%s → %d: error XML lacks Code, Message or RequestId: %.300q", what, resp.StatusCode, body)
		}
		if id != "" && doc.RequestID != "" && doc.RequestID != id {
			ct.checker.addf("%s → %d: error RequestId %q differs from x-amz-request-id %q", what, resp.StatusCode, doc.RequestID, id)
		}
		if ctype := resp.Header.Get("Content-Type"); !strings.Contains(ctype, "xml") {
			ct.checker.addf("%s → %d: error Content-Type %q, want application/xml", what, resp.StatusCode, ctype)
		}
	}
	return resp, nil
}

// --- assertions -------------------------------------------------------------

// wantAPIError asserts that err is an S3 error response with the given HTTP
// status and (unless code is "") error code.
func wantAPIError(t testing.TB, err error, status int, code string) {
	t.Helper()
	if err == nil {
		t.Errorf("got success, want %d %s", status, code)
		return
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Errorf("got %v, want an HTTP response error %d %s", err, status, code)
		return
	}
	var ae smithy.APIError
	gotCode := ""
	if errors.As(err, &ae) {
		gotCode = ae.ErrorCode()
	}
	if re.HTTPStatusCode() != status || (code != "" && gotCode != code) {
		t.Errorf("got %d %s (%v), want %d %s", re.HTTPStatusCode(), gotCode, err, status, code)
	}
}

// errHeader returns a response header of an SDK error.
func errHeader(err error, name string) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.Header.Get(name)
	}
	return ""
}

func must(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func i64(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}

func i32(p *int32) int32 {
	if p == nil {
		return -1
	}
	return *p
}

func boolv(p *bool) bool { return p != nil && *p }

// randBytes returns n deterministic pseudo-random bytes.
func randBytes(seed uint64, n int) []byte {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	r := mrand.NewChaCha8(s)
	b := make([]byte, n)
	_, _ = r.Read(b)
	return b
}

// uniqueBucket returns a bucket name unique within one server.
func uniqueBucket(t testing.TB, prefix string) string {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// mkBucket creates a bucket through the SDK.
func (c *client) mkBucket(t testing.TB, prefix string) string {
	t.Helper()
	name := uniqueBucket(t, prefix)
	_, err := c.s3.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(name)})
	must(t, err, "CreateBucket "+name)
	return name
}

// put stores body under bucket/key with the SDK defaults and returns the ETag.
func (c *client) put(t testing.TB, bucket, key string, body []byte) string {
	t.Helper()
	out, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
	})
	must(t, err, "PutObject "+bucket+"/"+key)
	return str(out.ETag)
}

// get returns the body of bucket/key.
func (c *client) get(t testing.TB, bucket, key string) []byte {
	t.Helper()
	out, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	must(t, err, "GetObject "+bucket+"/"+key)
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	must(t, err, "reading GetObject body")
	return b
}

// --- raw HTTP -----------------------------------------------------------------

// s3Escape percent-encodes a key for a URL path the way SigV4 for S3
// expects: everything but unreserved characters and '/'.
func s3Escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case 'A' <= ch && ch <= 'Z', 'a' <= ch && ch <= 'z', '0' <= ch && ch <= '9',
			ch == '-', ch == '_', ch == '.', ch == '~', ch == '/':
			b.WriteByte(ch)
		default:
			fmt.Fprintf(&b, "%%%02X", ch)
		}
	}
	return b.String()
}

// url returns the URL of a bucket ("" for the service) or object in this
// client's addressing style; rawQuery is appended as is.
func (c *client) url(bucket, key, rawQuery string) string {
	u, _ := url.Parse(c.endpoint)
	path := "/"
	switch {
	case bucket == "":
	case c.virtual:
		u.Host = bucket + "." + u.Host
		path += s3Escape(key)
	default:
		path += bucket + "/" + s3Escape(key)
		if key == "" {
			path = "/" + bucket
		}
	}
	s := u.Scheme + "://" + u.Host + path
	if rawQuery != "" {
		s += "?" + rawQuery
	}
	return s
}

const unsignedPayload = "UNSIGNED-PAYLOAD"

// newRequest builds a raw request; body may be nil.
func newRequest(t testing.TB, method, u string, body []byte) *http.Request {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx(t), method, u, r)
	must(t, err, "NewRequest")
	return req
}

// sign signs req with SigV4 for s3 as of at. payloadHash is the hex SHA-256
// of the body, or UNSIGNED-PAYLOAD.
func (c *client) sign(t testing.TB, req *http.Request, payloadHash, access, secret string, at time.Time) {
	t.Helper()
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	err := newS3Signer().SignHTTP(ctx(t), aws.Credentials{AccessKeyID: access, SecretAccessKey: secret},
		req, payloadHash, "s3", c.ts.region, at)
	must(t, err, "SignHTTP")
}

// newS3Signer is a SigV4 signer configured for S3: the path is signed as
// sent, not escaped a second time.
func newS3Signer() *v4.Signer {
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
}

// signBody signs req for its full body with the root credentials, now.
func (c *client) signBody(t testing.TB, req *http.Request, body []byte) {
	t.Helper()
	sum := sha256.Sum256(body)
	c.sign(t, req, hex.EncodeToString(sum[:]), c.ts.access, c.ts.secret, time.Now())
}

// do sends a raw request and returns the response with its body read.
func (c *client) do(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.http.Do(req)
	must(t, err, req.Method+" "+req.URL.String())
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err, "reading response body")
	return resp, b
}

// wantRawError asserts a raw response is an S3 error with status and code
// and a well-formed error document.
func wantRawError(t testing.TB, resp *http.Response, body []byte, status int, code string) {
	t.Helper()
	var doc errorDoc
	err := xml.Unmarshal(body, &doc)
	if resp.StatusCode != status || err != nil || doc.Code != code {
		t.Errorf("%s %s: got %d %q, want %d %s", resp.Request.Method, resp.Request.URL.Redacted(), resp.StatusCode, body, status, code)
		return
	}
	if doc.Message == "" || doc.RequestID == "" || doc.RequestID != resp.Header.Get("X-Amz-Request-Id") {
		t.Errorf("error document lacks Message/RequestId or RequestId ≠ x-amz-request-id %q: %q", resp.Header.Get("X-Amz-Request-Id"), body)
	}
}
