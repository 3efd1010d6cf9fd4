package kms

import (
	"context"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"time"
)

// Principal is an access key of the KMS other than the administrator's: an
// IAM-style user arn:aws:iam::ACCOUNT:user/NAME. It has no identity
// policies, so only key policies and grants naming it let it do anything.
type Principal struct {
	Name        string
	AccountID   string
	AccessKeyID string
	ARN         string
	Created     time.Time
}

// PrincipalCredentials is a principal with its secret access key.
type PrincipalCredentials struct {
	Principal
	SecretAccessKey string
}

// LogValue keeps the secret access key out of logs.
func (c PrincipalCredentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("arn", c.ARN), slog.String("access_key_id", c.AccessKeyID),
		slog.String("secret_access_key", "REDACTED"))
}

// principalsDDL creates the principals table. It is created by the first
// CreatePrincipal rather than by Open, so a keystore that never had a
// principal is unchanged; the secret is sealed under the root key like key
// material.
const principalsDDL = `CREATE TABLE IF NOT EXISTS principals (
	access_key_id TEXT PRIMARY KEY,
	account TEXT NOT NULL,
	name TEXT NOT NULL,
	sealed_secret BLOB NOT NULL,
	created INTEGER NOT NULL,
	UNIQUE (account, name)
)`

// principalNameRE is IAM's user name syntax.
var principalNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

// secretAAD binds a sealed secret to its access key. Frozen.
func secretAAD(accessKeyID string) []byte {
	return append([]byte("coffer/kms/principal-secret/v1\x00"), accessKeyID...)
}

// Sizes of generated credentials: 16 base32 characters after "AKIA" (as
// AWS's), and a 40-character secret.
const (
	accessKeyIDRandomBytes = 10
	secretKeyRandomBytes   = 30
)

// CreatePrincipal adds a principal named name in account (default: the
// store's account) with a fresh access key, and returns it with its secret,
// which is stored only sealed under the root key. Errors: ErrValidation (a
// name IAM would reject, an invalid account), ErrAlreadyExists (the name is
// taken in the account).
func (s *Store) CreatePrincipal(ctx context.Context, name, account string) (PrincipalCredentials, error) {
	if account == "" {
		account = s.account
	}
	if !principalNameRE.MatchString(name) {
		return PrincipalCredentials{}, fmt.Errorf("kms: principal name %q must have 1–64 characters of letters, digits and +=,.@_-: %w", name, ErrValidation)
	}
	if !accountRE.MatchString(account) {
		return PrincipalCredentials{}, fmt.Errorf("kms: account %q is not 12 digits: %w", account, ErrValidation)
	}
	raw := make([]byte, accessKeyIDRandomBytes+secretKeyRandomBytes)
	defer clear(raw)
	if _, err := io.ReadFull(s.rand, raw); err != nil {
		return PrincipalCredentials{}, fmt.Errorf("kms: principal credentials: %w", err)
	}
	c := PrincipalCredentials{
		Principal: Principal{
			Name: name, AccountID: account, ARN: principalARN(account, name), Created: s.now().UTC(),
			AccessKeyID: "AKIA" + base32.StdEncoding.EncodeToString(raw[:accessKeyIDRandomBytes]),
		},
		SecretAccessKey: base64.StdEncoding.EncodeToString(raw[accessKeyIDRandomBytes:]),
	}
	sealed, err := s.root.Seal([]byte(c.SecretAccessKey), secretAAD(c.AccessKeyID))
	if err != nil {
		return PrincipalCredentials{}, fmt.Errorf("kms: seal principal secret: %w", err)
	}
	err = s.update(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, principalsDDL); err != nil {
			return fmt.Errorf("kms: principals table: %w", err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM principals WHERE account = ? AND name = ?`, account, name).Scan(&n); err != nil {
			return fmt.Errorf("kms: find principal: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("kms: principal %s already exists: %w", c.ARN, ErrAlreadyExists)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO principals (access_key_id, account, name, sealed_secret, created) VALUES (?, ?, ?, ?, ?)`,
			c.AccessKeyID, account, name, sealed, c.Created.UnixNano()); err != nil {
			return fmt.Errorf("kms: create principal: %w", err)
		}
		return nil
	})
	if err != nil {
		return PrincipalCredentials{}, err
	}
	return c, nil
}

// LookupPrincipal returns the principal with the access key accessKeyID and
// its unsealed secret. Errors: ErrNotFound (no such access key),
// ErrWrongRootKey (the secret does not unseal).
func (s *Store) LookupPrincipal(ctx context.Context, accessKeyID string) (PrincipalCredentials, error) {
	var c PrincipalCredentials
	var sealed []byte
	var created int64
	err := s.view(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'principals'`).Scan(&n); err != nil {
			return fmt.Errorf("kms: find principals table: %w", err)
		}
		if n == 0 {
			return sql.ErrNoRows
		}
		return tx.QueryRowContext(ctx, `SELECT account, name, sealed_secret, created FROM principals WHERE access_key_id = ?`, accessKeyID).
			Scan(&c.AccountID, &c.Name, &sealed, &created)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("kms: access key %.40q not found: %w", accessKeyID, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("kms: load principal: %w", err)
	}
	secret, err := s.root.Open(sealed, secretAAD(accessKeyID))
	if err != nil {
		return c, fmt.Errorf("kms: secret of access key %s: %w", accessKeyID, err)
	}
	c.AccessKeyID, c.SecretAccessKey = accessKeyID, string(secret)
	clear(secret)
	c.ARN, c.Created = principalARN(c.AccountID, c.Name), time.Unix(0, created).UTC()
	return c, nil
}

func principalARN(account, name string) string {
	return "arn:aws:iam::" + account + ":user/" + name
}
