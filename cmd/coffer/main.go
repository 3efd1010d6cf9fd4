// Command coffer is a self-hosted, S3-compatible object store.
//
//	coffer server --data DIR [--listen :9000] [--domain NAME] [--config FILE] [--kms URL] [--tls-cert FILE --tls-key FILE]
//	coffer dev [--data DIR]
//	coffer kms --data DIR [--listen :9100]
//	coffer edge --config FILE [--listen ADDR]
//	coffer version
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/coffer-project/coffer/internal/config"
	"github.com/coffer-project/coffer/internal/httpx"
	"github.com/coffer-project/coffer/internal/server"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "coffer:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  coffer server --data DIR [--listen ADDR] [--domain NAME] [--config FILE] [--tls-cert FILE --tls-key FILE]
                [--kms URL [--kms-ca FILE] [--kms-client-cert FILE --kms-client-key FILE] | --kms-data DIR [--kms-listen ADDR]]
  coffer dev [--data DIR] [--listen ADDR] [--kms-listen ADDR] [--tls-cert FILE --tls-key FILE]
  coffer kms --data DIR [--listen ADDR] [--config FILE] [--region REGION] [--root-key-file FILE]
  coffer edge --config FILE [--listen ADDR]
  coffer admin account create --name NAME --endpoint URL | admin account list --endpoint URL
  coffer version`

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "server":
		return runServer(ctx, args[1:], stdout, stderr, getenv, false)
	case "dev":
		return runServer(ctx, args[1:], stdout, stderr, getenv, true)
	case "kms":
		return runKMS(ctx, args[1:], stdout, stderr, getenv)
	case "edge":
		return runEdge(ctx, args[1:], stdout, stderr, getenv)
	case "admin":
		return runAdmin(ctx, args[1:], stdout, stderr, getenv)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "coffer", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

func runServer(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, dev bool) error {
	cfg, err := serverConfig(args, stderr, getenv, dev)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)

	trustedProxies, err := cfg.TrustedProxyPrefixes() // validated by serverConfig
	if err != nil {
		return err
	}
	vpcEndpoints, err := cfg.VPCEndpointList()
	if err != nil {
		return err
	}
	restoreDurations, err := cfg.RestoreDurationMap()
	if err != nil {
		return err
	}
	tiers, err := cfg.TierMap()
	if err != nil {
		return err
	}
	var tlsConfig *tls.Config
	if cfg.TLSCert != "" {
		if tlsConfig, err = server.TLSConfig(cfg.TLSCert, cfg.TLSKey); err != nil {
			return err
		}
	}
	srv, err := server.New(ctx, server.Config{
		DataDir:       cfg.Data,
		Domain:        cfg.Domain,
		Region:        cfg.Region,
		RootAccessKey: cfg.RootAccessKey,
		RootSecretKey: cfg.RootSecretKey,
		Logger:        log,
		KMS: server.KMSConfig{
			Endpoint:       cfg.KMS,
			AccessKey:      cfg.KMSAccessKey,
			SecretKey:      cfg.KMSSecretKey,
			CAFile:         cfg.KMSCA,
			ClientCertFile: cfg.KMSClientCert,
			ClientKeyFile:  cfg.KMSClientKey,
		},
		KMSDataDir:        cfg.KMSData,
		KMSListen:         cfg.KMSListen,
		TLS:               tlsConfig,
		AllowSSECOverHTTP: cfg.AllowSSECOverHTTP,
		KeyCacheTTL:       cfg.SSEKeyCacheTTL,
		TrustedProxies:    trustedProxies,
		VPCEndpoints:      vpcEndpoints,
		RestoreDurations:  restoreDurations,
		Tiers:             tiers,
		LifecycleInterval: cfg.LifecycleInterval,
		WebACLFile:        cfg.WebACL,

		LifecycleClockOffset: cfg.LifecycleClockOffset,
	})
	if err != nil {
		return err
	}
	defer srv.Close()

	ln, endpoint, err := listen(cfg.Listen, tlsConfig)
	if err != nil {
		return err
	}
	access, secret := srv.RootCredentials()
	if dev {
		fmt.Fprintf(stdout, "coffer %s, development mode\n  S3 endpoint:  %s\n  KMS endpoint: %s\n  data:         %s\n  region:       %s\n  access key:   %s\n  secret key:   %s\n\n"+
			"  AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_DEFAULT_REGION=%s aws --endpoint-url %s s3 ls\n",
			version, endpoint, srv.KMSEndpoint(), cfg.Data, cfg.Region, access, secret, access, secret, cfg.Region, endpoint)
	} else if srv.GeneratedCredentials() {
		// Printed once, on the start that generated them; never logged.
		fmt.Fprintf(stdout, "coffer: generated root credentials (kept in %s):\n  access key: %s\n  secret key: %s\n", cfg.Data, access, secret)
	}
	log.Info("coffer serving", "endpoint", endpoint, "version", version, "data", cfg.Data, "kms", srv.KMSEndpoint(),
		"allow_ssec_over_http", cfg.AllowSSECOverHTTP, "trusted_proxies", cfg.TrustedProxies)
	if dev && cfg.DevEdgeListen != "off" {
		// The edge is a convenience: dev serves S3 without it (say, when
		// its port is taken).
		if stopEdge, err := startDevEdge(ctx, srv, endpoint, cfg.DevEdgeListen, stdout, log); err != nil {
			fmt.Fprintf(stdout, "  edge:         not started: %v\n", err)
			log.Warn("coffer dev: edge not started", "err", err)
		} else {
			defer stopEdge()
		}
	}
	err = serve(ctx, ln, srv.Handler(), cfg, log)
	log.Info("coffer stopped")
	return err
}

// listen opens addr, serving TLS when tlsConfig is set, and returns the
// listener with the endpoint URL clients on this host reach it at.
func listen(addr string, tlsConfig *tls.Config) (net.Listener, string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", err
	}
	endpoint := server.EndpointURL(ln.Addr(), tlsConfig != nil)
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	return ln, endpoint, nil
}

// serve serves h on ln with cfg's timeouts until ctx is done, then shuts
// down gracefully.
func serve(ctx context.Context, ln net.Listener, h http.Handler, cfg config.Server, log *slog.Logger) error {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return httpx.Serve(ctx, hs, ln, cfg.ShutdownGrace)
}

// serverConfig is the validated configuration of `coffer server` (or
// `coffer dev`, with its defaults): file, then environment, then flags.
func serverConfig(args []string, stderr io.Writer, getenv func(string) string, dev bool) (config.Server, error) {
	name := "server"
	if dev {
		name = "dev"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	flags := registerCommonFlags(fs, getenv, "data directory (metadata, blobs)", ":9000")
	var sf serverFlags
	sf.register(fs, dev)
	cfg, err := flags.load(fs, args, getenv)
	if err != nil {
		return cfg, err
	}
	sf.apply(fs, &cfg)
	if dev {
		if cfg.Data == "" {
			cfg.Data = "coffer-data"
		}
		if cfg.LogFormat == "" {
			cfg.LogFormat = "text"
		}
		if cfg.KMS == "" && cfg.KMSListen == "" {
			cfg.KMSListen = devKMSListen
		}
		if cfg.DevEdgeListen == "" {
			cfg.DevEdgeListen = devEdgeListen
		}
	}
	cfg.Defaults()
	return cfg, cfg.Validate()
}

// devKMSListen is where `coffer dev` serves its embedded KMS, the port of
// `coffer kms`.
const devKMSListen = ":9100"

// devEdgeListen is where `coffer dev` serves its edge.
const devEdgeListen = "127.0.0.1:8080"

// serverFlags are the flags of `coffer server` and `coffer dev` only. Each
// overrides the configuration file and the COFFER_* variables when given.
type serverFlags struct {
	domain, tlsCert, tlsKey                 string
	kms, kmsCA, kmsClientCert, kmsClientKey string
	kmsData, kmsListen                      string
	trustedProxies                          string
	vpcEndpoints                            []string
	restoreDurations                        []string
	tiers                                   []string
	edgeListen                              string
	webACL                                  string
	lifecycleInterval                       time.Duration
	allowSSECOverHTTP                       bool
	sseKeyCacheTTL                          time.Duration
}

func (f *serverFlags) register(fs *flag.FlagSet, dev bool) {
	kmsListenDefault := "127.0.0.1:0"
	if dev {
		kmsListenDefault = devKMSListen
	}
	if dev {
		fs.StringVar(&f.edgeListen, "edge-listen", "", "where the development edge serves the demo distribution (default "+devEdgeListen+"; off: none)")
	}
	fs.StringVar(&f.domain, "domain", "", "base domain for virtual-hosted-style requests (BUCKET.DOMAIN)")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate chain: serve HTTPS (with --tls-key)")
	fs.StringVar(&f.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.BoolVar(&f.allowSSECOverHTTP, "allow-ssec-over-http", false, "accept SSE-C keys over plain HTTP (local testing only)")
	fs.DurationVar(&f.sseKeyCacheTTL, "sse-key-cache-ttl", 0, "how long a bucket key is used before the KMS is asked again (default 5m)")
	fs.StringVar(&f.trustedProxies, "trusted-proxies", "", "comma-separated CIDR prefixes of reverse proxies whose X-Forwarded-For is believed for aws:SourceIp (default: none)")
	fs.Func("vpc-endpoint", "vpce-ID[/vpc-ID]=CIDR[,CIDR…]: requests from these networks come through that VPC endpoint (aws:SourceVpce); repeatable", func(v string) error {
		f.vpcEndpoints = append(f.vpcEndpoints, v)
		return nil
	})
	fs.Func("restore-duration", "TIER=DURATION: how long a restore of an archived object takes (Expedited, Standard, Bulk, DeepArchive.Standard, DeepArchive.Bulk); repeatable", func(v string) error {
		f.restoreDurations = append(f.restoreDurations, v)
		return nil
	})
	fs.Func("tier", "CLASS=DIR: keep the blobs of storage class CLASS in DIR (default: every class in DATA/blobs); repeatable", func(v string) error {
		f.tiers = append(f.tiers, v)
		return nil
	})
	fs.DurationVar(&f.lifecycleInterval, "lifecycle-interval", 0, "how often the lifecycle scanner runs (default 1h)")
	fs.StringVar(&f.webACL, "web-acl", "", "AWS WAFv2 web ACL document (JSON) evaluated in front of the S3 API")
	fs.StringVar(&f.kms, "kms", "", "URL of a remote coffer kms (credentials: COFFER_KMS_ACCESS_KEY, COFFER_KMS_SECRET_KEY); default: an embedded KMS")
	fs.StringVar(&f.kmsCA, "kms-ca", "", "PEM CA bundle verifying the remote KMS's certificate (default: system roots)")
	fs.StringVar(&f.kmsClientCert, "kms-client-cert", "", "PEM client certificate for a KMS requiring one (with --kms-client-key)")
	fs.StringVar(&f.kmsClientKey, "kms-client-key", "", "PEM private key of --kms-client-cert")
	fs.StringVar(&f.kmsData, "kms-data", "", "embedded KMS's data directory, apart from --data (default: the data directory + \"-kms\")")
	fs.StringVar(&f.kmsListen, "kms-listen", "", "embedded KMS's listen address (default "+kmsListenDefault+")")
}

// apply copies the flags given on the command line into cfg.
func (f *serverFlags) apply(fs *flag.FlagSet, cfg *config.Server) {
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "domain":
			cfg.Domain = f.domain
		case "tls-cert":
			cfg.TLSCert = f.tlsCert
		case "tls-key":
			cfg.TLSKey = f.tlsKey
		case "allow-ssec-over-http":
			cfg.AllowSSECOverHTTP = f.allowSSECOverHTTP
		case "sse-key-cache-ttl":
			cfg.SSEKeyCacheTTL = f.sseKeyCacheTTL
		case "trusted-proxies":
			cfg.TrustedProxies = f.trustedProxies
		case "vpc-endpoint":
			cfg.VPCEndpoints = f.vpcEndpoints
		case "restore-duration":
			cfg.RestoreDurations = f.restoreDurations
		case "edge-listen":
			cfg.DevEdgeListen = f.edgeListen
		case "tier":
			cfg.Tiers = f.tiers
		case "lifecycle-interval":
			cfg.LifecycleInterval = f.lifecycleInterval
		case "web-acl":
			cfg.WebACL = f.webACL
		case "kms":
			cfg.KMS = f.kms
		case "kms-ca":
			cfg.KMSCA = f.kmsCA
		case "kms-client-cert":
			cfg.KMSClientCert = f.kmsClientCert
		case "kms-client-key":
			cfg.KMSClientKey = f.kmsClientKey
		case "kms-data":
			cfg.KMSData = f.kmsData
		case "kms-listen":
			cfg.KMSListen = f.kmsListen
		}
	})
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// commonFlags are the flags every server command takes. Each overrides the
// configuration file and the COFFER_* variables when it is given.
type commonFlags struct {
	config, data, listen, region, logLevel, logFormat string
}

func registerCommonFlags(fs *flag.FlagSet, getenv func(string) string, dataHelp, defaultListen string) *commonFlags {
	c := &commonFlags{}
	fs.StringVar(&c.config, "config", getenv("COFFER_CONFIG"), "YAML configuration file")
	fs.StringVar(&c.data, "data", "", dataHelp)
	fs.StringVar(&c.listen, "listen", "", "listen address (default "+defaultListen+")")
	fs.StringVar(&c.region, "region", "", "region (default us-east-1)")
	fs.StringVar(&c.logLevel, "log-level", "", "debug, info, warn or error")
	fs.StringVar(&c.logFormat, "log-format", "", "json or text")
	return c
}

// load parses args (every flag must be registered by now) and returns the
// configuration: the file, then the environment, then the flags given.
func (c *commonFlags) load(fs *flag.FlagSet, args []string, getenv func(string) string) (config.Server, error) {
	if err := fs.Parse(args); err != nil {
		return config.Server{}, err
	}
	if fs.NArg() > 0 {
		return config.Server{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	cfg, err := config.LoadServer(c.config, getenv)
	if err != nil {
		return cfg, err
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "data":
			cfg.Data = c.data
		case "listen":
			cfg.Listen = c.listen
		case "region":
			cfg.Region = c.region
		case "log-level":
			cfg.LogLevel = c.logLevel
		case "log-format":
			cfg.LogFormat = c.logFormat
		}
	})
	return cfg, nil
}
