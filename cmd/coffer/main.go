// Command coffer is a self-hosted, S3-compatible object store.
//
//	coffer server --data DIR [--listen :9000] [--domain NAME] [--config FILE]
//	coffer dev [--data DIR]
//	coffer version
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
	"os"
	"os/signal"
	"strings"
	"syscall"

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
  coffer server --data DIR [--listen ADDR] [--domain NAME] [--config FILE]
  coffer dev [--data DIR] [--listen ADDR]
  coffer kms --data DIR [--listen ADDR] [--config FILE] [--region REGION] [--root-key-file FILE]
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
	name := "server"
	if dev {
		name = "dev"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	flags := registerCommonFlags(fs, getenv, "data directory (metadata, blobs)", ":9000")
	flags.domain = fs.String("domain", "", "base domain for virtual-hosted-style requests (BUCKET.DOMAIN)")
	cfg, err := flags.load(fs, args, getenv)
	if err != nil {
		return err
	}
	if dev {
		if cfg.Data == "" {
			cfg.Data = "coffer-data"
		}
		if cfg.LogFormat == "" {
			cfg.LogFormat = "text"
		}
	}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)

	srv, err := server.New(ctx, server.Config{
		DataDir:       cfg.Data,
		Domain:        cfg.Domain,
		Region:        cfg.Region,
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
	access, secret := srv.RootCredentials()
	if dev {
		fmt.Fprintf(stdout, "coffer %s, development mode\n  S3 endpoint: %s\n  data:        %s\n  region:      %s\n  access key:  %s\n  secret key:  %s\n\n"+
			"  AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_DEFAULT_REGION=%s aws --endpoint-url %s s3 ls\n",
			version, endpoint, cfg.Data, cfg.Region, access, secret, access, secret, cfg.Region, endpoint)
	} else if srv.GeneratedCredentials() {
		// Printed once, on the start that generated them; never logged.
		fmt.Fprintf(stdout, "coffer: generated root credentials (kept in %s):\n  access key: %s\n  secret key: %s\n", cfg.Data, access, secret)
	}
	log.Info("coffer serving", "endpoint", endpoint, "version", version, "data", cfg.Data)
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	err = httpx.Serve(ctx, hs, ln, cfg.ShutdownGrace)
	log.Info("coffer stopped")
	return err
}

func endpointURL(addr net.Addr) string {
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
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
	domain                                            *string // registered by commands that have one
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
		case "domain":
			cfg.Domain = *c.domain
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
