// Package server wires a coffer S3 server together from its configuration:
// metadata store, blob store, object engine, authentication and the HTTP
// layer. cmd/coffer and the end-to-end tests both build servers through it.
package server

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/blob"
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
	root      rootAccount
	generated bool
	lock      *os.File
	meta      meta.Store
	objects   *object.Service
	handler   http.Handler
	stopGC    context.CancelFunc
	gcDone    chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// rootAccount is the first account's identity, kept in DataDir.
type rootAccount struct {
	AccountID string `json:"account_id"`
	AccessKey string `json:"access_key_id"`
	SecretKey string `json:"secret_access_key"`
}

// LogValue keeps the secret out of logs.
func (r rootAccount) LogValue() slog.Value {
	return slog.GroupValue(slog.String("account_id", r.AccountID), slog.String("access_key_id", r.AccessKey))
}

const rootFile = "root-credentials.json"

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
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s := &Server{cfg: cfg}
	lock, err := lockDir(cfg.DataDir)
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
	if s.root, s.generated, err = loadRoot(cfg); err != nil {
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
	if s.lock != nil {
		_ = syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
		_ = s.lock.Close()
	}
	return err
}

// lockDir takes an exclusive lock so one process owns a data dir.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("server: lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("server: data dir %s is in use by another process: %w", dir, err)
	}
	return f, nil
}

// loadRoot returns the root account: the account ID is generated once and
// kept; configured keys override the stored ones; missing keys are
// generated and stored.
func loadRoot(cfg Config) (rootAccount, bool, error) {
	path := filepath.Join(cfg.DataDir, rootFile)
	var root rootAccount
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &root); err != nil {
			return root, false, fmt.Errorf("server: %s: %w", path, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return root, false, fmt.Errorf("server: %w", err)
	}
	generated := false
	if root.AccountID == "" {
		n, err := rand.Int(rand.Reader, big.NewInt(9e11))
		if err != nil {
			return root, false, err
		}
		root.AccountID = fmt.Sprintf("%012d", n.Int64()+1e11)
		generated = true
	}
	configured := cfg.RootAccessKey != "" || cfg.RootSecretKey != ""
	if configured && (cfg.RootAccessKey == "" || cfg.RootSecretKey == "") {
		return root, false, errors.New("server: set both the root access key and the root secret key")
	}
	newKeys := !configured && (root.AccessKey == "" || root.SecretKey == "")
	if newKeys {
		root.AccessKey = "AKIA" + randomString(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
		root.SecretKey = randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
	}
	if generated || newKeys {
		// Configured keys are never written to disk; only the account ID and
		// keys this process generated are kept.
		if err := writeFileAtomic(path, root); err != nil {
			return root, false, err
		}
	}
	if configured {
		root.AccessKey, root.SecretKey = cfg.RootAccessKey, cfg.RootSecretKey
	}
	return root, newKeys, nil
}

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

func writeFileAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("server: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("server: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return os.Rename(tmp, path)
}
