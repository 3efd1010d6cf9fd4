package kms

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coffer-project/coffer/internal/policy"
)

// KeyState is the state of a KMS key.
type KeyState string

// The key states this service uses.
const (
	KeyStateEnabled         KeyState = "Enabled"
	KeyStateDisabled        KeyState = "Disabled"
	KeyStatePendingDeletion KeyState = "PendingDeletion"
)

// The only key spec, usage, origin and algorithm this service implements.
const (
	KeySpecSymmetricDefault = "SYMMETRIC_DEFAULT"
	KeyUsageEncryptDecrypt  = "ENCRYPT_DECRYPT"
	OriginAWSKMS            = "AWS_KMS"
	AlgorithmSymmetric      = "SYMMETRIC_DEFAULT"
)

// Key managers, as DescribeKey reports them: keys created with CreateKey
// are the customer's; the managed keys (AWSManagedS3Alias, S3OwnedAlias)
// are created on first use and cannot be changed.
const (
	KeyManagerCustomer = "CUSTOMER"
	KeyManagerAWS      = "AWS"
)

// Limits as AWS documents them.
const (
	MinPendingWindowDays     = 7
	MaxPendingWindowDays     = 30
	MaxDescriptionLen        = 8192
	MaxPolicySize            = 32768
	MaxTags                  = 50
	materialSize             = 32
	maxOnDemandRotations     = 25
	defaultListKeysLimit     = 100
	maxListKeysLimit         = 1000
	defaultListAliasesLimit  = 50
	maxListAliasesLimit      = 100
	defaultRotationListLimit = 100
)

// Tag is a key tag.
type Tag struct {
	TagKey   string
	TagValue string
}

// KeyMetadata describes a KMS key, as DescribeKey returns it.
type KeyMetadata struct {
	KeyID                       string
	Arn                         string
	AWSAccountID                string
	Description                 string
	KeyState                    KeyState
	Enabled                     bool
	CreationDate                time.Time
	DeletionDate                time.Time // zero unless PendingDeletion
	PendingDeletionWindowInDays int       // zero unless PendingDeletion
	KeySpec                     string
	KeyUsage                    string
	KeyManager                  string
	Origin                      string
	EncryptionAlgorithms        []string
	MultiRegion                 bool
}

// keyRow is one row of the keys table.
type keyRow struct {
	id              keyID
	arn             string
	account         string
	description     string
	state           KeyState
	deletionDate    int64 // unix ns, 0 if none
	pendingDays     int
	created         int64
	rotationEnabled bool
	rotationPeriod  int
	nextRotation    int64 // unix ns, 0 if none
	currentVersion  uint32
	policy          string
	tags            string
	manager         string // KeyManagerCustomer or KeyManagerAWS; never changes
}

const keyColumns = `id, arn, account, description, state, deletion_date, pending_window_days, created,
	rotation_enabled, rotation_period_days, next_rotation, current_version, policy, tags, key_manager`

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func scanKey(row interface{ Scan(...any) error }) (keyRow, error) {
	var (
		k           keyRow
		id          string
		del, next   sql.NullInt64
		rotEnabled  int
		currVersion int64
	)
	err := row.Scan(&id, &k.arn, &k.account, &k.description, &k.state, &del, &k.pendingDays, &k.created,
		&rotEnabled, &k.rotationPeriod, &next, &currVersion, &k.policy, &k.tags, &k.manager)
	if err != nil {
		return k, err
	}
	var ok bool
	if k.id, ok = parseKeyID(id); !ok {
		return k, fmt.Errorf("kms: corrupt key id %q in keystore", id)
	}
	k.deletionDate, k.nextRotation = del.Int64, next.Int64
	k.rotationEnabled = rotEnabled != 0
	k.currentVersion = uint32(currVersion)
	return k, nil
}

func nullTime(ns int64) sql.NullInt64 { return sql.NullInt64{Int64: ns, Valid: ns != 0} }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (k *keyRow) metadata() KeyMetadata {
	m := KeyMetadata{
		KeyID:                k.id.String(),
		Arn:                  k.arn,
		AWSAccountID:         k.account,
		Description:          k.description,
		KeyState:             k.state,
		Enabled:              k.state == KeyStateEnabled,
		CreationDate:         time.Unix(0, k.created).UTC(),
		KeySpec:              KeySpecSymmetricDefault,
		KeyUsage:             KeyUsageEncryptDecrypt,
		KeyManager:           k.manager,
		Origin:               OriginAWSKMS,
		EncryptionAlgorithms: []string{AlgorithmSymmetric},
	}
	if k.state == KeyStatePendingDeletion {
		m.DeletionDate = time.Unix(0, k.deletionDate).UTC()
		m.PendingDeletionWindowInDays = k.pendingDays
	}
	return m
}

// usable reports whether the key may be used in a cryptographic operation.
func (k *keyRow) usable() error {
	switch k.state {
	case KeyStateEnabled:
		return nil
	case KeyStateDisabled:
		return fmt.Errorf("kms: %s is disabled: %w", k.arn, ErrDisabled)
	default:
		return fmt.Errorf("kms: %s is pending deletion: %w", k.arn, ErrInvalidState)
	}
}

// notPendingDeletion is the precondition of most management operations.
func (k *keyRow) notPendingDeletion() error {
	if k.state == KeyStatePendingDeletion {
		return fmt.Errorf("kms: %s is pending deletion: %w", k.arn, ErrInvalidState)
	}
	return nil
}

func (s *Store) keyARN(id keyID) string {
	return "arn:aws:kms:" + s.region + ":" + s.account + ":key/" + id.String()
}

func (s *Store) aliasARN(account, name string) string {
	return "arn:aws:kms:" + s.region + ":" + account + ":" + name
}

// splitARN splits an arn:aws:kms:REGION:ACCOUNT:RESOURCE string.
func (s *Store) splitARN(ref string) (account, resource string, ok bool) {
	parts := strings.SplitN(ref, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != "aws" || parts[2] != "kms" || parts[3] != s.region {
		return "", "", false
	}
	return parts[4], parts[5], true
}

func notFound(ref string) error {
	return fmt.Errorf("kms: key %q not found: %w", ref, ErrNotFound)
}

// getKey loads a key by id.
func getKey(ctx context.Context, q querier, id keyID) (keyRow, error) {
	k, err := scanKey(q.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM keys WHERE id = ?`, id.String()))
	if errors.Is(err, sql.ErrNoRows) {
		return k, notFound(id.String())
	}
	if err != nil {
		return k, fmt.Errorf("kms: load key %s: %w", id, err)
	}
	return k, nil
}

// resolveKey finds a key by key id or key ARN (the operations that, on
// AWS, do not accept aliases).
func (s *Store) resolveKey(ctx context.Context, q querier, ref string) (keyRow, error) {
	if ref == "" {
		return keyRow{}, fmt.Errorf("kms: KeyId is required: %w", ErrValidation)
	}
	idText := ref
	if strings.HasPrefix(ref, "arn:") {
		account, res, ok := s.splitARN(ref)
		if !ok || account != s.account || !strings.HasPrefix(res, "key/") {
			return keyRow{}, notFound(ref)
		}
		idText = res[len("key/"):]
	}
	id, ok := parseKeyID(idText)
	if !ok {
		return keyRow{}, fmt.Errorf("kms: invalid key id %q: %w", ref, ErrNotFound)
	}
	return getKey(ctx, q, id)
}

// resolveKeyOrAlias finds a key by key id, key ARN, alias name or alias ARN.
func (s *Store) resolveKeyOrAlias(ctx context.Context, q querier, ref string) (keyRow, error) {
	account, name := s.account, ref
	if strings.HasPrefix(ref, "arn:") {
		acc, res, ok := s.splitARN(ref)
		if !ok || !strings.HasPrefix(res, "alias/") {
			return s.resolveKey(ctx, q, ref)
		}
		account, name = acc, res
	}
	if !strings.HasPrefix(name, "alias/") {
		return s.resolveKey(ctx, q, ref)
	}
	var id string
	err := q.QueryRowContext(ctx, `SELECT key_id FROM aliases WHERE account = ? AND name = ?`, account, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return keyRow{}, fmt.Errorf("kms: alias %s is not found: %w", s.aliasARN(account, name), ErrNotFound)
	}
	if err != nil {
		return keyRow{}, fmt.Errorf("kms: resolve alias %s: %w", name, err)
	}
	kid, ok := parseKeyID(id)
	if !ok {
		return keyRow{}, fmt.Errorf("kms: corrupt key id %q for alias %s", id, name)
	}
	return getKey(ctx, q, kid)
}

// saveKey writes back the mutable columns of k.
func saveKey(ctx context.Context, tx *sql.Tx, k *keyRow) error {
	_, err := tx.ExecContext(ctx, `UPDATE keys SET description = ?, state = ?, deletion_date = ?, pending_window_days = ?,
		rotation_enabled = ?, rotation_period_days = ?, next_rotation = ?, current_version = ?, policy = ?, tags = ?
		WHERE id = ?`,
		k.description, string(k.state), nullTime(k.deletionDate), k.pendingDays, boolInt(k.rotationEnabled), k.rotationPeriod,
		nullTime(k.nextRotation), int64(k.currentVersion), k.policy, k.tags, k.id.String())
	if err != nil {
		return fmt.Errorf("kms: save key %s: %w", k.id, err)
	}
	return nil
}

// insertKey adds the row k, whose state is not PendingDeletion.
func insertKey(ctx context.Context, tx *sql.Tx, k *keyRow) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO keys (`+keyColumns+`) VALUES (?, ?, ?, ?, ?, NULL, 0, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.id.String(), k.arn, k.account, k.description, string(k.state), k.created, boolInt(k.rotationEnabled), k.rotationPeriod,
		nullTime(k.nextRotation), int64(k.currentVersion), k.policy, k.tags, k.manager)
	if err != nil {
		return fmt.Errorf("kms: create key %s: %w", k.id, err)
	}
	return nil
}

// mutateKey resolves ref (id or ARN) in a write transaction, lets fn change
// the row, and saves it. action is the IAM action asked for: no action
// changes an AWS managed key (see customerManaged).
func (s *Store) mutateKey(ctx context.Context, action, ref string, fn func(tx *sql.Tx, k *keyRow) error) (keyRow, error) {
	var k keyRow
	err := s.update(ctx, func(tx *sql.Tx) error {
		var err error
		if k, err = s.resolveKey(ctx, tx, ref); err != nil {
			return err
		}
		if err := k.customerManaged(action); err != nil {
			return err
		}
		if err := fn(tx, &k); err != nil {
			return err
		}
		return saveKey(ctx, tx, &k)
	})
	return k, err
}

// materialAAD binds sealed material to its key and version. Frozen.
func materialAAD(id keyID, version uint32) []byte {
	b := make([]byte, 0, 23+1+keyIDSize+4)
	b = append(b, "coffer/kms/material/v1\x00"...)
	b = append(b, id[:]...)
	return binary.BigEndian.AppendUint32(b, version)
}

// Rotation types of a material version.
const (
	rotationOriginal  = "ORIGINAL"
	RotationAutomatic = "AUTOMATIC"
	RotationOnDemand  = "ON_DEMAND"
)

// addMaterial generates, seals and stores material version v of key id.
func (s *Store) addMaterial(ctx context.Context, tx *sql.Tx, id keyID, v uint32, rotationType string, now int64) error {
	m := make([]byte, materialSize)
	defer clear(m)
	if _, err := io.ReadFull(s.rand, m); err != nil {
		return fmt.Errorf("kms: key material: %w", err)
	}
	sealed, err := s.root.Seal(m, materialAAD(id, v))
	if err != nil {
		return fmt.Errorf("kms: seal key material: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO key_material (key_id, version, sealed, created, rotation_type) VALUES (?, ?, ?, ?, ?)`,
		id.String(), int64(v), sealed, now, rotationType); err != nil {
		return fmt.Errorf("kms: store key material: %w", err)
	}
	return nil
}

// unseal opens sealed material version v of key id. The caller clears it.
func (s *Store) unseal(id keyID, v uint32, sealed []byte) ([]byte, error) {
	m, err := s.root.Open(sealed, materialAAD(id, v))
	if err != nil {
		return nil, fmt.Errorf("kms: key %s material version %d: %w", id, v, err)
	}
	return m, nil
}

// CreateKeyInput is the input of CreateKey. Empty KeySpec, KeyUsage and
// Origin mean the only supported values (SYMMETRIC_DEFAULT,
// ENCRYPT_DECRYPT, AWS_KMS); an empty Policy means AWS's default key policy.
type CreateKeyInput struct {
	Description string
	Policy      string
	Tags        []Tag
	KeySpec     string
	KeyUsage    string
	Origin      string
	// Caller, when set, is the principal creating the key (with its
	// identity policies CallerPolicies): unless
	// BypassPolicyLockoutSafetyCheck, a Policy must let it call
	// kms:PutKeyPolicy on the new key, as AWS requires. nil skips the check.
	Caller                         *policy.Principal
	CallerPolicies                 []*policy.Policy
	BypassPolicyLockoutSafetyCheck bool
}

var (
	awsKeySpecs   = []string{"RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "SM2", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87"}
	awsKeyUsages  = []string{"SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"}
	awsKeyOrigins = []string{"EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"}
)

// checkEnum accepts "" and want; a value AWS knows but this service does not
// implement is ErrUnsupportedOp, anything else ErrValidation.
func checkEnum(field, v, want string, known []string) error {
	switch {
	case v == "" || v == want:
		return nil
	case containsString(known, v):
		return fmt.Errorf("kms: %s %s is not supported: %w", field, v, ErrUnsupportedOp)
	default:
		return fmt.Errorf("kms: invalid %s %q: %w", field, v, ErrValidation)
	}
}

func containsString(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Store) defaultPolicy(account string) string {
	return `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions",` +
		`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"kms:*","Resource":"*"}]}`
}

// checkPolicy validates a key policy document: at most MaxPolicySize
// bytes of UTF-8, and a resource policy the policy language accepts (so an
// unknown condition operator is rejected here, not ignored later).
func checkPolicy(p string) (*policy.Policy, error) {
	if len(p) > MaxPolicySize || !utf8.ValidString(p) {
		return nil, fmt.Errorf("kms: policy larger than %d bytes or not UTF-8: %w", MaxPolicySize, ErrMalformedPolicy)
	}
	parsed, err := policy.Parse([]byte(p), policy.KindResource)
	if err != nil {
		return nil, fmt.Errorf("kms: %v: %w", err, ErrMalformedPolicy)
	}
	return parsed, nil
}

func encodeTags(tags []Tag) (string, error) {
	if len(tags) > MaxTags {
		return "", fmt.Errorf("kms: more than %d tags: %w", MaxTags, ErrTag)
	}
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		if err := checkTag(t); err != nil {
			return "", err
		}
		if seen[t.TagKey] {
			return "", fmt.Errorf("kms: duplicate tag key %q: %w", t.TagKey, ErrTag)
		}
		seen[t.TagKey] = true
	}
	if tags == nil {
		tags = []Tag{}
	}
	b, err := json.Marshal(tags)
	return string(b), err
}

// CreateKey creates a symmetric encryption key with its first material
// version. Errors: ErrValidation, ErrUnsupportedOp, ErrMalformedPolicy,
// ErrTag.
func (s *Store) CreateKey(ctx context.Context, in CreateKeyInput) (KeyMetadata, error) {
	if err := errors.Join(
		checkEnum("KeySpec", in.KeySpec, KeySpecSymmetricDefault, awsKeySpecs),
		checkEnum("KeyUsage", in.KeyUsage, KeyUsageEncryptDecrypt, awsKeyUsages),
		checkEnum("Origin", in.Origin, OriginAWSKMS, awsKeyOrigins),
	); err != nil {
		return KeyMetadata{}, firstError(err)
	}
	if utf8.RuneCountInString(in.Description) > MaxDescriptionLen {
		return KeyMetadata{}, fmt.Errorf("kms: description longer than %d characters: %w", MaxDescriptionLen, ErrValidation)
	}
	doc := in.Policy
	if doc == "" {
		doc = s.defaultPolicy(s.account)
	}
	parsed, err := checkPolicy(doc)
	if err != nil {
		return KeyMetadata{}, err
	}
	tags, err := encodeTags(in.Tags)
	if err != nil {
		return KeyMetadata{}, err
	}
	id, err := newKeyID(s.rand)
	if err != nil {
		return KeyMetadata{}, fmt.Errorf("kms: key id: %w", err)
	}
	if in.Caller != nil && in.Policy != "" && !in.BypassPolicyLockoutSafetyCheck {
		if err := lockoutCheck(parsed, s.keyARN(id), s.account, *in.Caller, in.CallerPolicies); err != nil {
			return KeyMetadata{}, err
		}
	}
	now := s.now().UnixNano()
	k := keyRow{
		id: id, arn: s.keyARN(id), account: s.account, description: in.Description, state: KeyStateEnabled,
		created: now, rotationPeriod: DefaultRotationPeriodDays, currentVersion: 1, policy: doc, tags: tags,
		manager: KeyManagerCustomer,
	}
	err = s.update(ctx, func(tx *sql.Tx) error {
		if err := insertKey(ctx, tx, &k); err != nil {
			return err
		}
		return s.addMaterial(ctx, tx, id, 1, rotationOriginal, now)
	})
	if err != nil {
		return KeyMetadata{}, err
	}
	return k.metadata(), nil
}

// firstError unwraps an errors.Join to its first error, so one sentinel
// (the first problem) is reported.
func firstError(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()[0]
	}
	return err
}

// DescribeKey returns the metadata of the key named by id, ARN, alias name
// or alias ARN, creating a managed key (AWSManagedS3Alias, S3OwnedAlias) on
// first use. Errors: ErrNotFound, ErrValidation.
func (s *Store) DescribeKey(ctx context.Context, ref string) (KeyMetadata, error) {
	var k keyRow
	err := s.withManagedKey(ctx, ref, func() error {
		return s.view(ctx, func(tx *sql.Tx) error {
			var err error
			k, err = s.resolveKeyOrAlias(ctx, tx, ref)
			return err
		})
	})
	if err != nil {
		return KeyMetadata{}, err
	}
	return k.metadata(), nil
}

// KeyPolicy returns the key's policy document (id or ARN).
// Errors: ErrNotFound, ErrValidation.
func (s *Store) KeyPolicy(ctx context.Context, ref string) (string, error) {
	var k keyRow
	err := s.view(ctx, func(tx *sql.Tx) error {
		var err error
		k, err = s.resolveKey(ctx, tx, ref)
		return err
	})
	return k.policy, err
}

// KeyTags returns the key's tags (id or ARN). Errors: ErrNotFound,
// ErrValidation.
func (s *Store) KeyTags(ctx context.Context, ref string) ([]Tag, error) {
	var k keyRow
	err := s.view(ctx, func(tx *sql.Tx) error {
		var err error
		k, err = s.resolveKey(ctx, tx, ref)
		return err
	})
	if err != nil {
		return nil, err
	}
	var tags []Tag
	if err := json.Unmarshal([]byte(k.tags), &tags); err != nil {
		return nil, fmt.Errorf("kms: corrupt tags of %s: %w", k.id, err)
	}
	return tags, nil
}

// KeyListEntry is one entry of ListKeys.
type KeyListEntry struct {
	KeyID  string
	KeyArn string
}

// ListKeysOutput is a page of keys; NextMarker is set when Truncated.
type ListKeysOutput struct {
	Keys       []KeyListEntry
	NextMarker string
	Truncated  bool
}

func encodeMarker(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func decodeMarker(m string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(m)
	if err != nil || len(b) == 0 {
		return "", fmt.Errorf("kms: invalid marker: %w", ErrInvalidMarker)
	}
	return string(b), nil
}

// startPage validates a listing's Limit (1–max; 0 means def) and decodes
// its Marker, the sort key of the previous page's last item ("" for the
// first page).
func startPage(limit, def, max int, marker string) (n int, after string, err error) {
	if n, err = pageLimit(limit, def, max); err != nil {
		return 0, "", err
	}
	if marker != "" {
		if after, err = decodeMarker(marker); err != nil {
			return 0, "", err
		}
	}
	return n, after, nil
}

// endPage cuts items, fetched with LIMIT n+1, to one page and returns the
// marker of the next page, "" after the last.
func endPage[T any](items []T, n int, sortKey func(T) string) ([]T, string) {
	if len(items) <= n {
		return items, ""
	}
	items = items[:n]
	return items, encodeMarker(sortKey(items[n-1]))
}

func pageLimit(limit, def, max int) (int, error) {
	switch {
	case limit == 0:
		return def, nil
	case limit < 1 || limit > max:
		return 0, fmt.Errorf("kms: Limit must be 1–%d: %w", max, ErrValidation)
	}
	return limit, nil
}

// ListKeys lists the account's keys (every state) in id order, limit
// 1–1000 (0: 100) per page. Errors: ErrValidation, ErrInvalidMarker.
func (s *Store) ListKeys(ctx context.Context, limit int, marker string) (ListKeysOutput, error) {
	var out ListKeysOutput
	n, after, err := startPage(limit, defaultListKeysLimit, maxListKeysLimit, marker)
	if err != nil {
		return out, err
	}
	err = s.view(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, arn FROM keys WHERE account = ? AND id > ? ORDER BY id LIMIT ?`, s.account, after, n+1)
		if err != nil {
			return fmt.Errorf("kms: list keys: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var e KeyListEntry
			if err := rows.Scan(&e.KeyID, &e.KeyArn); err != nil {
				return fmt.Errorf("kms: list keys: %w", err)
			}
			out.Keys = append(out.Keys, e)
		}
		return rows.Err()
	})
	if err != nil {
		return ListKeysOutput{}, err
	}
	out.Keys, out.NextMarker = endPage(out.Keys, n, func(e KeyListEntry) string { return e.KeyID })
	out.Truncated = out.NextMarker != ""
	return out, nil
}

// UpdateKeyDescription replaces the description. Errors: ErrNotFound,
// ErrValidation, ErrInvalidState, ErrAccessDenied (an AWS managed key).
func (s *Store) UpdateKeyDescription(ctx context.Context, ref, description string) error {
	if utf8.RuneCountInString(description) > MaxDescriptionLen {
		return fmt.Errorf("kms: description longer than %d characters: %w", MaxDescriptionLen, ErrValidation)
	}
	_, err := s.mutateKey(ctx, "kms:UpdateKeyDescription", ref, func(_ *sql.Tx, k *keyRow) error {
		if err := k.notPendingDeletion(); err != nil {
			return err
		}
		k.description = description
		return nil
	})
	return err
}

// EnableKey sets the key Enabled (idempotent). Errors: ErrNotFound,
// ErrValidation, ErrInvalidState (pending deletion), ErrAccessDenied (an
// AWS managed key).
func (s *Store) EnableKey(ctx context.Context, ref string) error {
	return s.setState(ctx, "kms:EnableKey", ref, KeyStateEnabled)
}

// DisableKey sets the key Disabled (idempotent): it can no longer be used
// for cryptographic operations. Errors: as EnableKey.
func (s *Store) DisableKey(ctx context.Context, ref string) error {
	return s.setState(ctx, "kms:DisableKey", ref, KeyStateDisabled)
}

func (s *Store) setState(ctx context.Context, action, ref string, st KeyState) error {
	_, err := s.mutateKey(ctx, action, ref, func(_ *sql.Tx, k *keyRow) error {
		if err := k.notPendingDeletion(); err != nil {
			return err
		}
		k.state = st
		return nil
	})
	return err
}

// ScheduleKeyDeletionOutput is the result of ScheduleKeyDeletion.
type ScheduleKeyDeletionOutput struct {
	KeyID               string // ARN
	DeletionDate        time.Time
	KeyState            KeyState
	PendingWindowInDays int
}

// ScheduleKeyDeletion puts the key in PendingDeletion; DeleteDueKeys
// deletes it after pendingWindowDays (7–30; 0 means 30). Errors:
// ErrNotFound, ErrValidation, ErrInvalidState (already pending),
// ErrAccessDenied (an AWS managed key).
func (s *Store) ScheduleKeyDeletion(ctx context.Context, ref string, pendingWindowDays int) (ScheduleKeyDeletionOutput, error) {
	if pendingWindowDays == 0 {
		pendingWindowDays = MaxPendingWindowDays
	}
	if pendingWindowDays < MinPendingWindowDays || pendingWindowDays > MaxPendingWindowDays {
		return ScheduleKeyDeletionOutput{}, fmt.Errorf("kms: PendingWindowInDays must be %d–%d: %w", MinPendingWindowDays, MaxPendingWindowDays, ErrValidation)
	}
	now := s.now()
	k, err := s.mutateKey(ctx, "kms:ScheduleKeyDeletion", ref, func(tx *sql.Tx, k *keyRow) error {
		if err := k.notPendingDeletion(); err != nil {
			return err
		}
		k.state = KeyStatePendingDeletion
		k.deletionDate = now.Add(time.Duration(pendingWindowDays) * 24 * time.Hour).UnixNano()
		k.pendingDays = pendingWindowDays
		return nil
	})
	if err != nil {
		return ScheduleKeyDeletionOutput{}, err
	}
	return ScheduleKeyDeletionOutput{KeyID: k.arn, DeletionDate: time.Unix(0, k.deletionDate).UTC(), KeyState: k.state, PendingWindowInDays: pendingWindowDays}, nil
}

// CancelKeyDeletion takes a key out of PendingDeletion; as on AWS it is
// then Disabled. It returns the key ARN. Errors: ErrNotFound,
// ErrValidation, ErrInvalidState (not pending deletion), ErrAccessDenied
// (an AWS managed key).
func (s *Store) CancelKeyDeletion(ctx context.Context, ref string) (string, error) {
	k, err := s.mutateKey(ctx, "kms:CancelKeyDeletion", ref, func(_ *sql.Tx, k *keyRow) error {
		if k.state != KeyStatePendingDeletion {
			return fmt.Errorf("kms: %s is not pending deletion: %w", k.arn, ErrInvalidState)
		}
		k.state, k.deletionDate, k.pendingDays = KeyStateDisabled, 0, 0
		return nil
	})
	return k.arn, err
}

// DeleteDueKeys deletes every key whose deletion date is at or before now,
// with its material and aliases, and returns their ids. Ciphertexts under
// those keys can never be decrypted again. For the background job.
func (s *Store) DeleteDueKeys(ctx context.Context, now time.Time) ([]string, error) {
	var ids []string
	err := s.update(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM keys WHERE state = ? AND deletion_date <= ? ORDER BY id`,
			string(KeyStatePendingDeletion), now.UnixNano())
		if err != nil {
			return fmt.Errorf("kms: due keys: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("kms: due keys: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("kms: due keys: %w", err)
		}
		for _, id := range ids {
			// The foreign keys cascade to key_material and aliases.
			if _, err := tx.ExecContext(ctx, `DELETE FROM keys WHERE id = ?`, id); err != nil {
				return fmt.Errorf("kms: delete key %s: %w", id, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}
