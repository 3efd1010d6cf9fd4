package kms

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Config configures Open. The zero value of each field is its documented
// default, except RootKey, which is required.
type Config struct {
	// RootKey seals key material at rest. Required.
	RootKey RootKey
	// Region and Account form key and alias ARNs. Defaults: "us-east-1"
	// and "000000000000". Account also owns keys created without one and
	// scopes alias names.
	Region  string
	Account string
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Rand is the source of key material, nonces, key ids and
	// GenerateRandom. Default: crypto/rand.Reader.
	Rand io.Reader
}

var (
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
)

// Store is the keystore: KMS keys, their sealed material versions and
// aliases in a SQLite database of their own, with the operations of AWS
// KMS as methods. It is safe for concurrent use.
type Store struct {
	rdb, wdb *sql.DB
	root     RootKey
	region   string
	account  string
	now      func() time.Time
	rand     io.Reader
	policies policyCache
	cache    readCache
}

const schemaVersion = 1

var schema = []string{
	`CREATE TABLE IF NOT EXISTS keystore (name TEXT PRIMARY KEY, value BLOB NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS keys (
		id TEXT PRIMARY KEY,
		arn TEXT NOT NULL UNIQUE,
		account TEXT NOT NULL,
		description TEXT NOT NULL,
		state TEXT NOT NULL,
		deletion_date INTEGER,
		pending_window_days INTEGER NOT NULL,
		created INTEGER NOT NULL,
		rotation_enabled INTEGER NOT NULL,
		rotation_period_days INTEGER NOT NULL,
		next_rotation INTEGER,
		current_version INTEGER NOT NULL,
		policy TEXT NOT NULL,
		tags TEXT NOT NULL,
		key_manager TEXT NOT NULL DEFAULT 'CUSTOMER'
	)`,
	`CREATE TABLE IF NOT EXISTS key_material (
		key_id TEXT NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
		version INTEGER NOT NULL,
		sealed BLOB NOT NULL,
		created INTEGER NOT NULL,
		rotation_type TEXT NOT NULL,
		PRIMARY KEY (key_id, version)
	)`,
	`CREATE TABLE IF NOT EXISTS aliases (
		account TEXT NOT NULL,
		name TEXT NOT NULL,
		key_id TEXT NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
		created INTEGER NOT NULL,
		updated INTEGER NOT NULL,
		PRIMARY KEY (account, name)
	)`,
	`CREATE INDEX IF NOT EXISTS aliases_key ON aliases (key_id)`,
	// Added after schema version 1 shipped; CREATE … IF NOT EXISTS upgrades
	// an older keystore in place.
	`CREATE TABLE IF NOT EXISTS grants (
		id TEXT PRIMARY KEY,
		key_id TEXT NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
		name TEXT NOT NULL,
		grantee TEXT NOT NULL,
		retiring TEXT NOT NULL,
		operations TEXT NOT NULL,
		constraints TEXT NOT NULL,
		issuing_account TEXT NOT NULL,
		created INTEGER NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS grants_key ON grants (key_id, grantee)`,
	`CREATE INDEX IF NOT EXISTS grants_retiring ON grants (retiring, id)`,
}

// rootCheck is sealed under the root key when a keystore is created, so a
// later Open with another root key fails at once. Frozen.
const (
	rootCheckPlain = "coffer/kms/root-check"
	rootCheckAAD   = "coffer/kms/root-check/v1"
)

// Open opens (creating if needed) the keystore database at path in WAL
// mode with synchronous=FULL. It returns an error wrapping ErrWrongRootKey
// if the keystore was created under a different root key.
func Open(ctx context.Context, path string, c Config) (*Store, error) {
	if c.RootKey == nil {
		return nil, errors.New("kms: open: no root key")
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Account == "" {
		c.Account = "000000000000"
	}
	if !regionRE.MatchString(c.Region) || !accountRE.MatchString(c.Account) {
		return nil, fmt.Errorf("kms: open: invalid region %q or account %q", c.Region, c.Account)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if path == "" || strings.ContainsAny(path, "?") {
		return nil, fmt.Errorf("kms: open: unsupported path %q", path)
	}
	s := &Store{root: c.RootKey, region: c.Region, account: c.Account, now: c.Now, rand: c.Rand}
	var err error
	if s.wdb, err = openDB(ctx, path, "journal_mode(WAL)", "synchronous(FULL)"); err != nil {
		return nil, err
	}
	s.wdb.SetMaxOpenConns(1) // one writer: no SQLITE_BUSY on lock upgrade
	if s.rdb, err = openDB(ctx, path, "query_only(1)"); err != nil {
		_ = s.wdb.Close()
		return nil, err
	}
	s.rdb.SetMaxOpenConns(8)
	s.rdb.SetMaxIdleConns(8)
	if err := s.init(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("kms: open %s: %w", path, err)
	}
	return s, nil
}

func openDB(ctx context.Context, path string, pragmas ...string) (*sql.DB, error) {
	v := url.Values{}
	v.Add("_pragma", "busy_timeout(10000)")
	v.Add("_pragma", "foreign_keys(1)")
	for _, p := range pragmas {
		v.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", path+"?"+v.Encode())
	if err != nil {
		return nil, fmt.Errorf("kms: open %s: %w", path, err)
	}
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	// Connect now, so WAL mode is set before a reader opens the file.
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("kms: open %s: %w", path, err)
	}
	return db, nil
}

func (s *Store) init(ctx context.Context) error {
	return s.update(ctx, func(tx *sql.Tx) error {
		for _, ddl := range schema {
			if _, err := tx.ExecContext(ctx, ddl); err != nil {
				return fmt.Errorf("schema: %w", err)
			}
		}
		// keys.key_manager was added after schema version 1 shipped: an
		// older keystore gains it here, all its keys the customer's.
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('keys') WHERE name = 'key_manager'`).Scan(&n); err != nil {
			return fmt.Errorf("schema: %w", err)
		}
		if n == 0 {
			if _, err := tx.ExecContext(ctx, `ALTER TABLE keys ADD COLUMN key_manager TEXT NOT NULL DEFAULT 'CUSTOMER'`); err != nil {
				return fmt.Errorf("schema: %w", err)
			}
		}
		var v []byte
		err := tx.QueryRowContext(ctx, `SELECT value FROM keystore WHERE name = 'schema_version'`).Scan(&v)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			check, err := s.root.Seal([]byte(rootCheckPlain), []byte(rootCheckAAD))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO keystore (name, value) VALUES ('schema_version', ?), ('root_check', ?)`,
				binary.BigEndian.AppendUint32(nil, schemaVersion), check); err != nil {
				return fmt.Errorf("schema: %w", err)
			}
			return nil
		case err != nil:
			return fmt.Errorf("schema: %w", err)
		case len(v) != 4 || binary.BigEndian.Uint32(v) != schemaVersion:
			return fmt.Errorf("keystore schema version %x is not this program's %d", v, schemaVersion)
		}
		var check []byte
		if err := tx.QueryRowContext(ctx, `SELECT value FROM keystore WHERE name = 'root_check'`).Scan(&check); err != nil {
			return fmt.Errorf("root check: %w", err)
		}
		if _, err := s.root.Open(check, []byte(rootCheckAAD)); err != nil {
			return fmt.Errorf("this keystore was created under a different root key (wrong key file or passphrase): %w", ErrWrongRootKey)
		}
		return nil
	})
}

// Close closes the database.
func (s *Store) Close() error {
	return errors.Join(s.rdb.Close(), s.wdb.Close())
}

// update runs fn in a write transaction, committed if fn returns nil.
func (s *Store) update(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("kms: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	if err := fn(tx); err != nil {
		return err
	}
	// Before and after the commit: see readCache for why both.
	s.cache.invalidate()
	defer s.cache.invalidate()
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("kms: commit: %w", err)
	}
	return nil
}

// view runs fn in a read-only transaction (one consistent snapshot).
func (s *Store) view(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("kms: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	return fn(tx)
}
