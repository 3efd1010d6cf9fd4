// Package server wires a coffer S3 server together from its configuration:
// metadata store, blob store, object engine, authentication and the HTTP
// layer. cmd/coffer and the end-to-end tests both build servers through it.
package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/blob"
	"github.com/coffer-project/coffer/internal/datadir"
	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/object"
	"github.com/coffer-project/coffer/internal/s3api"
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
}

// Server is a running coffer S3 server (without its listener).
type Server struct {
	cfg       Config
	root      datadir.Root
	generated bool
	lock      *datadir.Lock
	meta      meta.Store
	objects   *object.Service
	handler   http.Handler
	stopGC    context.CancelFunc
	gcDone    chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// New opens the data dir (taking its lock), runs start-up recovery and
// starts background work (blob GC).
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
	m, err := meta.OpenSQLite(ctx, filepath.Join(cfg.DataDir, "meta.db"))
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.meta = m
	blobs, err := blob.NewFS(filepath.Join(cfg.DataDir, "blobs"))
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.objects = &object.Service{
		Meta:  m,
		Blobs: blobs,
		Now:   func() time.Time { return time.Now().UTC() },
		Rand:  rand.Reader,
		Log:   cfg.Logger,
	}
	if err := s.objects.Recover(ctx); err != nil {
		return nil, fmt.Errorf("server: recovery: %w", err)
	}
	gcCtx, stop := context.WithCancel(context.Background())
	s.stopGC = stop
	s.gcDone = make(chan struct{})
	go func() {
		defer close(s.gcDone)
		s.objects.RunGC(gcCtx)
	}()

	creds := auth.NewStaticCredentials(auth.Credential{
		AccessKeyID: s.root.AccessKey,
		SecretKey:   s.root.SecretKey,
		Principal: auth.Principal{
			AccountID:   s.root.AccountID,
			AccessKeyID: s.root.AccessKey,
			ARN:         "arn:aws:iam::" + s.root.AccountID + ":root",
		},
	})
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.handler = s3api.New(s3api.Config{
		Objects:  s.objects,
		Verifier: &auth.Verifier{Creds: creds, Now: time.Now},
		Domain:   cfg.Domain,
		Region:   cfg.Region,
		Log:      cfg.Logger,
		Registry: reg,
	})
	ok = true
	return s, nil
}

// Handler serves the S3 API, /health/live, /health/ready and /metrics.
func (s *Server) Handler() http.Handler { return s.handler }

// RootCredentials returns the root account's access key and secret key.
func (s *Server) RootCredentials() (accessKey, secretKey string) {
	return s.root.AccessKey, s.root.SecretKey
}

// GeneratedCredentials reports whether this start generated the root
// credentials (so the caller prints them once).
func (s *Server) GeneratedCredentials() bool { return s.generated }

// Close stops background work and releases the data dir.
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
	s.lock.Release()
	return err
}
