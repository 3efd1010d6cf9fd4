package kms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

const (
	aliasPrefix         = "alias/"
	reservedAliasPrefix = "alias/aws/"
	maxAliasNameLen     = 256
)

var aliasNameRE = regexp.MustCompile(`^alias/[a-zA-Z0-9/_-]+$`)

// checkAliasName applies AWS's alias name rules: "alias/" then 1 or more of
// [a-zA-Z0-9/_-], at most 256 characters in all (ErrValidation); names in
// alias/aws/ belong to AWS managed keys (ErrNotAuthorized).
func checkAliasName(name string) error {
	if strings.HasPrefix(strings.ToLower(name), reservedAliasPrefix) {
		return fmt.Errorf("kms: alias names beginning with %s are reserved: %w", reservedAliasPrefix, ErrNotAuthorized)
	}
	if len(name) > maxAliasNameLen || !aliasNameRE.MatchString(name) {
		return fmt.Errorf("kms: invalid alias name %q: must be alias/ then 1 or more of a-z A-Z 0-9 / _ -, at most %d characters: %w",
			name, maxAliasNameLen, ErrValidation)
	}
	return nil
}

// CreateAlias creates alias name for the key targetKey (id or ARN).
// Errors: ErrValidation, ErrNotAuthorized (alias/aws/), ErrNotFound,
// ErrAlreadyExists, ErrInvalidState (key pending deletion),
// ErrAccessDenied (an AWS managed key).
func (s *Store) CreateAlias(ctx context.Context, name, targetKey string) error {
	if err := checkAliasName(name); err != nil {
		return err
	}
	now := s.now().UnixNano()
	return s.update(ctx, func(tx *sql.Tx) error {
		k, err := s.resolveKey(ctx, tx, targetKey)
		if err != nil {
			return err
		}
		if err := k.customerManaged("kms:CreateAlias"); err != nil {
			return err
		}
		if err := k.notPendingDeletion(); err != nil {
			return err
		}
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM aliases WHERE account = ? AND name = ?`, s.account, name).Scan(&one)
		switch {
		case err == nil:
			return fmt.Errorf("kms: alias %s already exists: %w", s.aliasARN(s.account, name), ErrAlreadyExists)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("kms: create alias: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO aliases (account, name, key_id, created, updated) VALUES (?, ?, ?, ?, ?)`,
			s.account, name, k.id.String(), now, now); err != nil {
			return fmt.Errorf("kms: create alias: %w", err)
		}
		return nil
	})
}

// UpdateAlias points an existing alias at another key (id or ARN).
// Errors: as CreateAlias, with ErrNotFound for a missing alias instead of
// ErrAlreadyExists.
func (s *Store) UpdateAlias(ctx context.Context, name, targetKey string) error {
	if err := checkAliasName(name); err != nil {
		return err
	}
	now := s.now().UnixNano()
	return s.update(ctx, func(tx *sql.Tx) error {
		k, err := s.resolveKey(ctx, tx, targetKey)
		if err != nil {
			return err
		}
		if err := k.customerManaged("kms:UpdateAlias"); err != nil {
			return err
		}
		if err := k.notPendingDeletion(); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE aliases SET key_id = ?, updated = ? WHERE account = ? AND name = ?`,
			k.id.String(), now, s.account, name)
		if err != nil {
			return fmt.Errorf("kms: update alias: %w", err)
		}
		return mustAffect(res, s.aliasARN(s.account, name))
	})
}

// DeleteAlias deletes an alias; its key is unaffected. Errors:
// ErrValidation, ErrNotAuthorized, ErrNotFound.
func (s *Store) DeleteAlias(ctx context.Context, name string) error {
	if err := checkAliasName(name); err != nil {
		return err
	}
	return s.update(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM aliases WHERE account = ? AND name = ?`, s.account, name)
		if err != nil {
			return fmt.Errorf("kms: delete alias: %w", err)
		}
		return mustAffect(res, s.aliasARN(s.account, name))
	})
}

func mustAffect(res sql.Result, aliasARN string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("kms: alias %s: %w", aliasARN, err)
	}
	if n == 0 {
		return fmt.Errorf("kms: alias %s is not found: %w", aliasARN, ErrNotFound)
	}
	return nil
}

// AliasListEntry is one entry of ListAliases.
type AliasListEntry struct {
	AliasName       string
	AliasArn        string
	TargetKeyID     string
	CreationDate    time.Time
	LastUpdatedDate time.Time
}

// ListAliasesOutput is a page of aliases; NextMarker is set when Truncated.
type ListAliasesOutput struct {
	Aliases    []AliasListEntry
	NextMarker string
	Truncated  bool
}

// ListAliases lists the account's aliases in name order, only those of key
// (id or ARN) if it is not empty; limit 1–100 (0: 50) per page. Errors:
// ErrValidation, ErrInvalidMarker, ErrNotFound (key).
func (s *Store) ListAliases(ctx context.Context, key string, limit int, marker string) (ListAliasesOutput, error) {
	var out ListAliasesOutput
	n, after, err := startPage(limit, defaultListAliasesLimit, maxListAliasesLimit, marker)
	if err != nil {
		return out, err
	}
	err = s.view(ctx, func(tx *sql.Tx) error {
		q := `SELECT name, key_id, created, updated FROM aliases WHERE account = ? AND name > ?`
		args := []any{s.account, after}
		if key != "" {
			k, err := s.resolveKey(ctx, tx, key)
			if err != nil {
				return err
			}
			q += ` AND key_id = ?`
			args = append(args, k.id.String())
		}
		rows, err := tx.QueryContext(ctx, q+` ORDER BY name LIMIT ?`, append(args, n+1)...)
		if err != nil {
			return fmt.Errorf("kms: list aliases: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				e                AliasListEntry
				created, updated int64
			)
			if err := rows.Scan(&e.AliasName, &e.TargetKeyID, &created, &updated); err != nil {
				return fmt.Errorf("kms: list aliases: %w", err)
			}
			e.AliasArn = s.aliasARN(s.account, e.AliasName)
			e.CreationDate, e.LastUpdatedDate = time.Unix(0, created).UTC(), time.Unix(0, updated).UTC()
			out.Aliases = append(out.Aliases, e)
		}
		return rows.Err()
	})
	if err != nil {
		return ListAliasesOutput{}, err
	}
	out.Aliases, out.NextMarker = endPage(out.Aliases, n, func(a AliasListEntry) string { return a.AliasName })
	out.Truncated = out.NextMarker != ""
	return out, nil
}
