package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/coffer-project/coffer/internal/config"
	"github.com/coffer-project/coffer/internal/httpx"
	"github.com/coffer-project/coffer/internal/kmsapi"
)

// runKMS is `coffer kms`: the key management service on its own data dir.
// It shares the configuration file format and COFFER_* variables of
// `coffer server` (domain excepted); the root key comes from
// --root-key-file (or COFFER_KMS_ROOT_KEY_FILE) or COFFER_KMS_PASSPHRASE.
func runKMS(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) > 0 && args[0] == "principal" {
		return runKMSPrincipal(ctx, args[1:], stdout, stderr, getenv)
	}
	fs := flag.NewFlagSet("kms", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgFile := fs.String("config", getenv("COFFER_CONFIG"), "YAML configuration file")
	data := fs.String("data", "", "data directory (keystore, credentials)")
	listen := fs.String("listen", "", "listen address (default :9100)")
	region := fs.String("region", "", "region of key ARNs and request signatures (default us-east-1)")
	rootKeyFile := fs.String("root-key-file", getenv("COFFER_KMS_ROOT_KEY_FILE"), "file with the base64 of a 32-byte root key")
	logLevel := fs.String("log-level", "", "debug, info, warn or error")
	logFormat := fs.String("log-format", "", "json or text")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	cfg, err := config.LoadServer(*cfgFile, getenv)
	if err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "data":
			cfg.Data = *data
		case "listen":
			cfg.Listen = *listen
		case "region":
			cfg.Region = *region
		case "log-level":
			cfg.LogLevel = *logLevel
		case "log-format":
			cfg.LogFormat = *logFormat
		}
	})
	if cfg.Listen == "" {
		cfg.Listen = ":9100"
	}
	cfg.Defaults()
	if err := errors.Join(cfg.Validate(), noDomain(cfg.Domain)); err != nil {
		return err
	}
	passphrase := getenv("COFFER_KMS_PASSPHRASE")
	if passphrase != "" && *rootKeyFile != "" {
		return errors.New("give --root-key-file or COFFER_KMS_PASSPHRASE, not both")
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)

	srv, err := kmsapi.NewServer(ctx, kmsapi.ServerConfig{
		DataDir:       cfg.Data,
		Region:        cfg.Region,
		RootKeyFile:   *rootKeyFile,
		Passphrase:    []byte(passphrase),
		RootAccessKey: cfg.RootAccessKey,
		RootSecretKey: cfg.RootSecretKey,
		Logger:        log,
	})
	if err != nil {
		return err
	}
	defer srv.Close()

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	endpoint := endpointURL(ln.Addr())
	if srv.GeneratedCredentials() {
		// Printed once, on the start that generated them; never logged.
		access, secret := srv.RootCredentials()
		fmt.Fprintf(stdout, "coffer kms: generated administrator credentials (kept in %s):\n  access key: %s\n  secret key: %s\n", cfg.Data, access, secret)
	}
	log.Info("coffer kms serving", "endpoint", endpoint, "version", version, "data", cfg.Data, "region", cfg.Region)
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	err = httpx.Serve(ctx, hs, ln, cfg.ShutdownGrace)
	log.Info("coffer kms stopped")
	return err
}

func noDomain(domain string) error {
	if domain != "" {
		return errors.New("domain: does not apply to coffer kms")
	}
	return nil
}
