package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/coffer-project/coffer/internal/config"
	"github.com/coffer-project/coffer/internal/kms"
	"github.com/coffer-project/coffer/internal/kmsapi"
)

// KMSConfig is a remote key management service: a `coffer kms` on another
// host (or anything speaking the AWS KMS protocol).
type KMSConfig struct {
	// Endpoint is its URL, http:// or https://. "" runs the embedded KMS.
	Endpoint string
	// AccessKey and SecretKey sign the calls (SigV4, service kms); empty:
	// the server's root credentials.
	AccessKey, SecretKey string
	// CAFile is a PEM bundle of the CAs that verify the KMS's certificate;
	// "": the system's roots.
	CAFile string
	// ClientCertFile and ClientKeyFile (PEM, both or neither) are the
	// certificate presented to a KMS that requires one (mTLS).
	ClientCertFile, ClientKeyFile string
}

// LogValue keeps the secret key out of logs.
func (c KMSConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("endpoint", c.Endpoint), slog.String("access_key", c.AccessKey),
		slog.String("ca_file", c.CAFile), slog.String("client_cert_file", c.ClientCertFile))
}

// Calls to the KMS are on the path of every encrypted PUT and GET (bucket
// keys aside), so they keep connections alive, and an unreachable KMS makes
// requests fail within seconds rather than hang for net/http's defaults.
const (
	kmsDialTimeout           = 3 * time.Second
	kmsTLSHandshakeTimeout   = 3 * time.Second
	kmsResponseHeaderTimeout = 5 * time.Second
	kmsAttemptTimeout        = 10 * time.Second // one attempt, body included
	kmsMaxAttempts           = 2
	kmsMaxIdleConns          = 128

	// embeddedKMSListen is where the embedded KMS listens by default: a
	// loopback port of the system's choosing.
	embeddedKMSListen = "127.0.0.1:0"
	// embeddedKMSShutdown bounds how long Close waits for KMS calls still in
	// flight (from outside: the server's own have ended by then).
	embeddedKMSShutdown = 5 * time.Second
)

// newKMSHTTPClient is the HTTP client of calls to the KMS; tlsConf nil
// means Go's defaults (system roots) for an https endpoint. Its transport
// sends on the calling goroutine (kms.Transport): these calls are on the
// path of every encrypted PUT and GET.
func newKMSHTTPClient(tlsConf *tls.Config) *http.Client {
	return &http.Client{
		Transport: &kms.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			TLS:                   tlsConf,
			DialTimeout:           kmsDialTimeout,
			TLSHandshakeTimeout:   kmsTLSHandshakeTimeout,
			ResponseHeaderTimeout: kmsResponseHeaderTimeout,
			MaxIdleConns:          kmsMaxIdleConns,
			IdleConnTimeout:       90 * time.Second,
		},
	}
}

// remoteKMSTLS is the client side of TLS to a remote KMS: TLS 1.2 or
// later, the CA bundle's roots (or the system's), the client certificate.
func remoteKMSTLS(c KMSConfig) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("server: kms CA bundle: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("server: kms CA bundle %s holds no PEM certificate", c.CAFile)
		}
		conf.RootCAs = pool
	}
	if (c.ClientCertFile == "") != (c.ClientKeyFile == "") {
		return nil, errors.New("server: kms client certificate: give the certificate and the key, or neither")
	}
	if c.ClientCertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.ClientCertFile, c.ClientKeyFile)
		if err != nil {
			return nil, fmt.Errorf("server: kms client certificate %s, key %s: %w", c.ClientCertFile, c.ClientKeyFile, err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return conf, nil
}

// embeddedKMS is a kmsapi server run inside the S3 server's process, on a
// listener of its own.
type embeddedKMS struct {
	srv      *kmsapi.Server
	hs       *http.Server
	served   chan error
	endpoint string
	// clientTLS verifies the listener's certificate (nil: plain HTTP).
	clientTLS *tls.Config
}

// startEmbeddedKMS opens the keystore in dir, with the root credentials as
// the administrator's, and serves it on listen; over TLS when serverTLS is
// set (the S3 server's own configuration).
func startEmbeddedKMS(ctx context.Context, dir, listen, region, access, secret string, serverTLS *tls.Config, log *slog.Logger) (*embeddedKMS, error) {
	var clientTLS *tls.Config
	if serverTLS != nil {
		var err error
		if clientTLS, err = pinnedTLS(serverTLS); err != nil {
			return nil, err
		}
	}
	srv, err := kmsapi.NewServer(ctx, kmsapi.ServerConfig{
		DataDir:       dir,
		Region:        region,
		RootAccessKey: access,
		RootSecretKey: secret,
		Logger:        log,
	})
	if err != nil {
		return nil, fmt.Errorf("server: embedded kms: %w", err)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("server: embedded kms: %w", err), srv.Close())
	}
	e := &embeddedKMS{srv: srv, served: make(chan error, 1), endpoint: EndpointURL(ln.Addr(), serverTLS != nil), clientTLS: clientTLS}
	if serverTLS != nil {
		ln = tls.NewListener(ln, serverTLS)
	}
	e.hs = &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() { e.served <- e.hs.Serve(ln) }()
	return e, nil
}

// close stops the listener, lets calls in flight finish (for a while),
// then closes the keystore and releases its data dir.
func (e *embeddedKMS) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), embeddedKMSShutdown)
	defer cancel()
	err := e.hs.Shutdown(ctx)
	if serr := <-e.served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return errors.Join(err, e.srv.Close())
}

// pinnedTLS is the client side of TLS to the embedded KMS, which presents
// the server's own certificate: that exact certificate is accepted and no
// other. Its names are those of the public endpoint, not of the loopback
// address dialled, so the usual host name check cannot apply.
func pinnedTLS(serverTLS *tls.Config) (*tls.Config, error) {
	if len(serverTLS.Certificates) == 0 || len(serverTLS.Certificates[0].Certificate) == 0 {
		return nil, errors.New("server: embedded kms over TLS needs the server's certificate in TLS.Certificates")
	}
	want := serverTLS.Certificates[0].Certificate[0]
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by the pin in VerifyConnection
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, want) {
				return errors.New("server: embedded kms presented a certificate other than the server's")
			}
			return nil
		},
	}, nil
}

// openKMS starts the embedded KMS or prepares the remote one's TLS, and
// makes the client that object encryption calls.
func (s *Server) openKMS(ctx context.Context) error {
	cfg := s.cfg
	access, secret := s.root.AccessKey, s.root.SecretKey
	var clientTLS *tls.Config
	if cfg.KMS.Endpoint == "" {
		dir := cfg.KMSDataDir
		if dir == "" {
			dir = config.DefaultKMSData(cfg.DataDir)
		}
		if err := config.CheckKMSData(cfg.DataDir, dir); err != nil {
			return fmt.Errorf("server: %w", err)
		}
		listen := cfg.KMSListen
		if listen == "" {
			listen = embeddedKMSListen
		}
		e, err := startEmbeddedKMS(ctx, dir, listen, cfg.Region, access, secret, cfg.TLS, cfg.Logger.With("component", "kms"))
		if err != nil {
			return err
		}
		s.embedded, s.kmsEndpoint, clientTLS = e, e.endpoint, e.clientTLS
		cfg.Logger.Warn("server: WARNING: embedded KMS: the keys that protect the data are kept on the same host as the data; "+
			"production keys belong on another host: run `coffer kms` there and start the server with --kms URL",
			"kms_data", dir, "kms_endpoint", e.endpoint)
	} else {
		if cfg.KMS.AccessKey != "" || cfg.KMS.SecretKey != "" {
			access, secret = cfg.KMS.AccessKey, cfg.KMS.SecretKey
		}
		var err error
		if clientTLS, err = remoteKMSTLS(cfg.KMS); err != nil {
			return err
		}
		s.kmsEndpoint = cfg.KMS.Endpoint
		cfg.Logger.Info("server: remote KMS", "kms", cfg.KMS)
	}
	s.kmsHTTP = newKMSHTTPClient(clientTLS)
	client, err := kms.NewClient(kms.ClientConfig{
		Endpoint:        s.kmsEndpoint,
		Region:          cfg.Region,
		AccessKeyID:     access,
		SecretAccessKey: secret,
		HTTPClient:      s.kmsHTTP,
		MaxAttempts:     kmsMaxAttempts,
		AttemptTimeout:  kmsAttemptTimeout,
	})
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.kms = client
	return nil
}

// closeKMS stops the embedded KMS, if any, and drops idle connections.
func (s *Server) closeKMS() error {
	if s.kmsHTTP != nil {
		s.kmsHTTP.CloseIdleConnections()
	}
	if s.embedded == nil {
		return nil
	}
	err := s.embedded.close()
	s.embedded = nil
	return err
}
