package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/coffer-project/coffer/internal/config"
	"github.com/coffer-project/coffer/internal/kms"
	"github.com/coffer-project/coffer/internal/kmsapi"
)

// runKMS is `coffer kms`: the key management service on its own data dir.
// It shares the configuration file format and COFFER_* variables of
// `coffer server` (those of the server alone are refused, see serverOnly);
// its own settings are kmsOptions.
func runKMS(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) > 0 && args[0] == "principal" {
		return runKMSPrincipal(ctx, args[1:], stdout, stderr, getenv)
	}
	fs := flag.NewFlagSet("kms", flag.ContinueOnError)
	fs.SetOutput(stderr)
	flags := registerCommonFlags(fs, getenv, "data directory (keystore, credentials)", ":9100")
	var opts kmsOptions
	opts.register(fs, getenv)
	cfg, err := flags.load(fs, args, getenv)
	if err != nil {
		return err
	}
	if cfg.Listen == "" {
		cfg.Listen = ":9100"
	}
	cfg.Defaults()
	if opts.TLSCert == "" && opts.TLSKey == "" {
		// tls_cert and tls_key of the configuration file (or COFFER_TLS_*)
		// are this process's certificate as they are coffer server's.
		opts.TLSCert, opts.TLSKey = cfg.TLSCert, cfg.TLSKey
	}
	if err := errors.Join(cfg.Validate(), serverOnly(cfg), opts.Validate()); err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)

	var tlsConfig *tls.Config
	if opts.TLSCert != "" {
		if tlsConfig, err = kmsapi.TLSConfig(opts.TLSCert, opts.TLSKey, opts.TLSClientCA); err != nil {
			return err
		}
	}
	root, err := opts.Root.openPKCS11(cfg.Data, log)
	if err != nil {
		return err
	}
	if root != nil {
		// Deferred first, so it runs after srv.Close: the keystore is
		// closed before the token session goes.
		defer root.Close()
	}
	srvCfg := kmsapi.ServerConfig{
		DataDir:       cfg.Data,
		Region:        cfg.Region,
		RootKeyFile:   opts.Root.File,
		Passphrase:    []byte(opts.Root.Passphrase),
		RootAccessKey: cfg.RootAccessKey,
		RootSecretKey: cfg.RootSecretKey,
		Logger:        log,
		AuditLog:      opts.AuditLog,
	}
	if root != nil {
		srvCfg.RootKey = root
	}
	srv, err := kmsapi.NewServer(ctx, srvCfg)
	if err != nil {
		return err
	}
	defer srv.Close()

	ln, endpoint, err := listen(cfg.Listen, tlsConfig)
	if err != nil {
		return err
	}
	if srv.GeneratedCredentials() {
		// Printed once, on the start that generated them; never logged.
		access, secret := srv.RootCredentials()
		fmt.Fprintf(stdout, "coffer kms: generated administrator credentials (kept in %s):\n  access key: %s\n  secret key: %s\n", cfg.Data, access, secret)
	}
	log.Info("coffer kms serving", "endpoint", endpoint, "version", version, "data", cfg.Data, "region", cfg.Region,
		"client_certificates", opts.TLSClientCA != "", "root_key", opts.Root)
	err = serve(ctx, ln, srv.Handler(), cfg, log)
	log.Info("coffer kms stopped")
	return err
}

// kmsOptions are the settings of `coffer kms` that `coffer server` does
// not share, from flags with COFFER_KMS_* variables as their defaults.
// The zero value serves plain HTTP with the root key DATA/root.key.
type kmsOptions struct {
	// TLSCert and TLSKey (PEM files, both or neither) serve HTTPS.
	TLSCert, TLSKey string
	// TLSClientCA, a PEM bundle, makes every client present a certificate
	// issued by one of its CAs (mTLS). It needs TLSCert and TLSKey.
	TLSClientCA string
	// AuditLog is the file receiving one JSON line per call; a call whose
	// line cannot be written fails (fail closed). "" disables the log.
	AuditLog string
	Root     rootKeyOptions
}

// rootKeyOptions choose the root key sealing the keystore: File,
// Passphrase or PKCS11Module, at most one. With none, NewServer uses
// DATA/root.key (generated on first start, with a warning).
type rootKeyOptions struct {
	File       string // base64 of 32 random bytes
	Passphrase string // derives the key with argon2id
	// PKCS11Module is the PKCS#11 library of the token holding the key;
	// PKCS11Slot names the token (a slot id or token label; "" is the only
	// initialized token) and PKCS11KeyLabel the AES key in it.
	PKCS11Module, PKCS11Slot, PKCS11KeyLabel string
	PKCS11PIN                                string // the token's user PIN
}

const defaultPKCS11KeyLabel = "coffer-kms-root"

// kmsKeystoreFile is the keystore kmsapi.NewServer keeps in the data dir;
// its absence marks a data dir's first start.
const kmsKeystoreFile = "kms.db"

func (o *kmsOptions) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&o.TLSCert, "tls-cert", getenv("COFFER_KMS_TLS_CERT"), "PEM certificate chain: serve HTTPS (with --tls-key)")
	fs.StringVar(&o.TLSKey, "tls-key", getenv("COFFER_KMS_TLS_KEY"), "PEM private key of --tls-cert")
	fs.StringVar(&o.TLSClientCA, "tls-client-ca", getenv("COFFER_KMS_TLS_CLIENT_CA"), "PEM CA bundle: require client certificates issued by these CAs (mTLS)")
	fs.StringVar(&o.AuditLog, "audit-log", getenv("COFFER_KMS_AUDIT_LOG"), "file receiving one JSON line per call; calls fail if it cannot be written")
	o.Root.register(fs, getenv)
}

func (o *rootKeyOptions) register(fs *flag.FlagSet, getenv func(string) string) {
	label := getenv("COFFER_KMS_PKCS11_KEY_LABEL")
	if label == "" {
		label = defaultPKCS11KeyLabel
	}
	fs.StringVar(&o.File, "root-key-file", getenv("COFFER_KMS_ROOT_KEY_FILE"), "file with the base64 of a 32-byte root key")
	fs.StringVar(&o.PKCS11Module, "pkcs11-module", getenv("COFFER_KMS_PKCS11_MODULE"), "PKCS#11 library of the token holding the root key (PIN in COFFER_KMS_PKCS11_PIN)")
	fs.StringVar(&o.PKCS11Slot, "pkcs11-slot", getenv("COFFER_KMS_PKCS11_SLOT"), "PKCS#11 slot id or token label (default: the only initialized token)")
	fs.StringVar(&o.PKCS11KeyLabel, "pkcs11-key-label", label, "label of the root key in the token; created on a data dir's first start")
	o.Passphrase = getenv("COFFER_KMS_PASSPHRASE")
	o.PKCS11PIN = getenv("COFFER_KMS_PKCS11_PIN")
}

// Validate reports every problem at once.
func (o kmsOptions) Validate() error {
	var errs []error
	if (o.TLSCert == "") != (o.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key: give both or neither"))
	}
	if o.TLSClientCA != "" && (o.TLSCert == "" || o.TLSKey == "") {
		errs = append(errs, errors.New("--tls-client-ca needs --tls-cert and --tls-key"))
	}
	return errors.Join(append(errs, o.Root.Validate())...)
}

// Validate reports every problem at once.
func (o rootKeyOptions) Validate() error {
	var errs []error
	sources := 0
	for _, s := range []string{o.File, o.Passphrase, o.PKCS11Module} {
		if s != "" {
			sources++
		}
	}
	if sources > 1 {
		errs = append(errs, errors.New("root key: give one of --root-key-file, COFFER_KMS_PASSPHRASE and --pkcs11-module"))
	}
	if o.PKCS11Module == "" {
		// Without the module a forgotten flag would silently start on a
		// generated root key file instead of the token.
		if o.PKCS11Slot != "" {
			errs = append(errs, errors.New("--pkcs11-slot needs --pkcs11-module"))
		}
		if o.PKCS11PIN != "" {
			errs = append(errs, errors.New("COFFER_KMS_PKCS11_PIN is set but --pkcs11-module is not"))
		}
		return errors.Join(errs...)
	}
	if o.PKCS11PIN == "" {
		errs = append(errs, errors.New("--pkcs11-module needs the token's user PIN in COFFER_KMS_PKCS11_PIN"))
	}
	if o.PKCS11KeyLabel == "" {
		errs = append(errs, errors.New("--pkcs11-key-label must not be empty"))
	}
	return errors.Join(errs...)
}

// LogValue keeps the passphrase and the PIN out of logs.
func (o rootKeyOptions) LogValue() slog.Value {
	switch {
	case o.PKCS11Module != "":
		return slog.GroupValue(slog.String("source", "pkcs11"), slog.String("module", o.PKCS11Module),
			slog.String("slot", o.PKCS11Slot), slog.String("key_label", o.PKCS11KeyLabel))
	case o.Passphrase != "":
		return slog.GroupValue(slog.String("source", "passphrase"))
	case o.File != "":
		return slog.GroupValue(slog.String("source", "file"), slog.String("file", o.File))
	}
	return slog.GroupValue(slog.String("source", "data dir"))
}

// openPKCS11 opens the token's root key, or returns nil when the root key
// comes from elsewhere. The key is created in the token (sensitive,
// non-extractable) only on the data dir's first start: once a keystore
// exists, a missing key means a wrong label or token, and making a new key
// would only leave a stray one behind. The caller closes the key.
func (o rootKeyOptions) openPKCS11(dataDir string, log *slog.Logger) (*kms.PKCS11RootKey, error) {
	if o.PKCS11Module == "" {
		return nil, nil
	}
	var opts []kms.PKCS11Option
	_, err := os.Stat(filepath.Join(dataDir, kmsKeystoreFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
		opts = append(opts, kms.PKCS11CreateKey)
	case err != nil:
		return nil, fmt.Errorf("kms: %w", err)
	}
	k, err := kms.OpenPKCS11RootKey(o.PKCS11Module, o.PKCS11Slot, o.PKCS11PIN, o.PKCS11KeyLabel, opts...)
	if err != nil {
		return nil, fmt.Errorf("--pkcs11-module: %w", err)
	}
	log.Info("kms: root key in a PKCS#11 token", "root_key", o, "created_if_missing", len(opts) > 0)
	return k, nil
}

// serverOnly reports the settings of the configuration that belong to
// coffer server alone, so that none is silently ignored by coffer kms.
func serverOnly(cfg config.Server) error {
	var errs []error
	for _, s := range []struct {
		name string
		set  bool
	}{
		{"domain", cfg.Domain != ""},
		{"kms (COFFER_KMS)", cfg.KMS != ""},
		{"kms_access_key (COFFER_KMS_ACCESS_KEY)", cfg.KMSAccessKey != ""},
		{"kms_secret_key (COFFER_KMS_SECRET_KEY)", cfg.KMSSecretKey != ""},
		{"kms_ca (COFFER_KMS_CA)", cfg.KMSCA != ""},
		{"kms_client_cert (COFFER_KMS_CLIENT_CERT)", cfg.KMSClientCert != ""},
		{"kms_client_key (COFFER_KMS_CLIENT_KEY)", cfg.KMSClientKey != ""},
		{"kms_data (COFFER_KMS_DATA; coffer kms takes --data)", cfg.KMSData != ""},
		{"kms_listen (COFFER_KMS_LISTEN; coffer kms takes --listen)", cfg.KMSListen != ""},
		{"allow_ssec_over_http", cfg.AllowSSECOverHTTP},
		{"sse_key_cache_ttl", cfg.SSEKeyCacheTTL != 0},
		{"trusted_proxies (COFFER_TRUSTED_PROXIES)", cfg.TrustedProxies != ""},
		{"vpc_endpoints (COFFER_VPC_ENDPOINTS)", len(cfg.VPCEndpoints) > 0},
		{"restore_durations (COFFER_RESTORE_DURATIONS)", len(cfg.RestoreDurations) > 0},
	} {
		if s.set {
			errs = append(errs, fmt.Errorf("%s: does not apply to coffer kms", s.name))
		}
	}
	return errors.Join(errs...)
}
