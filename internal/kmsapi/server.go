package kmsapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/datadir"
	"github.com/coffer-project/coffer/internal/kms"
)

// ServerConfig is what NewServer needs. Zero values get documented
// defaults.
type ServerConfig struct {
	DataDir string // required: keystore, lock, credentials and (by default) the root key live here
	Region  string // "" → us-east-1
	// RootKeyFile is a file holding the base64 of 32 random bytes. If it
	// and Passphrase are both empty, DataDir/root.key is used, generated on
	// first start, with a loud warning on every start.
	RootKeyFile string
	// Passphrase derives the root key with argon2id (salt kept in
	// DataDir/passphrase-salt.json). Exclusive with RootKeyFile.
	Passphrase []byte
	// KDF are the argon2id costs for a new passphrase salt file (zero:
	// kms.KDFParams defaults).
	KDF kms.KDFParams
	// Administrator credentials. If empty, they are generated once, kept in
	// DataDir, and reused on later starts.
	RootAccessKey string
	RootSecretKey string
	Logger        *slog.Logger // nil → discard
	// JobInterval is how often due key deletions and rotations run
	// (default 1 minute).
	JobInterval time.Duration
	// RootKey is a root key the caller opened, such as a PKCS#11 token key
	// (kms.OpenPKCS11RootKey). Exclusive with RootKeyFile and Passphrase.
	// NewServer does not close it: the caller does, after Close.
	RootKey kms.RootKey
	// AuditLog is a file to append one JSON line per KMS call to (created
	// 0600 if missing); a call whose record cannot be written fails.
	// "": no audit log.
	AuditLog string
}

// LogValue keeps the passphrase and secret key out of logs.
func (c ServerConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("data_dir", c.DataDir), slog.String("region", c.Region),
		slog.String("root_key_file", c.RootKeyFile), slog.String("root_access_key", c.RootAccessKey))
}

// Server is a `coffer kms` instance without its listener: the data dir
// (locked), the keystore, the handler and the background job.
type Server struct {
	admin     datadir.Root
	generated bool
	lock      *datadir.Lock
	store     *kms.Store
	handler   http.Handler
	stopJobs  context.CancelFunc
	jobsDone  chan struct{}
	auditLog  *os.File
	closeOnce sync.Once
	closeErr  error
}

// Files in the data dir.
const (
	keystoreFile   = "kms.db"
	defaultRootKey = "root.key"
	saltFile       = "passphrase-salt.json"
)

// NewServer opens the data dir (taking its lock), the root key and the
// keystore, and starts the background job. A keystore created under
// another root key fails with an error wrapping kms.ErrWrongRootKey.
func NewServer(ctx context.Context, cfg ServerConfig) (*Server, error) {
	s := &Server{}
	ok := false
	defer func() {
		if !ok {
			_ = s.release()
		}
	}()
	if err := s.open(ctx, &cfg); err != nil {
		return nil, err
	}
	creds := credentials{principals: s.store, admin: auth.Credential{
		AccessKeyID: s.admin.AccessKey,
		SecretKey:   s.admin.SecretKey,
		Principal: auth.Principal{
			AccountID:   s.admin.AccountID,
			AccessKeyID: s.admin.AccessKey,
			ARN:         "arn:aws:iam::" + s.admin.AccountID + ":root",
		},
	}}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	hcfg := Config{
		Store:    s.store,
		Verifier: &auth.Verifier{Creds: creds, Now: time.Now},
		Region:   cfg.Region,
		Log:      cfg.Logger,
		Registry: reg,
	}
	if cfg.AuditLog != "" {
		f, err := os.OpenFile(cfg.AuditLog, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, fmt.Errorf("kms: audit log: %w", err)
		}
		s.auditLog, hcfg.Audit = f, f
	}
	s.handler = New(hcfg)
	jobCtx, stop := context.WithCancel(context.Background())
	s.stopJobs, s.jobsDone = stop, make(chan struct{})
	go func() {
		defer close(s.jobsDone)
		RunJobs(jobCtx, s.store, cfg.JobInterval, time.Now, cfg.Logger)
	}()
	ok = true
	return s, nil
}

// open applies cfg's defaults, takes the data dir's lock and opens the
// root key, the administrator's identity and the keystore. On error the
// caller releases what was opened.
func (s *Server) open(ctx context.Context, cfg *ServerConfig) error {
	if cfg.DataDir == "" {
		return errors.New("kms: data dir is required")
	}
	if cfg.RootKeyFile != "" && len(cfg.Passphrase) > 0 {
		return errors.New("kms: give a root key file or a passphrase, not both")
	}
	if cfg.RootKey != nil && (cfg.RootKeyFile != "" || len(cfg.Passphrase) > 0) {
		return errors.New("kms: give a root key, a root key file or a passphrase, only one")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.JobInterval <= 0 {
		cfg.JobInterval = time.Minute
	}
	lock, err := datadir.Acquire(cfg.DataDir)
	if err != nil {
		return err
	}
	s.lock = lock
	root, err := openRootKey(*cfg)
	if err != nil {
		return err
	}
	if s.admin, s.generated, err = datadir.LoadRoot(cfg.DataDir, cfg.RootAccessKey, cfg.RootSecretKey); err != nil {
		return err
	}
	s.store, err = kms.Open(ctx, filepath.Join(cfg.DataDir, keystoreFile), kms.Config{
		RootKey: root, Region: cfg.Region, Account: s.admin.AccountID,
	})
	return err
}

// CreatePrincipal adds a principal (arn:aws:iam::ACCOUNT:user/NAME; account
// "" is the administrator's) to the keystore in cfg.DataDir, opened with
// cfg's root key as NewServer opens it. The data dir must not be in use by
// a running server. generatedAdmin reports that the data dir was new and
// administrator credentials were generated on the way (see
// Server.RootCredentials for NewServer's equivalent). Errors: those of
// NewServer, and kms.ErrValidation or kms.ErrAlreadyExists.
func CreatePrincipal(ctx context.Context, cfg ServerConfig, name, account string) (p kms.PrincipalCredentials, generatedAdmin bool, err error) {
	s := &Server{}
	defer func() { err = errors.Join(err, s.release()) }()
	if err := s.open(ctx, &cfg); err != nil {
		return p, false, err
	}
	p, err = s.store.CreatePrincipal(ctx, name, account)
	return p, s.generated, err
}

// Handler serves the KMS API, /health/live, /health/ready and /metrics.
func (s *Server) Handler() http.Handler { return s.handler }

// Store is the keystore, for in-process tests and tools.
func (s *Server) Store() *kms.Store { return s.store }

// RootCredentials returns the administrator's access key and secret key.
func (s *Server) RootCredentials() (accessKey, secretKey string) {
	return s.admin.AccessKey, s.admin.SecretKey
}

// GeneratedCredentials reports whether this start generated the
// administrator credentials (so the caller prints them once).
func (s *Server) GeneratedCredentials() bool { return s.generated }

// Close stops the background job, closes the keystore and releases the
// data dir.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if s.stopJobs != nil {
			s.stopJobs()
			<-s.jobsDone
		}
		s.closeErr = s.release()
	})
	return s.closeErr
}

func (s *Server) release() error {
	var err error
	if s.store != nil {
		err = s.store.Close()
	}
	if s.auditLog != nil {
		err = errors.Join(err, s.auditLog.Close())
	}
	s.lock.Release()
	return err
}

// jobStore is what the background job needs of the keystore.
type jobStore interface {
	// DeleteDueKeys deletes keys whose deletion date has passed.
	DeleteDueKeys(ctx context.Context, now time.Time) ([]string, error)
	// RotateDue performs due automatic rotations.
	RotateDue(ctx context.Context, now time.Time) (int, error)
}

var _ jobStore = (*kms.Store)(nil)

// RunJobs deletes due keys and performs due rotations at once and then
// every interval, until ctx is done. Failures are logged and retried at the
// next tick.
func RunJobs(ctx context.Context, st jobStore, interval time.Duration, now func() time.Time, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		ids, err := st.DeleteDueKeys(ctx, now())
		if err != nil && ctx.Err() == nil {
			log.Error("kms: delete due keys", "error", err)
		}
		for _, id := range ids {
			log.Warn("kms: deleted key after its waiting period; its ciphertexts can no longer be decrypted", "key_id", id)
		}
		n, err := st.RotateDue(ctx, now())
		if err != nil && ctx.Err() == nil {
			log.Error("kms: automatic rotation", "error", err)
		}
		if n > 0 {
			log.Info("kms: rotated keys", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// openRootKey loads the configured root key, derives it from the
// passphrase, or loads (generating on first start) DataDir/root.key.
func openRootKey(cfg ServerConfig) (kms.RootKey, error) {
	switch {
	case cfg.RootKey != nil:
		return cfg.RootKey, nil
	case len(cfg.Passphrase) > 0:
		return kms.DerivePassphraseRootKey(cfg.Passphrase, filepath.Join(cfg.DataDir, saltFile), cfg.KDF, nil)
	case cfg.RootKeyFile != "":
		return kms.LoadRootKeyFile(cfg.RootKeyFile)
	}
	path := filepath.Join(cfg.DataDir, defaultRootKey)
	const warning = "kms: WARNING: the root key is a file inside the data directory, so anyone with a copy of the " +
		"data directory can decrypt every key in it; give --root-key-file on another volume, or COFFER_KMS_PASSPHRASE"
	k, err := kms.LoadRootKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		k, err = kms.GenerateRootKeyFile(path, nil)
		if err == nil {
			cfg.Logger.Warn(warning, "root_key_file", path, "generated", true)
		}
		return k, err
	}
	if err == nil {
		cfg.Logger.Warn(warning, "root_key_file", path)
	}
	return k, err
}
