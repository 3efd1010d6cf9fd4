package kms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// The aliases of the managed keys, which no caller creates: the store
// creates each, with its key, the first time an operation that uses a key
// names it (see withManagedKey), as AWS creates an AWS managed key on first
// use. Users cannot create, repoint or delete them (alias/aws/ is
// reserved), nor change their keys (see customerManaged).
const (
	// AWSManagedS3Alias names the AWS managed key for S3, which SSE-KMS
	// without a key id uses.
	AWSManagedS3Alias = "alias/aws/s3"
	// S3OwnedAlias names the key that protects SSE-S3 objects. On AWS that
	// key is owned by S3 and lives outside the customer's account; here it
	// is a managed key of the account, like AWSManagedS3Alias.
	S3OwnedAlias = "alias/aws/s3-owned"
)

// managedKey is one of the managed keys.
type managedKey struct {
	alias       string
	description string
	policyID    string
}

// managedKeyNamed returns the managed key whose alias is name.
func managedKeyNamed(name string) (managedKey, bool) {
	switch name {
	case AWSManagedS3Alias:
		return managedKey{alias: name, description: "Default key that protects my S3 objects when no other key is defined", policyID: "auto-s3-2"}, true
	case S3OwnedAlias:
		return managedKey{alias: name, description: "Key that protects SSE-S3 objects (S3-owned)", policyID: "auto-s3-owned-1"}, true
	}
	return managedKey{}, false
}

// policy returns the key policy of the managed key in account.
//
// AWS's policy for an AWS managed key (auto-s3-2 for aws/s3) has two
// statements: every principal ("*") may use the key when kms:CallerAccount
// is the account and kms:ViaService is s3.REGION.amazonaws.com, and the
// account (its root, so through identity policies) may call kms:Describe*,
// kms:Get* and kms:List*. No statement allows managing the key, which is
// how AWS refuses to change AWS managed keys: AccessDeniedException.
//
// Deviation: coffer's S3 server calls the KMS directly under its own
// identity, not as a service on a caller's behalf, so the first statement
// has no kms:ViaService condition: any principal of the account may use the
// key, as the default key policy lets the account's principals
// ("Enable IAM User Permissions", arn:aws:iam::ACCOUNT:root), but granted
// directly rather than delegated to the account, because the principals of
// `coffer kms principal create` have no identity policies to delegate to.
func (m managedKey) policy(account string) string {
	return `{"Version":"2012-10-17","Id":"` + m.policyID + `","Statement":[` +
		`{"Sid":"Allow use by all principals in the account","Effect":"Allow","Principal":{"AWS":"*"},` +
		`"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*",` +
		`"Condition":{"StringEquals":{"kms:CallerAccount":"` + account + `"}}},` +
		`{"Sid":"Allow direct access to key metadata to the account","Effect":"Allow",` +
		`"Principal":{"AWS":"arn:aws:iam::` + account + `:root"},` +
		`"Action":["kms:Describe*","kms:Get*","kms:List*"],"Resource":"*"}]}`
}

// managedKeyRef returns the managed key that ref names, as an alias name or
// an alias ARN of the store's account.
func (s *Store) managedKeyRef(ref string) (managedKey, bool) {
	name := ref
	if strings.HasPrefix(ref, "arn:") {
		account, res, ok := s.splitARN(ref)
		if !ok || account != s.account {
			return managedKey{}, false
		}
		name = res
	}
	return managedKeyNamed(name)
}

// withManagedKey runs lookup, which resolves ref. If that fails with
// ErrNotFound because ref names a managed key that does not exist yet, it
// creates the key and runs lookup again. Only the operations that use a key
// call it: GenerateDataKey(WithoutPlaintext), Encrypt, DescribeKey, the
// destination of ReEncrypt, and Authorize for them.
func (s *Store) withManagedKey(ctx context.Context, ref string, lookup func() error) error {
	err := lookup()
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	m, ok := s.managedKeyRef(ref)
	if !ok {
		return err
	}
	if err := s.createManagedKey(ctx, m); err != nil {
		return err
	}
	return lookup()
}

// createManagedKey creates the managed key m with its alias in one write
// transaction, unless the alias exists: concurrent first uses end with one
// key. Like AWS's, the key rotates automatically every year.
func (s *Store) createManagedKey(ctx context.Context, m managedKey) error {
	id, err := newKeyID(s.rand)
	if err != nil {
		return fmt.Errorf("kms: key id: %w", err)
	}
	tags, err := encodeTags(nil)
	if err != nil {
		return err
	}
	now := s.now()
	k := keyRow{
		id: id, arn: s.keyARN(id), account: s.account, description: m.description, state: KeyStateEnabled,
		created: now.UnixNano(), rotationEnabled: true, rotationPeriod: DefaultRotationPeriodDays,
		nextRotation: now.Add(DefaultRotationPeriodDays * day).UnixNano(), currentVersion: 1,
		policy: m.policy(s.account), tags: tags, manager: KeyManagerAWS,
	}
	return s.update(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM aliases WHERE account = ? AND name = ?`, s.account, m.alias).Scan(&one)
		switch {
		case err == nil:
			return nil // an earlier first use created it
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("kms: create %s: %w", m.alias, err)
		}
		if err := insertKey(ctx, tx, &k); err != nil {
			return err
		}
		if err := s.addMaterial(ctx, tx, id, 1, rotationOriginal, k.created); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO aliases (account, name, key_id, created, updated) VALUES (?, ?, ?, ?, ?)`,
			s.account, m.alias, id.String(), k.created, k.created); err != nil {
			return fmt.Errorf("kms: create %s: %w", m.alias, err)
		}
		return nil
	})
}

// customerManaged refuses action on an AWS managed key. On AWS the key
// policy of an AWS managed key allows no change (see managedKey.policy), so
// PutKeyPolicy, ScheduleKeyDeletion, DisableKey, EnableKeyRotation,
// UpdateKeyDescription, TagResource, CreateAlias for the key, … fail with
// AccessDeniedException. Authorize refuses them here too, by the same
// policy; this check also holds for callers that skip Authorize.
func (k *keyRow) customerManaged(action string) error {
	if k.manager == KeyManagerAWS {
		return fmt.Errorf("kms: the key policy of AWS managed key %s does not allow %s: %w", k.arn, action, ErrAccessDenied)
	}
	return nil
}

// usesKey reports whether action uses a key, so that Authorize creates a
// managed key its request names for the first time.
func usesKey(action string) bool {
	switch strings.ToLower(action) {
	case "kms:generatedatakey", "kms:generatedatakeywithoutplaintext", "kms:encrypt", "kms:describekey", "kms:reencryptto":
		return true
	}
	return false
}
