// Package server wires a coffer S3 server together from its configuration:
// metadata store, blob store, key management service, object engine,
// authentication and the HTTP layer. cmd/coffer and the end-to-end tests
// both build servers through it.
package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/blob"
	"github.com/coffer-project/coffer/internal/config"
	"github.com/coffer-project/coffer/internal/datadir"
	"github.com/coffer-project/coffer/internal/httpx"
	"github.com/coffer-project/coffer/internal/iam"
	"github.com/coffer-project/coffer/internal/iamapi"
	"github.com/coffer-project/coffer/internal/kms"
	"github.com/coffer-project/coffer/internal/lifecycle"
	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/object"
	"github.com/coffer-project/coffer/internal/s3api"
	"github.com/coffer-project/coffer/internal/waf"
)

// Config is what New needs. Zero values get documented defaults.
type Config struct {
	DataDir string // required: metadata DB, blobs, lock and root credentials live here
	Domain  string // enables virtual-hosted-style requests for BUCKET.Domain; "" path-style only
	Region  string // "" → us-east-1
	// Root credentials of the first account. If empty, they are generated
	// once, kept in DataDir, and reused on later starts.
	RootAccessKey string
	RootSecretKey string
	Logger        *slog.Logger // nil → discard

	// KMS is the remote key management service that object encryption
	// uses. With no KMS.Endpoint, New runs an embedded one instead: its
	// keystore in KMSDataDir, served on KMSListen.
	KMS KMSConfig
	// KMSDataDir is the embedded KMS's data dir; it must be neither
	// DataDir, nor inside it, nor hold it. "" → config.DefaultKMSData
	// (DataDir's sibling: /var/lib/coffer → /var/lib/coffer-kms).
	KMSDataDir string
	// KMSListen is the embedded KMS's listen address; "" → 127.0.0.1:0.
	KMSListen string
	// TLS is the HTTPS configuration the caller serves Handler with (nil:
	// plain HTTP); the embedded KMS's listener then serves with it too.
	TLS *tls.Config
	// AllowSSECOverHTTP accepts SSE-C keys on plain HTTP requests (local
	// testing only).
	AllowSSECOverHTTP bool
	// KeyCacheTTL bounds how long a bucket key is used and cached
	// (0 → object.DefaultKeyCacheTTL).
	KeyCacheTTL time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client for aws:SourceIp; nil believes none.
	TrustedProxies []netip.Prefix
	// VPCEndpoints map client networks to VPC endpoints (aws:SourceVpce).
	VPCEndpoints []config.VPCEndpoint
	// RestoreDurations override how long restores take, by tier.
	RestoreDurations map[string]time.Duration
	// Tiers are the blob directories of storage classes kept apart from
	// DataDir/blobs, by class.
	Tiers map[string]string
	// LifecycleInterval is how often the lifecycle scanner runs
	// (0 → lifecycle.DefaultInterval).
	LifecycleInterval time.Duration
	// LifecycleClockOffset moves the lifecycle scanner's clock ahead, to
	// try rules out without waiting for their days (testing only).
	LifecycleClockOffset time.Duration
	// WebACLFile is an AWS WAFv2 web ACL document evaluated in front of
	// every request ("" none).
	WebACLFile string
}

// LogValue keeps the secret keys out of logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("data_dir", c.DataDir), slog.String("domain", c.Domain),
		slog.String("region", c.Region), slog.String("root_access_key", c.RootAccessKey),
		slog.Any("kms", c.KMS), slog.String("kms_data_dir", c.KMSDataDir), slog.String("kms_listen", c.KMSListen),
		slog.Bool("tls", c.TLS != nil), slog.Bool("allow_ssec_over_http", c.AllowSSECOverHTTP),
		slog.Duration("key_cache_ttl", c.KeyCacheTTL), slog.Any("trusted_proxies", c.TrustedProxies))
}

// Server is a running coffer S3 server (without its listener).
type Server struct {
	cfg       Config
	root      datadir.Root
	generated bool
	lock      *datadir.Lock
	embedded  *embeddedKMS // nil with a remote KMS
	kms       *kms.Client
	kmsHTTP   *http.Client
	// kmsEndpoint is the URL the KMS client calls.
	kmsEndpoint string
	meta        meta.Store
	objects     *object.Service
	scanner     *lifecycle.Scanner
	iam         *iam.Service
	handler     http.Handler
	stopGC      context.CancelFunc
	gcDone      chan struct{}
	closeOnce   sync.Once
	closeErr    error
}

// New opens the data dir (taking its lock), starts the embedded KMS (or
// readies the client of the remote one), runs start-up recovery and starts
// background work (blob GC). Every object it stores is encrypted at rest.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("server: data dir is required")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{cfg: cfg}
	lock, err := datadir.Acquire(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	s.lock = lock
	ok := false
	defer func() {
		if !ok {
			s.release()
		}
	}()
	if s.root, s.generated, err = datadir.LoadRoot(cfg.DataDir, cfg.RootAccessKey, cfg.RootSecretKey); err != nil {
		return nil, err
	}
	if err := s.openKMS(ctx); err != nil {
		return nil, err
	}
	m, err := meta.OpenSQLite(ctx, filepath.Join(cfg.DataDir, "meta.db"))
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.meta = m
	blobs, err := openBlobs(cfg)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.objects = &object.Service{
		Meta:        m,
		Blobs:       blobs,
		Now:         func() time.Time { return time.Now().UTC() },
		Rand:        rand.Reader,
		Log:         cfg.Logger,
		KMS:         s.kms,
		KeyCacheTTL: cfg.KeyCacheTTL,

		RestoreDurations: object.RestoreDurations(cfg.RestoreDurations),
	}
	if plaintextForBenchmarks {
		s.objects.KMS = nil
		cfg.Logger.Warn("server: WARNING: built with -tags coffer_plaintext_bench: objects are stored UNENCRYPTED; for benchmark baselines only")
	}
	if err := s.objects.Recover(ctx); err != nil {
		return nil, fmt.Errorf("server: recovery: %w", err)
	}
	s.scanner = &lifecycle.Scanner{Store: m, Actions: s.objects, Interval: cfg.LifecycleInterval, Log: cfg.Logger,
		Now: func() time.Time { return time.Now().UTC().Add(cfg.LifecycleClockOffset) }}
	if cfg.LifecycleClockOffset != 0 {
		cfg.Logger.Warn("server: the lifecycle scanner's clock is offset (testing only)", "offset", cfg.LifecycleClockOffset)
	}
	gcCtx, stop := context.WithCancel(context.Background())
	s.stopGC = stop
	s.gcDone = make(chan struct{})
	var background sync.WaitGroup
	background.Go(func() { s.objects.RunGC(gcCtx) })
	background.Go(func() { s.scanner.Run(gcCtx) })
	go func() {
		background.Wait()
		close(s.gcDone)
	}()

	// Secrets of IAM access keys are sealed under a key only the KMS can
	// unwrap (iam.KMSSealer).
	var sealer iam.Sealer = &iam.KMSSealer{KMS: s.kms, Store: m, KeyID: kms.S3OwnedAlias}
	if plaintextForBenchmarks {
		if sealer, err = iam.NewKeySealer(make([]byte, 32)); err != nil {
			return nil, err
		}
	}
	s.iam = &iam.Service{Store: m, Sealer: sealer, Log: cfg.Logger}
	if _, err := s.iam.EnsureAccount(ctx, s.root.AccountID, "default"); err != nil {
		return nil, fmt.Errorf("server: first account: %w", err)
	}
	s.objects.AuthorizeKeyUse = s3api.KeyUseAuthorizer(s.iam, s.kms, cfg.Logger)
	creds := &iam.Credentials{IAM: s.iam, Operator: auth.Credential{
		AccessKeyID: s.root.AccessKey,
		SecretKey:   s.root.SecretKey,
		Principal: auth.Principal{
			AccountID:   s.root.AccountID,
			AccessKeyID: s.root.AccessKey,
			ARN:         "arn:aws:iam::" + s.root.AccountID + ":root",
			Operator:    true,
		},
	}}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newUsageCollector(s.objects, cfg.Logger))
	registerScannerMetrics(reg, s.scanner.Stats())
	s.handler = s3api.New(s3api.Config{
		Objects:  s.objects,
		Verifier: &auth.Verifier{Creds: creds, Now: time.Now},
		Domain:   cfg.Domain,
		Region:   cfg.Region,
		Log:      cfg.Logger,
		Registry: reg,

		AllowSSECOverHTTP: cfg.AllowSSECOverHTTP,
		TrustedProxies:    cfg.TrustedProxies,
		VPCEndpoints:      cfg.VPCEndpoints,
		IAM:               s.iam,
		IAMAPI:            &iamapi.Handler{IAM: s.iam, Log: cfg.Logger, ClientIP: httpx.ClientIPFunc(cfg.TrustedProxies), Usage: s.objects},
	})
	if cfg.WebACLFile != "" {
		doc, err := os.ReadFile(cfg.WebACLFile)
		if err != nil {
			return nil, fmt.Errorf("server: web ACL: %w", err)
		}
		acl, err := waf.Load(doc, waf.Sets{}, waf.Options{})
		if err != nil {
			return nil, fmt.Errorf("server: web ACL %s: %w", cfg.WebACLFile, err)
		}
		s.handler = waf.Handler(acl, s.handler, waf.WithClientIP(httpx.ClientIPFunc(cfg.TrustedProxies)),
			waf.WithObserver(func(r *http.Request, _ *waf.Request, d waf.Decision) {
				if d.Action == waf.Block {
					cfg.Logger.Info("waf: request blocked", "web_acl", acl.Name(), "rule", d.TerminatingRule, "method", r.Method, "path", r.URL.Path)
				}
			}))
	}
	ok = true
	return s, nil
}

// openBlobs opens DataDir/blobs and, when storage classes have tiers of
// their own, each tier's directory.
func openBlobs(cfg Config) (blob.Store, error) {
	def, err := blob.NewFS(filepath.Join(cfg.DataDir, "blobs"))
	if err != nil || len(cfg.Tiers) == 0 {
		return def, err
	}
	tiers := make(map[string]blob.Store, len(cfg.Tiers))
	for class, dir := range cfg.Tiers {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("tier %s: %w", class, err)
		}
		if defAbs, _ := filepath.Abs(def.Dir()); abs == defAbs {
			return nil, fmt.Errorf("tier %s: %s is the default blob directory", class, dir)
		}
		if tiers[class], err = blob.NewFS(abs); err != nil {
			return nil, fmt.Errorf("tier %s: %w", class, err)
		}
	}
	return blob.NewTiered(def, tiers)
}

// Scanner is the server's lifecycle scanner.
func (s *Server) Scanner() *lifecycle.Scanner { return s.scanner }

// Handler serves the S3 API, /health/live, /health/ready and /metrics.
func (s *Server) Handler() http.Handler { return s.handler }

// RootCredentials returns the root account's access key and secret key.
func (s *Server) RootCredentials() (accessKey, secretKey string) {
	return s.root.AccessKey, s.root.SecretKey
}

// KMSEndpoint is the URL of the KMS the server uses: the embedded KMS's
// listener, or the remote KMS's configured endpoint.
func (s *Server) KMSEndpoint() string { return s.kmsEndpoint }

// GeneratedCredentials reports whether this start generated the root
// credentials (so the caller prints them once).
func (s *Server) GeneratedCredentials() bool { return s.generated }

// Close stops background work and the embedded KMS, and releases the data
// dirs. The caller has stopped serving Handler.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if s.stopGC != nil {
			s.stopGC()
			<-s.gcDone
		}
		s.closeErr = s.release()
	})
	return s.closeErr
}

func (s *Server) release() error {
	var err error
	if s.meta != nil {
		err = s.meta.Close()
	}
	err = errors.Join(err, s.closeKMS())
	s.lock.Release()
	return err
}

// EndpointURL is the URL through which clients on this host reach a
// listener at addr: 127.0.0.1 stands for an unspecified host, and the
// scheme is https when secure.
func EndpointURL(addr net.Addr, secure bool) string {
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	scheme := "http://"
	if secure {
		scheme = "https://"
	}
	return scheme + net.JoinHostPort(host, port)
}

// TLSConfig is the server side of HTTPS: the certificate chain and private
// key from PEM files, TLS 1.2 or later with Go's default (AEAD,
// forward-secret) cipher suites. HTTP/1.1 only: the handlers' limits and
// the benchmarks are built on HTTP/1.1 keep-alive connections. The files
// are read once; replacing a certificate takes a restart.
func TLSConfig(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("server: tls: certificate %s, key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"http/1.1"},
	}, nil
}
