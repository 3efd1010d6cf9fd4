package kmsapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/kms"
	"github.com/coffer-project/coffer/internal/policy"
)

// principalStore finds the secret of a principal's access key.
type principalStore interface {
	// LookupPrincipal returns the principal with the access key, or an
	// error wrapping kms.ErrNotFound if there is none.
	LookupPrincipal(ctx context.Context, accessKeyID string) (kms.PrincipalCredentials, error)
}

var _ principalStore = (*kms.Store)(nil)

// credentials are the administrator's access key, then the principals
// table of the keystore.
type credentials struct {
	admin      auth.Credential
	principals principalStore
}

var _ auth.Credentials = credentials{}

// Lookup returns the credential of accessKeyID, wrapping
// auth.ErrInvalidAccessKeyID if neither the administrator nor a principal
// has it.
func (c credentials) Lookup(ctx context.Context, accessKeyID string) (auth.Credential, error) {
	if accessKeyID == c.admin.AccessKeyID {
		return c.admin, nil
	}
	p, err := c.principals.LookupPrincipal(ctx, accessKeyID)
	if errors.Is(err, kms.ErrNotFound) {
		return auth.Credential{}, fmt.Errorf("kmsapi: access key %.40q: %w", accessKeyID, auth.ErrInvalidAccessKeyID)
	}
	if err != nil {
		return auth.Credential{}, err
	}
	return auth.Credential{AccessKeyID: p.AccessKeyID, SecretKey: p.SecretAccessKey, Principal: auth.Principal{
		AccountID: p.AccountID, AccessKeyID: p.AccessKeyID, UserName: p.Name, ARN: p.ARN,
	}}, nil
}

// caller is the authenticated principal of a request with its identity
// policies: the administrator is its account's root with
// kms.AdministratorPolicy; any other principal is a user without identity
// policies, whom only key policies and grants can allow.
type caller struct {
	principal   policy.Principal
	policies    []*policy.Policy
	accessKeyID string
}

func (h *handler) callerOf(p auth.Principal) caller {
	if p.UserName == "" {
		return caller{
			principal:   policy.Principal{Type: policy.PrincipalRoot, Account: p.AccountID, ARN: p.ARN, UserID: p.AccountID},
			policies:    h.adminPolicies,
			accessKeyID: p.AccessKeyID,
		}
	}
	return caller{
		principal:   policy.Principal{Type: policy.PrincipalUser, Account: p.AccountID, ARN: p.ARN, Username: p.UserName},
		accessKeyID: p.AccessKeyID,
	}
}

// check is one authorization a request needs: the action on a key (KeyID
// empty for the actions that name none) with the request's context.
type check struct {
	action            string
	keyID             string
	ciphertext        []byte // names the key when keyID is empty and the action needs one
	encryptionContext map[string]string
	grantTokens       []string
	grant             *kms.CreateGrantInput
}

// checks derives the authorizations req needs from its type, so routing
// and authorization cannot drift apart. RetireGrant needs none here: the
// grant itself decides who may retire it (kms.Store.RetireGrant).
func checks(req Request) ([]check, error) {
	one := func(keyID string) ([]check, error) {
		return []check{{action: "kms:" + req.Operation(), keyID: keyID}}, nil
	}
	crypto := func(keyID string, ec map[string]string, c cryptoCommon) ([]check, error) {
		return []check{{action: "kms:" + req.Operation(), keyID: keyID, encryptionContext: ec, grantTokens: c.GrantTokens}}, nil
	}
	switch r := req.(type) {
	case *createKeyRequest, *listKeysRequest, *generateRandomRequest, *listRetirableGrantsRequest, *listAliasesRequest:
		return one("")
	case *retireGrantRequest:
		return nil, nil
	case *describeKeyRequest:
		return []check{{action: "kms:DescribeKey", keyID: r.KeyID, grantTokens: r.GrantTokens}}, nil
	case *createAliasRequest:
		return one(r.TargetKeyID)
	case *updateAliasRequest:
		return []check{{action: "kms:UpdateAlias", keyID: r.AliasName}, {action: "kms:UpdateAlias", keyID: r.TargetKeyID}}, nil
	case *deleteAliasRequest:
		return one(r.AliasName)
	case *generateDataKeyRequest:
		return crypto(r.KeyID, r.EncryptionContext, r.cryptoCommon)
	case *generateDataKeyWithoutPlaintextRequest:
		return crypto(r.KeyID, r.EncryptionContext, r.cryptoCommon)
	case *encryptRequest:
		return crypto(r.KeyID, r.EncryptionContext, r.cryptoCommon)
	case *decryptRequest:
		return []check{{action: "kms:Decrypt", keyID: r.KeyID, ciphertext: r.CiphertextBlob,
			encryptionContext: r.EncryptionContext, grantTokens: r.GrantTokens}}, nil
	case *reEncryptRequest:
		return []check{
			{action: "kms:ReEncryptFrom", keyID: r.SourceKeyID, ciphertext: r.CiphertextBlob,
				encryptionContext: r.SourceEncryptionContext, grantTokens: r.GrantTokens},
			{action: "kms:ReEncryptTo", keyID: r.DestinationKeyID,
				encryptionContext: r.DestinationEncryptionContext, grantTokens: r.GrantTokens},
		}, nil
	case *createGrantRequest:
		in := r.input()
		return []check{{action: "kms:CreateGrant", keyID: r.KeyID, grantTokens: r.GrantTokens, grant: &in}}, nil
	case interface{ key() string }:
		return one(r.key())
	}
	// Every request type is one of the above; a new one without a rule
	// is refused rather than allowed.
	return nil, fmt.Errorf("kmsapi: no authorization rule for %s: %w", req.Operation(), kms.ErrAccessDenied)
}

func (k keyRef) key() string { return k.KeyID }

// authorize runs the checks of req for c, noting the key, the encryption
// context keys and the allowing grant in rec. Refusals wrap
// kms.ErrAccessDenied with the store's message.
func (h *handler) authorize(ctx context.Context, c caller, req Request, rec *auditRecord) error {
	cs, err := checks(req)
	if err != nil {
		return err
	}
	for i, ch := range cs {
		rec.addContextKeys(ch.encryptionContext)
		keyID := ch.keyID
		if i == 0 {
			rec.KeyID = keyID
		}
		if keyID == "" && ch.ciphertext != nil {
			arn, err := h.cfg.Store.CiphertextKeyARN(ch.ciphertext)
			if err != nil {
				return err
			}
			keyID = arn
			if i == 0 {
				rec.KeyID = arn
			}
		}
		d, err := h.cfg.Store.Authorize(ctx, kms.AuthRequest{
			Caller: c.principal, AccessKeyID: c.accessKeyID, IdentityPolicies: c.policies,
			Action: ch.action, KeyID: keyID, EncryptionContext: ch.encryptionContext,
			GrantTokens: ch.grantTokens, Grant: ch.grant,
		})
		if i == 0 && d.KeyARN != "" {
			rec.KeyID = d.KeyARN
		}
		if rec.GrantID == "" {
			rec.GrantID = d.GrantID
		}
		if err != nil {
			return err
		}
	}
	return nil
}
