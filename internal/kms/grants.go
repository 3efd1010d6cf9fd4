package kms

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coffer-project/coffer/internal/policy"
)

// The grant operations of AWS KMS (the GrantOperation enum).
const (
	GrantDecrypt                             = "Decrypt"
	GrantEncrypt                             = "Encrypt"
	GrantGenerateDataKey                     = "GenerateDataKey"
	GrantGenerateDataKeyWithoutPlaintext     = "GenerateDataKeyWithoutPlaintext"
	GrantReEncryptFrom                       = "ReEncryptFrom"
	GrantReEncryptTo                         = "ReEncryptTo"
	GrantSign                                = "Sign"
	GrantVerify                              = "Verify"
	GrantGetPublicKey                        = "GetPublicKey"
	GrantCreateGrant                         = "CreateGrant"
	GrantRetireGrant                         = "RetireGrant"
	GrantDescribeKey                         = "DescribeKey"
	GrantGenerateDataKeyPair                 = "GenerateDataKeyPair"
	GrantGenerateDataKeyPairWithoutPlaintext = "GenerateDataKeyPairWithoutPlaintext"
	GrantGenerateMac                         = "GenerateMac"
	GrantVerifyMac                           = "VerifyMac"
	GrantDeriveSharedSecret                  = "DeriveSharedSecret"
)

// grantOperation describes one grant operation: whether it takes an
// encryption context (so grant constraints apply to it) and whether a
// symmetric encryption key supports it.
type grantOperation struct {
	withContext bool
	symmetric   bool
}

// grantOperationInfo describes op, or reports false if op is not one of
// AWS's grant operations.
func grantOperationInfo(op string) (grantOperation, bool) {
	switch op {
	case GrantDecrypt, GrantEncrypt, GrantGenerateDataKey, GrantGenerateDataKeyWithoutPlaintext, GrantReEncryptFrom,
		GrantReEncryptTo, GrantGenerateDataKeyPair, GrantGenerateDataKeyPairWithoutPlaintext:
		return grantOperation{withContext: true, symmetric: true}, true
	case GrantCreateGrant, GrantRetireGrant, GrantDescribeKey:
		return grantOperation{symmetric: true}, true
	case GrantSign, GrantVerify, GrantGetPublicKey, GrantGenerateMac, GrantVerifyMac, GrantDeriveSharedSecret:
		return grantOperation{}, true
	}
	return grantOperation{}, false
}

// Grant limits as AWS documents them.
const (
	MaxGrantsPerKey             = 50000
	MaxGrantNameLen             = 256
	MaxGrantPrincipalLen        = 256
	MaxGrantTokens              = 10
	maxGrantTokenLen            = 8192
	maxConstraintPairs          = 8
	maxConstraintValueLen       = 384
	defaultListGrantsLimit      = 50
	maxListGrantsLimit          = 100
	grantIDSize                 = 32
	grantTokenNonceSize         = 16
	grantTokenVersion      byte = 1
)

var (
	grantNameRE      = regexp.MustCompile(`^[a-zA-Z0-9:/_-]+$`)
	grantPrincipalRE = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	grantIDRE        = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// GrantConstraints limits a grant's cryptographic operations to requests
// whose encryption context equals (EncryptionContextEquals) or includes
// (EncryptionContextSubset) the given pairs. As on AWS, constraint keys
// match case-insensitively and values case-sensitively.
type GrantConstraints struct {
	EncryptionContextEquals map[string]string `json:",omitempty"`
	EncryptionContextSubset map[string]string `json:",omitempty"`
}

func (c *GrantConstraints) empty() bool {
	return c == nil || (len(c.EncryptionContextEquals) == 0 && len(c.EncryptionContextSubset) == 0)
}

// contains reports whether every pair of want is in ec (key case-insensitive).
func contextContains(ec, want map[string]string) bool {
	for wk, wv := range want {
		found := false
		for k, v := range ec {
			if v == wv && strings.EqualFold(k, wk) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// allows reports whether a request's encryption context satisfies c.
func (c *GrantConstraints) allows(ec map[string]string) bool {
	switch {
	case c.empty():
		return true
	case len(c.EncryptionContextEquals) > 0:
		return len(ec) == len(c.EncryptionContextEquals) &&
			contextContains(ec, c.EncryptionContextEquals) && contextContains(c.EncryptionContextEquals, ec)
	default:
		return contextContains(ec, c.EncryptionContextSubset)
	}
}

// atLeastAsStrict reports whether a grant with constraints n allows no
// context that c forbids: AWS's rule for a grant created through a
// constrained grant's CreateGrant permission.
func (c *GrantConstraints) atLeastAsStrict(n *GrantConstraints) bool {
	switch {
	case c.empty():
		return true
	case n.empty():
		return false
	case len(c.EncryptionContextEquals) > 0:
		return c.allows(n.EncryptionContextEquals) && len(n.EncryptionContextEquals) > 0
	case len(n.EncryptionContextEquals) > 0:
		return c.allows(n.EncryptionContextEquals)
	default:
		return contextContains(n.EncryptionContextSubset, c.EncryptionContextSubset)
	}
}

func (c *GrantConstraints) validate() error {
	if c.empty() {
		return nil
	}
	if len(c.EncryptionContextEquals) > 0 && len(c.EncryptionContextSubset) > 0 {
		return fmt.Errorf("kms: a grant takes EncryptionContextEquals or EncryptionContextSubset, not both: %w", ErrValidation)
	}
	for _, m := range []map[string]string{c.EncryptionContextEquals, c.EncryptionContextSubset} {
		if len(m) > maxConstraintPairs {
			return fmt.Errorf("kms: a grant constraint has at most %d pairs: %w", maxConstraintPairs, ErrValidation)
		}
		for k, v := range m {
			if k == "" || utf8.RuneCountInString(v) > maxConstraintValueLen {
				return fmt.Errorf("kms: grant constraint keys must not be empty and values have at most %d characters: %w", maxConstraintValueLen, ErrValidation)
			}
		}
	}
	return nil
}

// Grant is a grant, as ListGrants returns it.
type Grant struct {
	KeyID             string // key ARN
	GrantID           string
	Name              string
	CreationDate      time.Time
	GranteePrincipal  string
	RetiringPrincipal string
	IssuingAccount    string // arn:aws:iam::ACCOUNT:root
	Operations        []string
	Constraints       *GrantConstraints // nil when the grant has none
}

// grantRow is one row of the grants table.
type grantRow struct {
	id, keyID, name, grantee, retiring, issuingAccount string
	operations                                         []string
	constraints                                        *GrantConstraints
	created                                            int64
}

const grantColumns = `g.id, g.key_id, g.name, g.grantee, g.retiring, g.operations, g.constraints, g.issuing_account, g.created`

func scanGrant(row interface{ Scan(...any) error }) (grantRow, error) {
	var g grantRow
	var ops, cons string
	if err := row.Scan(&g.id, &g.keyID, &g.name, &g.grantee, &g.retiring, &ops, &cons, &g.issuingAccount, &g.created); err != nil {
		return g, err
	}
	if err := json.Unmarshal([]byte(ops), &g.operations); err != nil {
		return g, fmt.Errorf("kms: corrupt operations of grant %s: %w", g.id, err)
	}
	if cons != "" {
		g.constraints = new(GrantConstraints)
		if err := json.Unmarshal([]byte(cons), g.constraints); err != nil {
			return g, fmt.Errorf("kms: corrupt constraints of grant %s: %w", g.id, err)
		}
	}
	return g, nil
}

func (s *Store) grantEntry(g *grantRow) Grant {
	return Grant{
		KeyID: s.keyARN(storedKeyID(g.keyID)), GrantID: g.id, Name: g.name, CreationDate: time.Unix(0, g.created).UTC(),
		GranteePrincipal: g.grantee, RetiringPrincipal: g.retiring, IssuingAccount: "arn:aws:iam::" + g.issuingAccount + ":root",
		Operations: slices.Clone(g.operations), Constraints: g.constraints,
	}
}

// newGrantToken returns a fresh grant token for grant id. A token names its
// grant (it is not a secret: AWS's are not either) plus random bytes, so
// every CreateGrant call returns a different token, as on AWS.
func (s *Store) newGrantToken(grantID string) (string, error) {
	raw, err := hex.DecodeString(grantID)
	if err != nil {
		return "", fmt.Errorf("kms: grant id %q: %w", grantID, err)
	}
	b := make([]byte, 0, 1+grantIDSize+grantTokenNonceSize)
	b = append(b, grantTokenVersion)
	b = append(b, raw...)
	nonce := make([]byte, grantTokenNonceSize)
	if _, err := io.ReadFull(s.rand, nonce); err != nil {
		return "", fmt.Errorf("kms: grant token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(append(b, nonce...)), nil
}

// parseGrantToken returns the grant id a token names, or an error wrapping
// ErrInvalidGrantToken.
func parseGrantToken(token string) (string, error) {
	if token == "" || len(token) > maxGrantTokenLen {
		return "", fmt.Errorf("kms: grant token must have 1–%d characters: %w", maxGrantTokenLen, ErrInvalidGrantToken)
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != 1+grantIDSize+grantTokenNonceSize || b[0] != grantTokenVersion {
		return "", fmt.Errorf("kms: grant token is not valid: %w", ErrInvalidGrantToken)
	}
	return hex.EncodeToString(b[1 : 1+grantIDSize]), nil
}

// CheckGrantTokens validates the GrantTokens parameter of a request: at most
// ten tokens, each one this service issued. Grants here take effect at once,
// so a valid token adds nothing further. Errors: ErrValidation,
// ErrInvalidGrantToken.
func CheckGrantTokens(tokens []string) error {
	if len(tokens) > MaxGrantTokens {
		return fmt.Errorf("kms: at most %d grant tokens: %w", MaxGrantTokens, ErrValidation)
	}
	for _, t := range tokens {
		if _, err := parseGrantToken(t); err != nil {
			return err
		}
	}
	return nil
}

func checkGrantPrincipal(field, p string, required bool) error {
	switch {
	case p == "" && !required:
		return nil
	case p == "" || len(p) > MaxGrantPrincipalLen || !grantPrincipalRE.MatchString(p):
		return fmt.Errorf("kms: %s %q is not a valid principal: %w", field, p, ErrValidation)
	case strings.HasPrefix(p, "arn:"):
		parts := strings.SplitN(p, ":", 6)
		if len(parts) != 6 || (parts[2] != "iam" && parts[2] != "sts") || !accountRE.MatchString(parts[4]) || parts[5] == "" {
			return fmt.Errorf("kms: %s %q is not a valid principal ARN: %w", field, p, ErrValidation)
		}
	case !strings.HasSuffix(p, ".amazonaws.com") && !accountRE.MatchString(p):
		return fmt.Errorf("kms: %s %q is neither an ARN, an account id nor a service principal: %w", field, p, ErrValidation)
	}
	return nil
}

// CreateGrantInput is the input of CreateGrant.
type CreateGrantInput struct {
	KeyID             string // id or ARN
	GranteePrincipal  string // required
	RetiringPrincipal string
	Operations        []string // required; from the Grant* constants
	Constraints       *GrantConstraints
	Name              string
	// IssuingAccount is the caller's account id. Default: the store's.
	IssuingAccount string
}

func (in *CreateGrantInput) validate() (ops []string, err error) {
	if err := errors.Join(
		checkGrantPrincipal("GranteePrincipal", in.GranteePrincipal, true),
		checkGrantPrincipal("RetiringPrincipal", in.RetiringPrincipal, false),
	); err != nil {
		return nil, firstError(err)
	}
	if in.Name != "" && (len(in.Name) > MaxGrantNameLen || !grantNameRE.MatchString(in.Name)) {
		return nil, fmt.Errorf("kms: grant name %q must have 1–%d characters of a-z A-Z 0-9 : / _ -: %w", in.Name, MaxGrantNameLen, ErrValidation)
	}
	if len(in.Operations) == 0 {
		return nil, fmt.Errorf("kms: Operations is required: %w", ErrValidation)
	}
	constrained := !in.Constraints.empty()
	for _, op := range in.Operations {
		g, ok := grantOperationInfo(op)
		switch {
		case !ok:
			return nil, fmt.Errorf("kms: %q is not a grant operation: %w", op, ErrValidation)
		case !g.symmetric:
			return nil, fmt.Errorf("kms: grant operation %s is not valid for a key with KeyUsage %s: %w", op, KeyUsageEncryptDecrypt, ErrValidation)
		case constrained && !g.withContext && op != GrantDescribeKey && op != GrantRetireGrant && op != GrantCreateGrant:
			return nil, fmt.Errorf("kms: grant constraints are not supported with operation %s: %w", op, ErrValidation)
		}
		if !slices.Contains(ops, op) {
			ops = append(ops, op)
		}
	}
	slices.Sort(ops)
	return ops, in.Constraints.validate()
}

// CreateGrantOutput is the result of CreateGrant.
type CreateGrantOutput struct {
	GrantID    string
	GrantToken string
}

// CreateGrant adds a grant to the key. A grant with a Name and the same
// parameters as an existing grant of the key is not created twice: its id
// is returned with a new token. Errors: ErrNotFound, ErrValidation,
// ErrInvalidState (pending deletion), ErrLimitExceeded.
func (s *Store) CreateGrant(ctx context.Context, in CreateGrantInput) (CreateGrantOutput, error) {
	ops, err := in.validate()
	if err != nil {
		return CreateGrantOutput{}, err
	}
	issuing := in.IssuingAccount
	if issuing == "" {
		issuing = s.account
	}
	if !accountRE.MatchString(issuing) {
		return CreateGrantOutput{}, fmt.Errorf("kms: invalid issuing account %q: %w", issuing, ErrValidation)
	}
	opsJSON, err := json.Marshal(ops)
	if err != nil {
		return CreateGrantOutput{}, err
	}
	consJSON := ""
	if !in.Constraints.empty() {
		b, err := json.Marshal(in.Constraints)
		if err != nil {
			return CreateGrantOutput{}, err
		}
		consJSON = string(b)
	}
	var grantID string
	err = s.update(ctx, func(tx *sql.Tx) error {
		k, err := s.resolveKey(ctx, tx, in.KeyID)
		if err != nil {
			return err
		}
		if err := k.notPendingDeletion(); err != nil {
			return err
		}
		if in.Name != "" {
			err := tx.QueryRowContext(ctx, `SELECT id FROM grants WHERE key_id = ? AND name = ? AND grantee = ? AND retiring = ?
				AND operations = ? AND constraints = ? AND issuing_account = ?`,
				k.id.String(), in.Name, in.GranteePrincipal, in.RetiringPrincipal, string(opsJSON), consJSON, issuing).Scan(&grantID)
			if err == nil {
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("kms: find grant: %w", err)
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM grants WHERE key_id = ?`, k.id.String()).Scan(&n); err != nil {
			return fmt.Errorf("kms: count grants: %w", err)
		}
		if n >= MaxGrantsPerKey {
			return fmt.Errorf("kms: %s has %d grants: %w", k.arn, n, ErrLimitExceeded)
		}
		raw := make([]byte, grantIDSize)
		if _, err := io.ReadFull(s.rand, raw); err != nil {
			return fmt.Errorf("kms: grant id: %w", err)
		}
		grantID = hex.EncodeToString(raw)
		if _, err := tx.ExecContext(ctx, `INSERT INTO grants (id, key_id, name, grantee, retiring, operations, constraints, issuing_account, created)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			grantID, k.id.String(), in.Name, in.GranteePrincipal, in.RetiringPrincipal, string(opsJSON), consJSON, issuing, s.now().UnixNano()); err != nil {
			return fmt.Errorf("kms: create grant: %w", err)
		}
		return nil
	})
	if err != nil {
		return CreateGrantOutput{}, err
	}
	token, err := s.newGrantToken(grantID)
	if err != nil {
		return CreateGrantOutput{}, err
	}
	return CreateGrantOutput{GrantID: grantID, GrantToken: token}, nil
}

// ListGrantsInput is the input of ListGrants.
type ListGrantsInput struct {
	KeyID            string // id or ARN; required
	Limit            int    // 1–100; 0 means 50
	Marker           string
	GrantID          string // only this grant
	GranteePrincipal string // only grants to this principal
}

// ListGrantsOutput is a page of grants in grant-id order; NextMarker is set
// when Truncated.
type ListGrantsOutput struct {
	Grants     []Grant
	NextMarker string
	Truncated  bool
}

// ListGrants lists the key's grants (in every key state). Errors:
// ErrNotFound, ErrValidation, ErrInvalidMarker, ErrInvalidGrantID.
func (s *Store) ListGrants(ctx context.Context, in ListGrantsInput) (ListGrantsOutput, error) {
	if in.GrantID != "" && !grantIDRE.MatchString(in.GrantID) {
		return ListGrantsOutput{}, fmt.Errorf("kms: invalid grant id %q: %w", in.GrantID, ErrInvalidGrantID)
	}
	q := `SELECT ` + grantColumns + ` FROM grants g WHERE g.key_id = ? AND g.id > ?`
	var args []any
	if in.GrantID != "" {
		q += ` AND g.id = ?`
		args = append(args, in.GrantID)
	}
	if in.GranteePrincipal != "" {
		q += ` AND g.grantee = ?`
		args = append(args, in.GranteePrincipal)
	}
	return s.listGrants(ctx, in.KeyID, q, args, in.Limit, in.Marker)
}

// ListRetirableGrants lists, across the keystore, the grants whose
// retiring principal is retiringPrincipal. Errors: ErrValidation,
// ErrInvalidMarker.
func (s *Store) ListRetirableGrants(ctx context.Context, retiringPrincipal string, limit int, marker string) (ListGrantsOutput, error) {
	if err := checkGrantPrincipal("RetiringPrincipal", retiringPrincipal, true); err != nil {
		return ListGrantsOutput{}, err
	}
	q := `SELECT ` + grantColumns + ` FROM grants g WHERE g.retiring = ? AND g.id > ?`
	return s.listGrants(ctx, "", q, []any{retiringPrincipal}, limit, marker)
}

// listGrants runs a grant query whose first two arguments are the key id
// (or the retiring principal when keyRef is empty) and the marker.
func (s *Store) listGrants(ctx context.Context, keyRef, q string, extra []any, limit int, marker string) (ListGrantsOutput, error) {
	var out ListGrantsOutput
	n, after, err := startPage(limit, defaultListGrantsLimit, maxListGrantsLimit, marker)
	if err != nil {
		return out, err
	}
	err = s.view(ctx, func(tx *sql.Tx) error {
		var args []any
		if keyRef != "" {
			k, err := s.resolveKey(ctx, tx, keyRef)
			if err != nil {
				return err
			}
			args = append([]any{k.id.String(), after}, extra...)
		} else {
			args = append([]any{extra[0], after}, extra[1:]...)
		}
		rows, err := tx.QueryContext(ctx, q+` ORDER BY g.id LIMIT ?`, append(args, n+1)...)
		if err != nil {
			return fmt.Errorf("kms: list grants: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			g, err := scanGrant(rows)
			if err != nil {
				return fmt.Errorf("kms: list grants: %w", err)
			}
			out.Grants = append(out.Grants, s.grantEntry(&g))
		}
		return rows.Err()
	})
	if err != nil {
		return ListGrantsOutput{}, err
	}
	if out.Grants == nil {
		out.Grants = []Grant{}
	}
	out.Grants, out.NextMarker = endPage(out.Grants, n, func(g Grant) string { return g.GrantID })
	out.Truncated = out.NextMarker != ""
	return out, nil
}

// RetireGrantInput names the grant to retire: by GrantToken, or by KeyID
// (id or ARN) and GrantID.
type RetireGrantInput struct {
	GrantToken string
	KeyID      string
	GrantID    string
	// Caller is the principal retiring the grant; CallerPolicies its
	// identity policies, which count when the grant's retiring principal is
	// the caller's account (a delegation, as in a key policy).
	Caller         policy.Principal
	CallerPolicies []*policy.Policy
}

// RetireGrant deletes a grant on behalf of a principal the grant itself
// entitles, as AWS decides: its retiring principal, its grantee if the
// grant includes RetireGrant, or the root user of the account that created
// the grant. When the retiring principal is an account, its other
// principals may retire the grant if an identity policy allows them
// kms:RetireGrant; no key policy is consulted. Errors: ErrValidation,
// ErrInvalidGrantToken, ErrInvalidGrantID, ErrNotFound, ErrAccessDenied.
func (s *Store) RetireGrant(ctx context.Context, in RetireGrantInput) error {
	grantID := in.GrantID
	switch {
	case in.GrantToken != "":
		id, err := parseGrantToken(in.GrantToken)
		if err != nil {
			return err
		}
		if grantID != "" && grantID != id {
			return fmt.Errorf("kms: the grant token does not name grant %s: %w", grantID, ErrInvalidGrantToken)
		}
		grantID = id
	case in.KeyID == "" || in.GrantID == "":
		return fmt.Errorf("kms: RetireGrant needs a GrantToken, or a KeyId and a GrantId: %w", ErrValidation)
	case !grantIDRE.MatchString(in.GrantID):
		return fmt.Errorf("kms: invalid grant id %q: %w", in.GrantID, ErrInvalidGrantID)
	}
	return s.update(ctx, func(tx *sql.Tx) error {
		g, err := scanGrant(tx.QueryRowContext(ctx, `SELECT `+grantColumns+` FROM grants g WHERE g.id = ?`, grantID))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("kms: grant %s not found: %w", grantID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("kms: load grant: %w", err)
		}
		if in.KeyID != "" {
			k, err := s.resolveKey(ctx, tx, in.KeyID)
			if err != nil {
				return err
			}
			if k.id.String() != g.keyID {
				return fmt.Errorf("kms: grant %s is not a grant of %s: %w", grantID, k.arn, ErrNotFound)
			}
		}
		keyARN := s.keyARN(storedKeyID(g.keyID))
		if !g.mayRetire(in.Caller, in.CallerPolicies, keyARN) {
			return fmt.Errorf("kms: User: %s is not authorized to perform: kms:RetireGrant on resource: %s because grant %s does not allow it to: %w",
				principalName(in.Caller), keyARN, grantID, ErrAccessDenied)
		}
		return deleteGrant(ctx, tx, grantID)
	})
}

// mayRetire reports whether p, with identity policies ids, may retire the
// grant of the key keyARN.
func (g *grantRow) mayRetire(p policy.Principal, ids []*policy.Policy, keyARN string) bool {
	names := principalNames(p)
	switch {
	case g.retiring != "" && slices.Contains(names, g.retiring):
		return true
	case slices.Contains(g.operations, GrantRetireGrant) && slices.Contains(names, g.grantee):
		return true
	case p.Type == policy.PrincipalRoot && p.Account == g.issuingAccount:
		return true
	case g.retiring != "" && slices.Contains(accountNames(p.Account), g.retiring):
		req := policy.Request{Principal: p, Action: "kms:RetireGrant", Resource: keyARN}
		return policy.Evaluate(req, policy.Set{Kind: policy.KindIdentity, Policies: ids}).Allowed()
	}
	return false
}

// storedKeyID parses a key id read from the keystore's own tables.
func storedKeyID(s string) keyID {
	id, _ := parseKeyID(s)
	return id
}

// RevokeGrant deletes a grant of the key. Whether the caller may is a
// policy decision (kms:RevokeGrant), made before. Errors: ErrValidation,
// ErrInvalidGrantID, ErrNotFound.
func (s *Store) RevokeGrant(ctx context.Context, keyRef, grantID string) error {
	if !grantIDRE.MatchString(grantID) {
		return fmt.Errorf("kms: invalid grant id %q: %w", grantID, ErrInvalidGrantID)
	}
	return s.update(ctx, func(tx *sql.Tx) error {
		k, err := s.resolveKey(ctx, tx, keyRef)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM grants WHERE id = ? AND key_id = ?`, grantID, k.id.String())
		if err != nil {
			return fmt.Errorf("kms: revoke grant: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("kms: grant %s of %s not found: %w", grantID, k.arn, ErrNotFound)
		}
		return nil
	})
}

func deleteGrant(ctx context.Context, tx *sql.Tx, grantID string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM grants WHERE id = ?`, grantID); err != nil {
		return fmt.Errorf("kms: retire grant: %w", err)
	}
	return nil
}

// grantsFor loads the key's grants whose grantee is one of names.
func grantsFor(ctx context.Context, tx *sql.Tx, id keyID, names []string) ([]grantRow, error) {
	if len(names) == 0 {
		return nil, nil
	}
	args := []any{id.String()}
	for _, n := range names {
		args = append(args, n)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+grantColumns+` FROM grants g WHERE g.key_id = ? AND g.grantee IN (?`+
		strings.Repeat(", ?", len(names)-1)+`) ORDER BY g.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("kms: load grants: %w", err)
	}
	defer rows.Close()
	var out []grantRow
	for rows.Next() {
		g, err := scanGrant(rows)
		if err != nil {
			return nil, fmt.Errorf("kms: load grants: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// principalNames lists the names a grant may use for p: its ARN, its
// role's ARN for a role session, its account's root ARN for the root user,
// its service name for a service principal.
func principalNames(p policy.Principal) []string {
	var names []string
	add := func(n string) {
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	add(p.ARN)
	switch p.Type {
	case policy.PrincipalRoot:
		add("arn:aws:iam::" + p.Account + ":root")
		add(p.Account)
	case policy.PrincipalAssumedRole:
		add(p.RoleARN) // with the role's path
		session := p
		session.RoleARN = ""
		add(session.AssumedRoleARN()) // as derived from the session ARN, without a path
	case policy.PrincipalService:
		add(p.Service)
	}
	return names
}

// principalName is how a denial names the caller.
func principalName(p policy.Principal) string {
	switch {
	case p.ARN != "":
		return p.ARN
	case p.Type == policy.PrincipalService:
		return p.Service
	case p.Type == policy.PrincipalAnonymous:
		return "anonymous"
	}
	return "arn:aws:iam::" + p.Account + ":root"
}

// sortedKeys returns the keys of a context in bytewise order.
func sortedKeys(ec map[string]string) []string {
	keys := make([]string, 0, len(ec))
	for k := range ec {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
