package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Account errors.
var (
	ErrAccountExists   = errors.New("account already exists")
	ErrNoSuchAccount   = errors.New("no such account")
	ErrAccessKeyExists = errors.New("access key ID already in use")
	ErrNoSuchAccessKey = errors.New("no such access key")
)

// Account is one account and its IAM state.
type Account struct {
	ID          string // 12 digits
	Name        string
	CanonicalID string // 64 hex digits
	Created     time.Time
	// Revision grows with every stored change (UpdateAccount).
	Revision int64
	// IAM is the account's IAM document, encoded by internal/iam.
	IAM []byte
	// AccessKeys are the access key IDs the document holds: the store
	// indexes them (AccessKeyAccount) and keeps each unique across
	// accounts.
	AccessKeys []string
}

// AccessKeyUse is when and where an access key was last used.
type AccessKeyUse struct {
	Time    time.Time // zero if never
	Service string
	Region  string
}

// AccountStore keeps accounts. *SQL implements it.
type AccountStore interface {
	// CreateAccount inserts a. Returns ErrAccountExists when the ID, name
	// or canonical ID is taken, ErrAccessKeyExists when one of its access
	// keys is.
	CreateAccount(ctx context.Context, a Account) error
	// GetAccount returns ErrNoSuchAccount if id does not exist.
	GetAccount(ctx context.Context, id string) (Account, error)
	// ListAccounts returns every account in ID order.
	ListAccounts(ctx context.Context) ([]Account, error)
	// UpdateAccount runs fn on the account inside a transaction and stores
	// IAM and AccessKeys with the next Revision (ID, Name, CanonicalID
	// and Created do not change). Returns the account as stored,
	// ErrNoSuchAccount, ErrAccessKeyExists, or fn's error unchanged.
	UpdateAccount(ctx context.Context, id string, fn func(*Account) error) (Account, error)
	// AccountRevision is the account's current Revision.
	AccountRevision(ctx context.Context, id string) (int64, error)
	// AccessKeyAccount returns the ID of the account holding an access
	// key, or ErrNoSuchAccessKey.
	AccessKeyAccount(ctx context.Context, accessKeyID string) (string, error)
	// TouchAccessKey records a use of an access key.
	TouchAccessKey(ctx context.Context, accessKeyID string, use AccessKeyUse) error
	// AccessKeyLastUsed returns the last recorded use, or
	// ErrNoSuchAccessKey.
	AccessKeyLastUsed(ctx context.Context, accessKeyID string) (AccessKeyUse, error)
	// ServerSecret returns the named server value, or ok=false.
	ServerSecret(ctx context.Context, name string) (value []byte, ok bool, err error)
	// PutServerSecret stores value under name unless a value is stored
	// already, and returns the stored one (value, or the earlier one).
	PutServerSecret(ctx context.Context, name string, value []byte) ([]byte, error)
}

var _ AccountStore = (*SQL)(nil)

const accountCols = `id, name, canonical_id, created, revision, iam`

func scanAccount(sc interface{ Scan(...any) error }) (Account, error) {
	var (
		a       Account
		created int64
		doc     string
	)
	if err := sc.Scan(&a.ID, &a.Name, &a.CanonicalID, &created, &a.Revision, &doc); err != nil {
		return Account{}, err
	}
	a.Created = fromNanos(created)
	a.IAM = []byte(doc)
	return a, nil
}

func getAccount(t *txn, id string) (Account, error) {
	st, err := t.prepare(`SELECT ` + accountCols + ` FROM accounts WHERE id = ?`)
	if err != nil {
		return Account{}, err
	}
	a, err := scanAccount(st.QueryRowContext(t.ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, ErrNoSuchAccount
	}
	if err != nil {
		return Account{}, err
	}
	rows, err := t.query(`SELECT access_key_id FROM access_keys WHERE account_id = ? ORDER BY access_key_id`, id)
	if err != nil {
		return Account{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return Account{}, err
		}
		a.AccessKeys = append(a.AccessKeys, k)
	}
	return a, rows.Err()
}

// setAccessKeys makes the account's rows in access_keys those of keys,
// keeping the last-use record of keys that stay.
func setAccessKeys(t *txn, account string, old, keys []string) error {
	for _, k := range old {
		if !slices.Contains(keys, k) {
			if _, err := t.exec(`DELETE FROM access_keys WHERE access_key_id = ?`, k); err != nil {
				return err
			}
		}
	}
	for _, k := range keys {
		if slices.Contains(old, k) {
			continue
		}
		taken, err := t.exists(`SELECT 1 FROM access_keys WHERE access_key_id = ?`, k)
		if err != nil {
			return err
		}
		if taken {
			return fmt.Errorf("%s: %w", k, ErrAccessKeyExists)
		}
		if _, err := t.exec(`INSERT INTO access_keys (access_key_id, account_id, last_used, last_used_service, last_used_region) VALUES (?, ?, 0, '', '')`, k, account); err != nil {
			return err
		}
	}
	return nil
}

// CreateAccount implements AccountStore.
func (s *SQL) CreateAccount(ctx context.Context, a Account) error {
	err := s.write(ctx, func(t *txn) error {
		taken, err := t.exists(`SELECT 1 FROM accounts WHERE id = ? OR name = ? OR canonical_id = ?`, a.ID, a.Name, a.CanonicalID)
		if err != nil {
			return err
		}
		if taken {
			return ErrAccountExists
		}
		if _, err := t.exec(`INSERT INTO accounts (`+accountCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
			a.ID, a.Name, a.CanonicalID, toNanos(a.Created), a.Revision, string(a.IAM)); err != nil {
			return err
		}
		return setAccessKeys(t, a.ID, nil, a.AccessKeys)
	})
	if err != nil {
		return fmt.Errorf("meta: create account %s: %w", a.ID, err)
	}
	return nil
}

// GetAccount implements AccountStore.
func (s *SQL) GetAccount(ctx context.Context, id string) (Account, error) {
	var a Account
	err := s.read(ctx, func(t *txn) (err error) {
		a, err = getAccount(t, id)
		return err
	})
	if err != nil {
		return Account{}, fmt.Errorf("meta: get account %s: %w", id, err)
	}
	return a, nil
}

// ListAccounts implements AccountStore.
func (s *SQL) ListAccounts(ctx context.Context) ([]Account, error) {
	var out []Account
	err := s.read(ctx, func(t *txn) error {
		out = out[:0]
		rows, err := t.query(`SELECT id FROM accounts ORDER BY id`)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, id := range ids {
			a, err := getAccount(t, id)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("meta: list accounts: %w", err)
	}
	return out, nil
}

// UpdateAccount implements AccountStore. fn runs on the committer
// goroutine (see SQL).
func (s *SQL) UpdateAccount(ctx context.Context, id string, fn func(*Account) error) (Account, error) {
	var (
		fnErr error
		out   Account
	)
	err := s.write(ctx, func(t *txn) error {
		a, err := getAccount(t, id)
		if err != nil {
			return err
		}
		old := slices.Clone(a.AccessKeys)
		if err := fn(&a); err != nil {
			fnErr = err
			return err
		}
		a.Revision++
		if _, err := t.exec(`UPDATE accounts SET revision = ?, iam = ? WHERE id = ?`, a.Revision, string(a.IAM), id); err != nil {
			return err
		}
		if err := setAccessKeys(t, id, old, a.AccessKeys); err != nil {
			return err
		}
		out = a
		return nil
	})
	if fnErr != nil {
		return Account{}, fnErr // unchanged, as the contract says
	}
	if err != nil {
		return Account{}, fmt.Errorf("meta: update account %s: %w", id, err)
	}
	return out, nil
}

// AccountRevision implements AccountStore.
func (s *SQL) AccountRevision(ctx context.Context, id string) (int64, error) {
	var rev int64
	err := s.read(ctx, func(t *txn) error {
		err := t.scanOne(`SELECT revision FROM accounts WHERE id = ?`, []any{id}, &rev)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoSuchAccount
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("meta: account %s: %w", id, err)
	}
	return rev, nil
}

// AccessKeyAccount implements AccountStore.
func (s *SQL) AccessKeyAccount(ctx context.Context, accessKeyID string) (string, error) {
	var id string
	err := s.read(ctx, func(t *txn) error {
		err := t.scanOne(`SELECT account_id FROM access_keys WHERE access_key_id = ?`, []any{accessKeyID}, &id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoSuchAccessKey
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("meta: access key %s: %w", accessKeyID, err)
	}
	return id, nil
}

// TouchAccessKey implements AccountStore.
func (s *SQL) TouchAccessKey(ctx context.Context, accessKeyID string, use AccessKeyUse) error {
	err := s.write(ctx, func(t *txn) error {
		_, err := t.exec(`UPDATE access_keys SET last_used = ?, last_used_service = ?, last_used_region = ? WHERE access_key_id = ?`,
			toNanos(use.Time), use.Service, use.Region, accessKeyID)
		return err
	})
	if err != nil {
		return fmt.Errorf("meta: touch access key %s: %w", accessKeyID, err)
	}
	return nil
}

// AccessKeyLastUsed implements AccountStore.
func (s *SQL) AccessKeyLastUsed(ctx context.Context, accessKeyID string) (AccessKeyUse, error) {
	var (
		u  AccessKeyUse
		ns int64
	)
	err := s.read(ctx, func(t *txn) error {
		err := t.scanOne(`SELECT last_used, last_used_service, last_used_region FROM access_keys WHERE access_key_id = ?`,
			[]any{accessKeyID}, &ns, &u.Service, &u.Region)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoSuchAccessKey
		}
		return err
	})
	if err != nil {
		return AccessKeyUse{}, fmt.Errorf("meta: access key %s: %w", accessKeyID, err)
	}
	u.Time = fromNanos(ns)
	return u, nil
}

// ServerSecret implements AccountStore.
func (s *SQL) ServerSecret(ctx context.Context, name string) ([]byte, bool, error) {
	var v []byte
	err := s.read(ctx, func(t *txn) error {
		return t.scanOne(`SELECT value FROM server_secrets WHERE name = ?`, []any{name}, &v)
	})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("meta: server secret %s: %w", name, err)
	}
	return v, true, nil
}

// PutServerSecret implements AccountStore.
func (s *SQL) PutServerSecret(ctx context.Context, name string, value []byte) ([]byte, error) {
	var stored []byte
	err := s.write(ctx, func(t *txn) error {
		err := t.scanOne(`SELECT value FROM server_secrets WHERE name = ?`, []any{name}, &stored)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		stored = value
		_, err = t.exec(`INSERT INTO server_secrets (name, value) VALUES (?, ?)`, name, value)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("meta: put server secret %s: %w", name, err)
	}
	return stored, nil
}
