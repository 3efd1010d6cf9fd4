package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/coffer-project/coffer/internal/kmsapi"
	"github.com/coffer-project/coffer/internal/pkitest"
)

const (
	testAccess = "AKIASERVERTEST000001"
	testSecret = "server-test-secret-key"
)

// startServer runs server.New with cfg (test credentials and a discarded
// log unless set) and serves its handler on a loopback httptest server,
// over TLS when cfg.TLS is set.
func startServer(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	if cfg.RootAccessKey == "" {
		cfg.RootAccessKey, cfg.RootSecretKey = testAccess, testSecret
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	srv, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	hs := httptest.NewUnstartedServer(srv.Handler())
	if cfg.TLS != nil {
		hs.TLS = cfg.TLS
		hs.StartTLS()
	} else {
		hs.Start()
	}
	t.Cleanup(func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("server Close: %v", err)
		}
	})
	return srv, hs
}

// s3Client is an aws-sdk-go-v2 client of hs with the test credentials.
func s3Client(hs *httptest.Server) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(hs.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(testAccess, testSecret, ""),
		HTTPClient:   hs.Client(),
		// A failure is reported as it is, not retried into a timeout.
		RetryMaxAttempts: 1,
	})
}

// roundTrip creates bucket, PUTs body as key (with opts applied to the
// input) and GETs it back, returning the GET's output for its headers.
func roundTrip(t *testing.T, c *s3.Client, bucket, key string, body []byte, opts ...func(*s3.PutObjectInput)) *s3.GetObjectOutput {
	t.Helper()
	ctx := t.Context()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "BucketAlreadyOwnedByYou" {
			t.Fatalf("CreateBucket %s: %v", bucket, err)
		}
	}
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}
	for _, o := range opts {
		o(in)
	}
	if _, err := c.PutObject(ctx, in); err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil {
		t.Fatalf("GetObject %s/%s body: %v", bucket, key, err)
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("GetObject %s/%s returned %d bytes, want the %d bytes PUT", bucket, key, len(got), len(body))
	}
	return out
}

// mustNotExist fails if any of names exists in dir.
func mustNotExist(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists in %s (stat: %v); key material must not live there", name, dir, err)
		}
	}
}

func TestEmbeddedKMSKeepsItsKeystoreInASiblingDir(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "data")
	var logs bytes.Buffer
	srv, hs := startServer(t, Config{DataDir: data, Logger: slog.New(slog.NewTextHandler(&logs, nil))})

	kmsDir := filepath.Join(root, "data-kms")
	if _, err := os.Stat(filepath.Join(kmsDir, "kms.db")); err != nil {
		t.Errorf("embedded KMS keystore: %v; want it in the sibling dir %s", err, kmsDir)
	}
	mustNotExist(t, data, "kms.db", "root.key")
	if !strings.HasPrefix(srv.KMSEndpoint(), "http://127.0.0.1:") {
		t.Errorf("KMSEndpoint() = %q, want a loopback http URL", srv.KMSEndpoint())
	}
	if !strings.Contains(logs.String(), "WARNING") || !strings.Contains(logs.String(), "--kms") {
		t.Errorf("no start-up warning about the embedded KMS in the log:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), testSecret) {
		t.Errorf("the log holds the root secret key:\n%s", logs.String())
	}

	c := s3Client(hs)
	out := roundTrip(t, c, "embedded", "default.txt", []byte("encrypted by default"))
	if out.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Errorf("a plain PUT came back with x-amz-server-side-encryption %q, want AES256 (SSE-S3)", out.ServerSideEncryption)
	}
	mustNotExist(t, data, "kms.db", "root.key")
}

func TestEmbeddedKMSDirOptions(t *testing.T) {
	t.Run("explicit dir and listen address", func(t *testing.T) {
		root := t.TempDir()
		data, keys := filepath.Join(root, "data"), filepath.Join(root, "keys")
		listen := freeAddr(t)
		srv, hs := startServer(t, Config{DataDir: data, KMSDataDir: keys, KMSListen: listen})
		if _, err := os.Stat(filepath.Join(keys, "kms.db")); err != nil {
			t.Errorf("keystore not in KMSDataDir: %v", err)
		}
		if srv.KMSEndpoint() != "http://"+listen {
			t.Errorf("KMSEndpoint() = %q, want http://%s", srv.KMSEndpoint(), listen)
		}
		roundTrip(t, s3Client(hs), "explicit", "k", []byte("v"))
	})
	for _, tt := range []struct{ name, kmsDir string }{
		{"inside the data dir", "data/kms"},
		{"the data dir itself", "data"},
		{"holding the data dir", "."},
	} {
		t.Run("refused: "+tt.name, func(t *testing.T) {
			root := t.TempDir()
			_, err := New(t.Context(), Config{DataDir: filepath.Join(root, "data"), KMSDataDir: filepath.Join(root, tt.kmsDir),
				RootAccessKey: testAccess, RootSecretKey: testSecret})
			if err == nil || !strings.Contains(err.Error(), "kms_data") {
				t.Fatalf("New: %v, want a kms_data error", err)
			}
			mustNotExist(t, filepath.Join(root, "data"), "kms.db", "root.key")
		})
	}
}

// remoteKMS is a `coffer kms` (kmsapi.Server) on its own loopback listener
// and temp dir, with the test credentials as administrator's.
type remoteKMS struct {
	t       *testing.T
	dir     string
	addr    string
	tlsConf *tls.Config
	srv     *kmsapi.Server
	hs      *http.Server
	done    chan error
}

func startRemoteKMS(t *testing.T, tlsConf *tls.Config) *remoteKMS {
	t.Helper()
	k := &remoteKMS{t: t, dir: t.TempDir(), addr: "127.0.0.1:0", tlsConf: tlsConf}
	k.start()
	t.Cleanup(k.stop)
	return k
}

func (k *remoteKMS) start() {
	k.t.Helper()
	srv, err := kmsapi.NewServer(context.Background(), kmsapi.ServerConfig{
		DataDir: k.dir, RootAccessKey: testAccess, RootSecretKey: testSecret, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		k.t.Fatalf("kmsapi.NewServer: %v", err)
	}
	ln, err := net.Listen("tcp", k.addr)
	if err != nil {
		srv.Close()
		k.t.Fatal(err)
	}
	k.addr = ln.Addr().String()
	if k.tlsConf != nil {
		ln = tls.NewListener(ln, k.tlsConf)
	}
	k.srv, k.hs, k.done = srv, &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}, make(chan error, 1)
	go func() { k.done <- k.hs.Serve(ln) }()
}

// stop kills the service: connections are closed, not drained.
func (k *remoteKMS) stop() {
	if k.srv == nil {
		return
	}
	k.hs.Close()
	<-k.done
	if err := k.srv.Close(); err != nil {
		k.t.Errorf("kms Close: %v", err)
	}
	k.srv = nil
}

func (k *remoteKMS) endpoint() string {
	if k.tlsConf != nil {
		return "https://" + k.addr
	}
	return "http://" + k.addr
}

// createAlias makes a KMS key named alias through the KMS API.
func (k *remoteKMS) createAlias(t *testing.T, httpClient *http.Client, alias string) {
	t.Helper()
	c := awskms.New(awskms.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(k.endpoint()), HTTPClient: httpClient,
		Credentials: credentials.NewStaticCredentialsProvider(testAccess, testSecret, ""),
	})
	key, err := c.CreateKey(t.Context(), &awskms.CreateKeyInput{})
	if err != nil {
		t.Fatalf("kms CreateKey: %v", err)
	}
	if _, err := c.CreateAlias(t.Context(), &awskms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: key.KeyMetadata.KeyId}); err != nil {
		t.Fatalf("kms CreateAlias: %v", err)
	}
}

func TestRemoteKMS(t *testing.T) {
	k := startRemoteKMS(t, nil)
	k.createAlias(t, http.DefaultClient, "alias/server-test")
	root := t.TempDir()
	data := filepath.Join(root, "data")
	srv, hs := startServer(t, Config{DataDir: data, KMS: KMSConfig{Endpoint: k.endpoint()}, KeyCacheTTL: time.Nanosecond})
	if srv.KMSEndpoint() != k.endpoint() {
		t.Errorf("KMSEndpoint() = %q, want %q", srv.KMSEndpoint(), k.endpoint())
	}
	c := s3Client(hs)

	t.Run("SSE-S3 by default", func(t *testing.T) {
		out := roundTrip(t, c, "remote", "default", []byte("sse-s3 through the remote kms"))
		if out.ServerSideEncryption != types.ServerSideEncryptionAes256 {
			t.Errorf("x-amz-server-side-encryption %q, want AES256", out.ServerSideEncryption)
		}
	})
	t.Run("SSE-KMS under a customer key", func(t *testing.T) {
		out := roundTrip(t, c, "remote", "kms", []byte("sse-kms through the remote kms"), func(in *s3.PutObjectInput) {
			in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String("alias/server-test")
		})
		if out.ServerSideEncryption != types.ServerSideEncryptionAwsKms || !strings.HasPrefix(aws.ToString(out.SSEKMSKeyId), "arn:aws:kms:") {
			t.Errorf("x-amz-server-side-encryption %q, key id %q; want aws:kms and the key's ARN", out.ServerSideEncryption, aws.ToString(out.SSEKMSKeyId))
		}
	})
	t.Run("no embedded KMS", func(t *testing.T) {
		mustNotExist(t, data, "kms.db", "root.key")
		mustNotExist(t, root, "data-kms")
	})
	t.Run("outage fails requests, recovery is automatic", func(t *testing.T) {
		k.stop()
		_, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("remote"), Key: aws.String("during-outage"),
			Body: strings.NewReader("must not be stored")})
		var re interface{ HTTPStatusCode() int }
		if err == nil || !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusServiceUnavailable {
			t.Errorf("PUT with the KMS down: %v, want 503", err)
		}
		_, err = c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String("remote"), Key: aws.String("during-outage")})
		if err == nil {
			t.Errorf("an object PUT during the outage exists")
		}
		k.start() // same address, same keystore
		roundTrip(t, c, "remote", "after-outage", []byte("kms is back"))
	})
}

func TestRemoteKMSOverMutualTLS(t *testing.T) {
	pki := pkitest.New(t)
	clientCert, clientKey := pki.Client.CertFile, pki.Client.KeyFile
	kmsTLS, err := kmsapi.TLSConfig(pki.Server.CertFile, pki.Server.KeyFile, pki.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	k := startRemoteKMS(t, kmsTLS)

	t.Run("with the CA and a client certificate", func(t *testing.T) {
		_, hs := startServer(t, Config{DataDir: filepath.Join(t.TempDir(), "data"),
			KMS: KMSConfig{Endpoint: k.endpoint(), CAFile: pki.CAFile, ClientCertFile: clientCert, ClientKeyFile: clientKey}})
		roundTrip(t, s3Client(hs), "mtls", "k", []byte("sealed under a key from a KMS reached over mTLS"))
	})
	for _, tt := range []struct {
		name string
		kms  KMSConfig
	}{
		{"without a client certificate", KMSConfig{Endpoint: k.endpoint(), CAFile: pki.CAFile}},
		{"without the CA", KMSConfig{Endpoint: k.endpoint(), ClientCertFile: clientCert, ClientKeyFile: clientKey}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, hs := startServer(t, Config{DataDir: filepath.Join(t.TempDir(), "data"), KMS: tt.kms})
			c := s3Client(hs)
			if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("refused")}); err != nil {
				t.Fatal(err)
			}
			_, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("refused"), Key: aws.String("k"), Body: strings.NewReader("x")})
			var re interface{ HTTPStatusCode() int }
			if err == nil || !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusServiceUnavailable {
				t.Errorf("PUT: %v, want 503 (the TLS handshake with the KMS fails)", err)
			}
		})
	}
	t.Run("bad CA bundle", func(t *testing.T) {
		_, err := New(t.Context(), Config{DataDir: filepath.Join(t.TempDir(), "data"), RootAccessKey: testAccess, RootSecretKey: testSecret,
			KMS: KMSConfig{Endpoint: k.endpoint(), CAFile: clientKey}})
		if err == nil || !strings.Contains(err.Error(), "CA bundle") {
			t.Fatalf("New: %v, want a CA bundle error", err)
		}
	})
}

func TestEmbeddedKMSServesTLSWithTheServersCertificate(t *testing.T) {
	pki := pkitest.New(t)
	conf, err := TLSConfig(pki.Server.CertFile, pki.Server.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	srv, hs := startServer(t, Config{DataDir: filepath.Join(t.TempDir(), "data"), TLS: conf})
	if !strings.HasPrefix(srv.KMSEndpoint(), "https://127.0.0.1:") {
		t.Fatalf("KMSEndpoint() = %q, want https", srv.KMSEndpoint())
	}
	roundTrip(t, s3Client(hs), "tls", "k", []byte("over https, keys over https"))

	// A client trusting the CA reaches the embedded KMS's health check.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.CertPool()}}}
	resp, err := client.Get(srv.KMSEndpoint() + "/health/ready")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("embedded KMS /health/ready: %s", resp.Status)
	}
}

func TestPinnedTLSAcceptsOnlyTheServersCertificate(t *testing.T) {
	pki := pkitest.New(t)
	ours, err := TLSConfig(pki.Server.CertFile, pki.Server.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	otherCert := pki.IssueServer(t)
	other, err := TLSConfig(otherCert.CertFile, otherCert.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	pin, err := pinnedTLS(ours)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		server *tls.Config
		ok     bool
	}{
		{"the server's own certificate", ours, true},
		{"another certificate from the same CA", other, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
			ts.TLS = tt.server
			ts.StartTLS()
			defer ts.Close()
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: pin}}
			resp, err := client.Get(ts.URL)
			if err == nil {
				resp.Body.Close()
			}
			if (err == nil) != tt.ok {
				t.Errorf("GET: %v, want success %v", err, tt.ok)
			}
		})
	}
	if _, err := pinnedTLS(&tls.Config{}); err == nil {
		t.Error("pinnedTLS accepted a configuration without a certificate")
	}
}

func TestConfigLogValueHidesSecrets(t *testing.T) {
	c := Config{DataDir: "/d", RootAccessKey: "AKROOT", RootSecretKey: "root-secret-value",
		KMS: KMSConfig{Endpoint: "https://kms:9100", AccessKey: "AKNODE", SecretKey: "kms-secret-value"}}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", c, "kms", c.KMS)
	for _, secret := range []string{"root-secret-value", "kms-secret-value"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("log line holds a secret: %s", buf.String())
		}
	}
	if !strings.Contains(buf.String(), "AKNODE") {
		t.Errorf("log line lacks the KMS access key id: %s", buf.String())
	}
}

func TestEndpointURL(t *testing.T) {
	for _, tt := range []struct {
		addr   string
		secure bool
		want   string
	}{
		{"127.0.0.1:9000", false, "http://127.0.0.1:9000"},
		{"0.0.0.0:9100", false, "http://127.0.0.1:9100"},
		{"[::]:9000", true, "https://127.0.0.1:9000"},
		{"[::1]:9000", true, "https://[::1]:9000"},
		{"192.0.2.7:443", true, "https://192.0.2.7:443"},
	} {
		t.Run(tt.addr, func(t *testing.T) {
			addr, err := net.ResolveTCPAddr("tcp", tt.addr)
			if err != nil {
				t.Fatal(err)
			}
			if got := EndpointURL(addr, tt.secure); got != tt.want {
				t.Errorf("EndpointURL(%s, %v) = %q, want %q", tt.addr, tt.secure, got, tt.want)
			}
		})
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
