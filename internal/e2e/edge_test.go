package e2e

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// edgeProc is a `coffer edge` process on loopback ports.
type edgeProc struct {
	URL, Admin string
	cmd        *exec.Cmd
	log        string
	exited     chan struct{}
}

// startEdge writes config (with @LISTEN@ and @ADMIN@ standing for free
// addresses) and runs `coffer edge` until the test ends.
func startEdge(t *testing.T, bin string, config string, listen, admin string) *edgeProc {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "edge.yaml")
	writeFile(t, file, []byte(strings.NewReplacer("@LISTEN@", listen, "@ADMIN@", admin).Replace(config)))
	e := &edgeProc{URL: "http://" + listen, Admin: "http://" + admin, log: filepath.Join(dir, "edge.log"), exited: make(chan struct{})}
	logFile, err := os.Create(e.log)
	if err != nil {
		t.Fatal(err)
	}
	e.cmd = exec.Command(bin, "edge", "--config", file)
	e.cmd.Env = withoutPrefix(os.Environ(), "COFFER_")
	e.cmd.Stdout, e.cmd.Stderr = logFile, logFile
	dieWithParent(e.cmd)
	if err := e.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.cmd.Wait(); logFile.Close(); close(e.exited) }()
	t.Cleanup(func() {
		_ = e.cmd.Process.Kill()
		<-e.exited
		if t.Failed() {
			t.Logf("---- %s ----\n%s", filepath.Base(e.log), tail(e.log, 40))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(e.Admin + "/metrics")
		if err == nil {
			resp.Body.Close()
			return e
		}
		select {
		case <-e.exited:
			t.Fatalf("coffer edge exited:\n%s", tail(e.log, 40))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("coffer edge not up after 30 s:\n%s", tail(e.log, 40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// edgeOrigin is a counting reverse proxy in front of the server: the
// edges' origin endpoint, so the test sees every origin request. It keeps
// the Host header, which the edge's signature covers.
type edgeOrigin struct {
	URL      string
	requests atomic.Int64
	notMod   atomic.Int64 // 304 answers
	bytes    atomic.Int64 // body bytes sent to edges
	mu       sync.Mutex
	paths    []string
}

func newEdgeOrigin(t *testing.T, srv *server) *edgeOrigin {
	t.Helper()
	target, _ := url.Parse(srv.Endpoint)
	o := &edgeOrigin{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.StatusCode == http.StatusNotModified {
			o.notMod.Add(1)
		}
		resp.Body = &edgeCountingBody{ReadCloser: resp.Body, n: &o.bytes}
		return nil
	}
	ln := freeAddr(t)
	hs := &http.Server{Addr: ln, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.requests.Add(1)
		o.mu.Lock()
		o.paths = append(o.paths, r.Method+" "+r.URL.Path+" "+r.Header.Get("Range"))
		o.mu.Unlock()
		proxy.ServeHTTP(w, r)
	})}
	go func() { _ = hs.ListenAndServe() }()
	t.Cleanup(func() { hs.Close() })
	o.URL = "http://" + ln
	deadline := time.Now().Add(10 * time.Second)
	for {
		if resp, err := http.Get(o.URL + "/health/live"); err == nil {
			resp.Body.Close()
			return o
		}
		if time.Now().After(deadline) {
			t.Fatal("origin proxy not up")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type edgeCountingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *edgeCountingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// edgeGet GETs url with optional headers and returns status, headers
// and body.
func edgeGet(t *testing.T, u string, header ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
		} else {
			req.Header.Add(header[i], header[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: body: %v", u, err)
	}
	return resp.StatusCode, resp.Header, body
}

// edgeKeyPair writes an RSA key pair for signed URLs: the private key for
// `aws cloudfront sign`, the public key for the key group.
func edgeKeyPair(t *testing.T, dir string) (priv *rsa.PrivateKey, privFile, pubFile string) {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	privFile, pubFile = filepath.Join(dir, "kg1.key"), filepath.Join(dir, "kg1.pem")
	writeFile(t, privFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)}))
	writeFile(t, pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	return priv, privFile, pubFile
}

const edgeConfig = `
listen: @LISTEN@
admin:
  listen: @ADMIN@
  access_key_id: AKEDGEADMIN
  secret_access_key: edge-admin-secret
cache:
  memory_bytes: 268435456
peers: [@PEERS@]
distributions:
  - id: E1EXAMPLE
    origin:
      endpoint: @ORIGIN@
      bucket: site
      access: oai
      access_key_id: @OAIKEY@
      secret_access_key: @OAISECRET@
    default_root_object: index.html
    behaviors:
      - path_pattern: "/private/*"
        trusted_key_groups: [kg1]
      - path_pattern: "*"
    custom_error_responses:
      - error_code: 404
        response_page_path: /errors/404.html
        response_code: 404
        error_caching_min_ttl: 10
key_groups:
  kg1:
    - id: K2EXAMPLE
      public_key_file: @PUBKEY@
`

// TestEdgeOAI is issue 8's acceptance run on real processes: a server
// with a private bucket whose policy names only an OAI, two edges in front
// of it (each other's peers) through a counting proxy, the AWS CLI for
// invalidations and URL signing.
func TestEdgeOAI(t *testing.T) {
	skipIfShort(t)
	srv := startServer(t)
	root := awsCLI(t, srv)
	admin := adminCLI(t, srv, operator)
	var oai oaiCredential
	decodeJSON(t, admin.Run(t, "admin", "oai", "create", "--endpoint", srv.Endpoint, "--comment", "edge"), &oai)

	root.Run(t, "s3api", "create-bucket", "--bucket", "site")
	root.Run(t, "s3api", "put-bucket-policy", "--bucket", "site", "--policy", iamPolicy(
		`{"Sid":"Edge","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity `+oai.Id+`"},`+
			`"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::site","arn:aws:s3:::site/*"]}`))
	putText(t, root, "site", "index.html", "<h1>home</h1>")
	putText(t, root, "site", "a.txt", "version 1")
	putText(t, root, "site", "errors/404.html", "<h1>not here</h1>")
	putText(t, root, "site", "private/secret.txt", "for signed viewers")
	putText(t, root, "site", "ttl.txt", "short-lived", "--cache-control", "max-age=1")

	if got := curlStatus(t, anonymous(t), srv.Endpoint+"/site/a.txt"); got != "403" {
		t.Fatalf("anonymous direct GET of the private bucket: HTTP %s, want 403", got)
	}

	origin := newEdgeOrigin(t, srv)
	keys := t.TempDir()
	priv, privFile, pubFile := edgeKeyPair(t, keys)
	listen1, admin1, listen2, admin2 := freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)
	cfg := func(peer string) string {
		return strings.NewReplacer("@ORIGIN@", origin.URL, "@OAIKEY@", oai.AccessKeyId, "@OAISECRET@", oai.SecretAccessKey,
			"@PUBKEY@", pubFile, "@PEERS@", "http://"+peer).Replace(edgeConfig)
	}
	e1 := startEdge(t, srv.bin, cfg(admin2), listen1, admin1)
	e2 := startEdge(t, srv.bin, cfg(admin1), listen2, admin2)

	t.Run("private bucket served through the edge, then from its cache", func(t *testing.T) {
		status, h, body := edgeGet(t, e1.URL+"/a.txt")
		if status != 200 || string(body) != "version 1" || !strings.HasPrefix(h.Get("X-Cache"), "Miss") {
			t.Fatalf("first GET: %d %q X-Cache %q", status, body, h.Get("X-Cache"))
		}
		before := origin.requests.Load()
		status, h, body = edgeGet(t, e1.URL+"/a.txt")
		if status != 200 || string(body) != "version 1" || !strings.HasPrefix(h.Get("X-Cache"), "Hit") {
			t.Errorf("second GET: %d %q X-Cache %q", status, body, h.Get("X-Cache"))
		}
		if n := origin.requests.Load() - before; n != 0 {
			t.Errorf("the cache hit made %d origin requests", n)
		}
		if status, _, body := edgeGet(t, e1.URL+"/"); status != 200 || string(body) != "<h1>home</h1>" {
			t.Errorf("GET / = %d %q, want the default root object", status, body)
		}
		if status, _, body := edgeGet(t, e1.URL+"/no/such/key"); status != 404 || string(body) != "<h1>not here</h1>" {
			t.Errorf("GET of a missing key = %d %q, want the custom 404 page", status, body)
		}
	})

	t.Run("invalidation through the CloudFront API reaches both edges", func(t *testing.T) {
		edgeGet(t, e1.URL+"/a.txt") // cached on both
		edgeGet(t, e2.URL+"/a.txt")
		putText(t, root, "site", "a.txt", "version 2")
		for _, e := range []*edgeProc{e1, e2} {
			if _, _, body := edgeGet(t, e.URL+"/a.txt"); string(body) != "version 1" {
				t.Fatalf("before the invalidation %s serves %q, want the cached version 1", e.URL, body)
			}
		}
		cf := awsCLI(t, srv)
		cf.env = append(cf.env, "AWS_ACCESS_KEY_ID=AKEDGEADMIN", "AWS_SECRET_ACCESS_KEY=edge-admin-secret")
		var out struct {
			Invalidation struct{ Id, Status string }
		}
		decodeJSON(t, cf.Run(t, "cloudfront", "create-invalidation", "--endpoint-url", e1.Admin,
			"--distribution-id", "E1EXAMPLE", "--paths", "/a.txt"), &out)
		if out.Invalidation.Id == "" || out.Invalidation.Status != "Completed" {
			t.Errorf("create-invalidation printed %+v", out)
		}
		decodeJSON(t, cf.Run(t, "cloudfront", "get-invalidation", "--endpoint-url", e1.Admin,
			"--distribution-id", "E1EXAMPLE", "--id", out.Invalidation.Id), &out)
		if out.Invalidation.Status != "Completed" {
			t.Errorf("get-invalidation printed %+v", out)
		}
		if _, _, body := edgeGet(t, e1.URL+"/a.txt"); string(body) != "version 2" {
			t.Errorf("after the invalidation the edge serves %q", body)
		}
		tierEventually(t, "the peer edge still serves the old version", func() bool {
			_, _, body := edgeGet(t, e2.URL+"/a.txt")
			return string(body) == "version 2"
		})
		wantCLIError(t, cf, "NoSuchDistribution", "cloudfront", "create-invalidation", "--endpoint-url", e1.Admin,
			"--distribution-id", "EOTHER", "--paths", "/a.txt")
		bad := awsCLI(t, srv) // signed with the server's root key, not the edge's
		wantCLIError(t, bad, "AccessDenied", "cloudfront", "create-invalidation", "--endpoint-url", e1.Admin,
			"--distribution-id", "E1EXAMPLE", "--paths", "/a.txt")
	})

	t.Run("signed URLs and signed cookies", func(t *testing.T) {
		u := e1.URL + "/private/secret.txt"
		if status, _, _ := edgeGet(t, u); status != 403 {
			t.Errorf("unsigned GET of /private/*: %d, want 403", status)
		}
		aws := awsCLI(t, srv)
		sign := func(until string) string {
			return strings.TrimSpace(aws.Run(t, "cloudfront", "sign", "--url", u, "--key-pair-id", "K2EXAMPLE",
				"--private-key", "file://"+privFile, "--date-less-than", until))
		}
		good := sign("2035-01-01")
		if status, _, body := edgeGet(t, good); status != 200 || string(body) != "for signed viewers" {
			t.Errorf("GET with a URL from aws cloudfront sign: %d %q", status, body)
		}
		if status, _, _ := edgeGet(t, sign("2020-01-01")); status != 403 {
			t.Errorf("expired signed URL: %d, want 403", status)
		}
		if status, _, _ := edgeGet(t, strings.Replace(good, "secret.txt", "secret.txt2", 1)); status != 403 {
			t.Errorf("tampered signed URL: %d, want 403", status)
		}
		cookies := edgeSignedCookies(t, priv, e1.URL+"/private/*", time.Now().Add(time.Hour))
		if status, _, body := edgeGet(t, u, "Cookie", cookies); status != 200 || string(body) != "for signed viewers" {
			t.Errorf("GET with signed cookies: %d %q", status, body)
		}
		expired := edgeSignedCookies(t, priv, e1.URL+"/private/*", time.Now().Add(-time.Hour))
		if status, _, _ := edgeGet(t, u, "Cookie", expired); status != 403 {
			t.Errorf("GET with expired signed cookies: %d, want 403", status)
		}
		tampered := strings.Replace(cookies, "CloudFront-Signature=", "CloudFront-Signature=A", 1)
		if status, _, _ := edgeGet(t, u, "Cookie", tampered); status != 403 {
			t.Errorf("GET with a tampered cookie signature: %d, want 403", status)
		}
	})

	t.Run("100 concurrent requests for one uncached key make one origin fetch", func(t *testing.T) {
		putText(t, root, "site", "hot.txt", strings.Repeat("hot ", 1000))
		before := origin.requests.Load()
		var wg sync.WaitGroup
		var bad atomic.Int64
		for range 100 {
			wg.Go(func() {
				resp, err := http.Get(e1.URL + "/hot.txt")
				if err != nil {
					bad.Add(1)
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || len(body) != 4000 {
					bad.Add(1)
				}
			})
		}
		wg.Wait()
		if bad.Load() != 0 {
			t.Errorf("%d of 100 requests failed", bad.Load())
		}
		if n := origin.requests.Load() - before; n != 1 {
			t.Errorf("100 concurrent misses made %d origin requests, want 1", n)
		}
	})

	t.Run("range GET of a 50 MiB object", func(t *testing.T) {
		big := filepath.Join(t.TempDir(), "big.bin")
		writeRandomFile(t, big, 50, 50<<20)
		root.Run(t, "s3", "cp", "--no-progress", big, "s3://site/big.bin")
		want := readFile(t, big)
		before := origin.bytes.Load()
		status, h, body := edgeGet(t, e1.URL+"/big.bin", "Range", "bytes=20971520-20975615")
		if status != 206 || !bytes.Equal(body, want[20971520:20975616]) || h.Get("Content-Range") != fmt.Sprintf("bytes 20971520-20975615/%d", 50<<20) {
			t.Fatalf("range GET: %d, %d bytes, Content-Range %q", status, len(body), h.Get("Content-Range"))
		}
		if got := origin.bytes.Load() - before; got >= 50<<20 {
			t.Errorf("a 4 KiB range fetched %d bytes from the origin: the whole object", got)
		}
		// A full GET streams: its first bytes arrive before the edge has
		// read the whole object from the origin.
		before = origin.bytes.Load()
		resp, err := http.Get(e1.URL + "/big.bin")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		first := make([]byte, 1)
		if _, err := io.ReadFull(resp.Body, first); err != nil {
			t.Fatal(err)
		}
		if got := origin.bytes.Load() - before; got >= 40<<20 {
			t.Errorf("%d bytes came from the origin before the first byte reached the viewer", got)
		}
		rest, err := io.ReadAll(resp.Body)
		if err != nil || !bytes.Equal(append(first, rest...), want) {
			t.Errorf("full GET through the edge: %d bytes, %v", len(rest)+1, err)
		}
	})

	t.Run("an expired entry is revalidated with a conditional request", func(t *testing.T) {
		edgeGet(t, e1.URL+"/ttl.txt")
		time.Sleep(2100 * time.Millisecond) // max-age=1 has passed
		before := origin.notMod.Load()
		status, h, body := edgeGet(t, e1.URL+"/ttl.txt")
		if status != 200 || string(body) != "short-lived" || !strings.HasPrefix(h.Get("X-Cache"), "RefreshHit") {
			t.Errorf("GET after max-age: %d %q X-Cache %q", status, body, h.Get("X-Cache"))
		}
		if n := origin.notMod.Load() - before; n != 1 {
			t.Errorf("revalidation got %d 304s from the origin, want 1", n)
		}
	})
}

// edgeSignedCookies builds CloudFront signed cookies for a custom policy
// on resource until expires, signed with priv (RSA-SHA1, CloudFront's
// URL-safe base64), as the AWS SDKs' cookie signers make them.
func edgeSignedCookies(t *testing.T, priv *rsa.PrivateKey, resource string, expires time.Time) string {
	t.Helper()
	policy := fmt.Sprintf(`{"Statement":[{"Resource":"%s","Condition":{"DateLessThan":{"AWS:EpochTime":%d}}}]}`, resource, expires.Unix())
	sum := sha1.Sum([]byte(policy))
	sig, err := rsa.SignPKCS1v15(nil, priv, crypto.SHA1, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	b64 := func(b []byte) string {
		return strings.NewReplacer("+", "-", "=", "_", "/", "~").Replace(base64.StdEncoding.EncodeToString(b))
	}
	return "CloudFront-Policy=" + b64([]byte(policy)) + "; CloudFront-Signature=" + b64(sig) + "; CloudFront-Key-Pair-Id=K2EXAMPLE"
}
