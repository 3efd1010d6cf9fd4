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
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/coffer-project/coffer/internal/edge"
	"github.com/coffer-project/coffer/internal/h1"
	"github.com/coffer-project/coffer/internal/httpx"
	"github.com/coffer-project/coffer/internal/server"
)

// runEdge is `coffer edge --config FILE [--listen ADDR]`: the viewer
// listener (HTTPS and HTTP/2 with tls_cert/tls_key), and the management
// API on admin.listen, which also serves /metrics.
func runEdge(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("edge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("config", getenv("COFFER_EDGE_CONFIG"), "edge configuration file (YAML)")
	listen := fs.String("listen", "", "viewer listen address (overrides the file's listen)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	logFormat := fs.String("log-format", "json", "json or text")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" {
		return errors.New("edge: --config FILE is required")
	}
	cfg, err := edge.LoadConfig(*file)
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	log := newLogger(stderr, *logLevel, *logFormat)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv, err := edge.New(cfg, edge.Options{Log: log, Metrics: edge.NewMetrics(reg)})
	if err != nil {
		return err
	}
	defer srv.Close()

	var tlsConfig *tls.Config
	if cfg.TLSCert != "" {
		if tlsConfig, err = edge.TLSConfig(cfg.TLSCert, cfg.TLSKey); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	scheme := "http"
	if tlsConfig != nil {
		ln, scheme = tls.NewListener(ln, tlsConfig), "https"
	}
	servers := []struct {
		name string
		ln   net.Listener
		h    http.Handler
	}{{"viewer", ln, srv.Handler()}}
	fmt.Fprintf(stdout, "coffer edge serving %s://%s\n", scheme, ln.Addr())
	if cfg.Admin.Listen != "" {
		aln, err := net.Listen("tcp", cfg.Admin.Listen)
		if err != nil {
			ln.Close()
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		mux.Handle("/", srv.AdminHandler())
		servers = append(servers, struct {
			name string
			ln   net.Listener
			h    http.Handler
		}{"admin", aln, mux})
		fmt.Fprintf(stdout, "coffer edge admin http://%s\n", aln.Addr())
	}
	log.Info("coffer edge serving", "listen", ln.Addr().String(), "admin", cfg.Admin.Listen, "distributions", len(cfg.Distributions))

	var wg sync.WaitGroup
	errs := make([]error, len(servers))
	for i, sv := range servers {
		wg.Go(func() {
			hs := &http.Server{Handler: sv.h, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second,
				MaxHeaderBytes: 64 << 10, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
			var srv httpx.Server = hs
			switch {
			case sv.name == "viewer" && tlsConfig != nil:
				hs.TLSConfig = tlsConfig
			case sv.name == "viewer":
				// Plain HTTP/1.1 GET and HEAD (cache hits) take the lean
				// path; net/http serves every other request.
				srv = h1.New(hs)
			}
			errs[i] = httpx.Serve(ctx, srv, sv.ln, 10*time.Second)
		})
	}
	wg.Wait()
	log.Info("coffer edge stopped")
	return errors.Join(errs...)
}

// startDevEdge runs `coffer dev`'s edge on listen: one distribution,
// EDEV, over the demo bucket of srv (reached at endpoint), read as an
// OAI; it prints the URL. stop shuts it down.
func startDevEdge(ctx context.Context, srv *server.Server, endpoint, listen string, stdout io.Writer, log *slog.Logger) (stop func(), err error) {
	o, err := srv.DevEdgeOrigin(ctx)
	if err != nil {
		return nil, err
	}
	cfg := &edge.Config{Listen: listen, Distributions: []edge.Distribution{{
		ID:                "EDEV",
		DefaultRootObject: "index.html",
		Origin: edge.Origin{Endpoint: endpoint, Bucket: server.DevBucket, Access: "oai",
			AccessKeyID: o.AccessKeyID, SecretAccessKey: o.SecretAccessKey},
	}}}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e, err := edge.New(cfg, edge.Options{Log: log.With("component", "edge")})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("dev edge: %w", err)
	}
	fmt.Fprintf(stdout, "  edge:         http://%s/ (distribution EDEV over s3://%s, read as OAI %s)\n", ln.Addr(), server.DevBucket, o.OAI)
	hs := &http.Server{Handler: e.Handler(), ReadHeaderTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	ectx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = httpx.Serve(ectx, h1.New(hs), ln, 5*time.Second) // as `coffer edge` serves plain HTTP
	}()
	return func() { cancel(); <-done; e.Close() }, nil
}
