package kmsapi

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/coffer-project/coffer/internal/kms"
)

// epoch is a timestamp as the JSON 1.1 protocol writes it: seconds since
// the Unix epoch, with a fraction.
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

// ts returns nil for the zero time, so omitempty drops it.
func ts(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}

type keyMetadata struct {
	AWSAccountID                string   `json:"AWSAccountId"`
	KeyID                       string   `json:"KeyId"`
	Arn                         string   `json:"Arn"`
	CreationDate                *epoch   `json:"CreationDate,omitempty"`
	Enabled                     bool     `json:"Enabled"`
	Description                 string   `json:"Description"`
	KeyUsage                    string   `json:"KeyUsage"`
	KeyState                    string   `json:"KeyState"`
	DeletionDate                *epoch   `json:"DeletionDate,omitempty"`
	Origin                      string   `json:"Origin"`
	KeyManager                  string   `json:"KeyManager"`
	CustomerMasterKeySpec       string   `json:"CustomerMasterKeySpec"`
	KeySpec                     string   `json:"KeySpec"`
	EncryptionAlgorithms        []string `json:"EncryptionAlgorithms"`
	MultiRegion                 bool     `json:"MultiRegion"`
	PendingDeletionWindowInDays int      `json:"PendingDeletionWindowInDays,omitempty"`
}

func metadata(m kms.KeyMetadata) keyMetadata {
	return keyMetadata{
		AWSAccountID: m.AWSAccountID, KeyID: m.KeyID, Arn: m.Arn, CreationDate: ts(m.CreationDate),
		Enabled: m.Enabled, Description: m.Description, KeyUsage: m.KeyUsage, KeyState: string(m.KeyState),
		DeletionDate: ts(m.DeletionDate), Origin: m.Origin, KeyManager: m.KeyManager,
		CustomerMasterKeySpec: m.KeySpec, KeySpec: m.KeySpec, EncryptionAlgorithms: m.EncryptionAlgorithms,
		MultiRegion: m.MultiRegion, PendingDeletionWindowInDays: m.PendingDeletionWindowInDays,
	}
}

type keyMetadataResponse struct {
	KeyMetadata keyMetadata `json:"KeyMetadata"`
}

type keyIDResponse struct {
	KeyID string `json:"KeyId"`
}

type empty struct{}

type listKeysResponse struct {
	Keys       []keyListEntry `json:"Keys"`
	NextMarker string         `json:"NextMarker,omitempty"`
	Truncated  bool           `json:"Truncated"`
}

type keyListEntry struct {
	KeyID  string `json:"KeyId"`
	KeyArn string `json:"KeyArn"`
}

type scheduleKeyDeletionResponse struct {
	KeyID               string `json:"KeyId"`
	DeletionDate        *epoch `json:"DeletionDate,omitempty"`
	KeyState            string `json:"KeyState"`
	PendingWindowInDays int    `json:"PendingWindowInDays"`
}

type listAliasesResponse struct {
	Aliases    []aliasListEntry `json:"Aliases"`
	NextMarker string           `json:"NextMarker,omitempty"`
	Truncated  bool             `json:"Truncated"`
}

type aliasListEntry struct {
	AliasName       string `json:"AliasName"`
	AliasArn        string `json:"AliasArn"`
	TargetKeyID     string `json:"TargetKeyId,omitempty"`
	CreationDate    *epoch `json:"CreationDate,omitempty"`
	LastUpdatedDate *epoch `json:"LastUpdatedDate,omitempty"`
}

type generateDataKeyResponse struct {
	KeyID          string `json:"KeyId"`
	CiphertextBlob []byte `json:"CiphertextBlob"`
	Plaintext      []byte `json:"Plaintext,omitempty"`
}

// clearSecrets zeroes the data key once the response is written.
func (r generateDataKeyResponse) clearSecrets() { clear(r.Plaintext) }

type encryptResponse struct {
	KeyID               string `json:"KeyId"`
	CiphertextBlob      []byte `json:"CiphertextBlob"`
	EncryptionAlgorithm string `json:"EncryptionAlgorithm"`
}

type decryptResponse struct {
	KeyID               string `json:"KeyId"`
	Plaintext           []byte `json:"Plaintext"`
	EncryptionAlgorithm string `json:"EncryptionAlgorithm"`
}

// clearSecrets zeroes the plaintext once the response is written.
func (r decryptResponse) clearSecrets() { clear(r.Plaintext) }

type reEncryptResponse struct {
	CiphertextBlob                 []byte `json:"CiphertextBlob"`
	SourceKeyID                    string `json:"SourceKeyId"`
	KeyID                          string `json:"KeyId"`
	SourceEncryptionAlgorithm      string `json:"SourceEncryptionAlgorithm"`
	DestinationEncryptionAlgorithm string `json:"DestinationEncryptionAlgorithm"`
}

type generateRandomResponse struct {
	Plaintext []byte `json:"Plaintext"`
}

// clearSecrets zeroes the random bytes once the response is written (they
// may become key material on the caller's side).
func (r generateRandomResponse) clearSecrets() { clear(r.Plaintext) }

type rotationStatusResponse struct {
	KeyID                string `json:"KeyId"`
	KeyRotationEnabled   bool   `json:"KeyRotationEnabled"`
	RotationPeriodInDays int    `json:"RotationPeriodInDays,omitempty"`
	NextRotationDate     *epoch `json:"NextRotationDate,omitempty"`
}

type listKeyRotationsResponse struct {
	Rotations  []rotationEntry `json:"Rotations"`
	NextMarker string          `json:"NextMarker,omitempty"`
	Truncated  bool            `json:"Truncated"`
}

type rotationEntry struct {
	KeyID        string `json:"KeyId"`
	RotationDate *epoch `json:"RotationDate,omitempty"`
	RotationType string `json:"RotationType"`
}

type listResourceTagsResponse struct {
	Tags       []kms.Tag `json:"Tags"`
	NextMarker string    `json:"NextMarker,omitempty"`
	Truncated  bool      `json:"Truncated"`
}

type listKeyPoliciesResponse struct {
	PolicyNames []string `json:"PolicyNames"`
	Truncated   bool     `json:"Truncated"`
}

type getKeyPolicyResponse struct {
	Policy     string `json:"Policy"`
	PolicyName string `json:"PolicyName"`
}

type createGrantResponse struct {
	GrantID    string `json:"GrantId"`
	GrantToken string `json:"GrantToken"`
}

type listGrantsResponse struct {
	Grants     []grantListEntry `json:"Grants"`
	NextMarker string           `json:"NextMarker,omitempty"`
	Truncated  bool             `json:"Truncated"`
}

type grantListEntry struct {
	KeyID             string                `json:"KeyId"`
	GrantID           string                `json:"GrantId"`
	Name              string                `json:"Name,omitempty"`
	CreationDate      *epoch                `json:"CreationDate,omitempty"`
	GranteePrincipal  string                `json:"GranteePrincipal"`
	RetiringPrincipal string                `json:"RetiringPrincipal,omitempty"`
	IssuingAccount    string                `json:"IssuingAccount"`
	Operations        []string              `json:"Operations"`
	Constraints       *kms.GrantConstraints `json:"Constraints,omitempty"`
}

func grantsResponse(out kms.ListGrantsOutput) listGrantsResponse {
	resp := listGrantsResponse{Grants: []grantListEntry{}, NextMarker: out.NextMarker, Truncated: out.Truncated}
	for _, g := range out.Grants {
		resp.Grants = append(resp.Grants, grantListEntry{KeyID: g.KeyID, GrantID: g.GrantID, Name: g.Name,
			CreationDate: ts(g.CreationDate), GranteePrincipal: g.GranteePrincipal, RetiringPrincipal: g.RetiringPrincipal,
			IssuingAccount: g.IssuingAccount, Operations: g.Operations, Constraints: g.Constraints})
	}
	return resp
}

// execute runs a decoded request against the store and returns the
// response document. Errors are the store's (kms.Exception sentinels, or
// faults).
func (h *handler) execute(ctx context.Context, c caller, req Request) (any, error) {
	st := h.cfg.Store
	switch r := req.(type) {
	case *createKeyRequest:
		keySpec := r.KeySpec
		if keySpec == "" {
			keySpec = r.CustomerMasterKeySpec
		}
		// A copy to point to: taking c's address would move c to the heap
		// on every call.
		principal := c.principal
		m, err := st.CreateKey(ctx, kms.CreateKeyInput{Description: r.Description, Policy: r.Policy, Tags: r.Tags,
			KeySpec: keySpec, KeyUsage: r.KeyUsage, Origin: r.Origin,
			Caller: &principal, CallerPolicies: c.policies, BypassPolicyLockoutSafetyCheck: r.BypassPolicyLockoutSafetyCheck})
		if err != nil {
			return nil, err
		}
		return keyMetadataResponse{metadata(m)}, nil
	case *describeKeyRequest:
		m, err := st.DescribeKey(ctx, r.KeyID)
		if err != nil {
			return nil, err
		}
		return keyMetadataResponse{metadata(m)}, nil
	case *listKeysRequest:
		out, err := st.ListKeys(ctx, r.Limit, r.Marker)
		if err != nil {
			return nil, err
		}
		resp := listKeysResponse{Keys: []keyListEntry{}, NextMarker: out.NextMarker, Truncated: out.Truncated}
		for _, k := range out.Keys {
			resp.Keys = append(resp.Keys, keyListEntry{KeyID: k.KeyID, KeyArn: k.KeyArn})
		}
		return resp, nil
	case *updateKeyDescriptionRequest:
		return empty{}, st.UpdateKeyDescription(ctx, r.KeyID, r.Description)
	case *enableKeyRequest:
		return empty{}, st.EnableKey(ctx, r.KeyID)
	case *disableKeyRequest:
		return empty{}, st.DisableKey(ctx, r.KeyID)
	case *scheduleKeyDeletionRequest:
		out, err := st.ScheduleKeyDeletion(ctx, r.KeyID, r.PendingWindowInDays)
		if err != nil {
			return nil, err
		}
		return scheduleKeyDeletionResponse{KeyID: out.KeyID, DeletionDate: ts(out.DeletionDate),
			KeyState: string(out.KeyState), PendingWindowInDays: out.PendingWindowInDays}, nil
	case *cancelKeyDeletionRequest:
		arn, err := st.CancelKeyDeletion(ctx, r.KeyID)
		return keyIDResponse{arn}, err
	case *createAliasRequest:
		return empty{}, st.CreateAlias(ctx, r.AliasName, r.TargetKeyID)
	case *updateAliasRequest:
		return empty{}, st.UpdateAlias(ctx, r.AliasName, r.TargetKeyID)
	case *deleteAliasRequest:
		return empty{}, st.DeleteAlias(ctx, r.AliasName)
	case *listAliasesRequest:
		out, err := st.ListAliases(ctx, r.KeyID, r.Limit, r.Marker)
		if err != nil {
			return nil, err
		}
		resp := listAliasesResponse{Aliases: []aliasListEntry{}, NextMarker: out.NextMarker, Truncated: out.Truncated}
		for _, a := range out.Aliases {
			resp.Aliases = append(resp.Aliases, aliasListEntry{AliasName: a.AliasName, AliasArn: a.AliasArn,
				TargetKeyID: a.TargetKeyID, CreationDate: ts(a.CreationDate), LastUpdatedDate: ts(a.LastUpdatedDate)})
		}
		return resp, nil
	case *generateDataKeyRequest:
		out, err := st.GenerateDataKey(ctx, kms.GenerateDataKeyInput{KeyID: r.KeyID, KeySpec: r.KeySpec,
			NumberOfBytes: r.NumberOfBytes, EncryptionContext: r.EncryptionContext})
		if err != nil {
			return nil, err
		}
		return generateDataKeyResponse{KeyID: out.KeyID, CiphertextBlob: out.CiphertextBlob, Plaintext: out.Plaintext}, nil
	case *generateDataKeyWithoutPlaintextRequest:
		out, err := st.GenerateDataKeyWithoutPlaintext(ctx, kms.GenerateDataKeyInput{KeyID: r.KeyID, KeySpec: r.KeySpec,
			NumberOfBytes: r.NumberOfBytes, EncryptionContext: r.EncryptionContext})
		if err != nil {
			return nil, err
		}
		return generateDataKeyResponse{KeyID: out.KeyID, CiphertextBlob: out.CiphertextBlob}, nil
	case *encryptRequest:
		out, err := st.Encrypt(ctx, kms.EncryptInput{KeyID: r.KeyID, Plaintext: r.Plaintext,
			EncryptionContext: r.EncryptionContext, EncryptionAlgorithm: r.EncryptionAlgorithm})
		if err != nil {
			return nil, err
		}
		return encryptResponse{KeyID: out.KeyID, CiphertextBlob: out.CiphertextBlob, EncryptionAlgorithm: out.EncryptionAlgorithm}, nil
	case *decryptRequest:
		out, err := st.Decrypt(ctx, kms.DecryptInput{CiphertextBlob: r.CiphertextBlob, EncryptionContext: r.EncryptionContext,
			KeyID: r.KeyID, EncryptionAlgorithm: r.EncryptionAlgorithm})
		if err != nil {
			return nil, err
		}
		return decryptResponse{KeyID: out.KeyID, Plaintext: out.Plaintext, EncryptionAlgorithm: out.EncryptionAlgorithm}, nil
	case *reEncryptRequest:
		out, err := st.ReEncrypt(ctx, kms.ReEncryptInput{CiphertextBlob: r.CiphertextBlob,
			SourceEncryptionContext: r.SourceEncryptionContext, SourceKeyID: r.SourceKeyID,
			DestinationKeyID: r.DestinationKeyID, DestinationEncryptionContext: r.DestinationEncryptionContext,
			SourceEncryptionAlgorithm: r.SourceEncryptionAlgorithm, DestinationEncryptionAlgorithm: r.DestinationEncryptionAlgorithm})
		if err != nil {
			return nil, err
		}
		return reEncryptResponse{CiphertextBlob: out.CiphertextBlob, SourceKeyID: out.SourceKeyID, KeyID: out.KeyID,
			SourceEncryptionAlgorithm: out.SourceEncryptionAlgorithm, DestinationEncryptionAlgorithm: out.DestinationEncryptionAlgorithm}, nil
	case *generateRandomRequest:
		b, err := st.GenerateRandom(r.NumberOfBytes)
		if err != nil {
			return nil, err
		}
		return generateRandomResponse{Plaintext: b}, nil
	case *enableKeyRotationRequest:
		return empty{}, st.EnableKeyRotation(ctx, r.KeyID, r.RotationPeriodInDays)
	case *disableKeyRotationRequest:
		return empty{}, st.DisableKeyRotation(ctx, r.KeyID)
	case *getKeyRotationStatusRequest:
		s, err := st.GetKeyRotationStatus(ctx, r.KeyID)
		if err != nil {
			return nil, err
		}
		return rotationStatusResponse{KeyID: s.KeyID, KeyRotationEnabled: s.KeyRotationEnabled,
			RotationPeriodInDays: s.RotationPeriodInDays, NextRotationDate: ts(s.NextRotationDate)}, nil
	case *rotateKeyOnDemandRequest:
		arn, err := st.RotateKeyOnDemand(ctx, r.KeyID)
		return keyIDResponse{arn}, err
	case *listKeyRotationsRequest:
		out, err := st.ListKeyRotations(ctx, r.KeyID, r.Limit, r.Marker)
		if err != nil {
			return nil, err
		}
		resp := listKeyRotationsResponse{Rotations: []rotationEntry{}, NextMarker: out.NextMarker, Truncated: out.Truncated}
		for _, x := range out.Rotations {
			resp.Rotations = append(resp.Rotations, rotationEntry{KeyID: x.KeyID, RotationDate: ts(x.RotationDate), RotationType: x.RotationType})
		}
		return resp, nil
	case *tagResourceRequest:
		return empty{}, st.TagResource(ctx, r.KeyID, r.Tags)
	case *untagResourceRequest:
		return empty{}, st.UntagResource(ctx, r.KeyID, r.TagKeys)
	case *listResourceTagsRequest:
		out, err := st.ListResourceTags(ctx, r.KeyID, r.Limit, r.Marker)
		if err != nil {
			return nil, err
		}
		return listResourceTagsResponse{Tags: out.Tags, NextMarker: out.NextMarker, Truncated: out.Truncated}, nil
	case *getKeyPolicyRequest:
		p, err := st.GetKeyPolicy(ctx, r.KeyID, r.PolicyName)
		if err != nil {
			return nil, err
		}
		return getKeyPolicyResponse{Policy: p, PolicyName: kms.DefaultPolicyName}, nil
	case *listKeyPoliciesRequest:
		names, err := st.ListKeyPolicies(ctx, r.KeyID)
		if err != nil {
			return nil, err
		}
		return listKeyPoliciesResponse{PolicyNames: names}, nil
	case *putKeyPolicyRequest:
		return empty{}, st.PutKeyPolicy(ctx, kms.PutKeyPolicyInput{KeyID: r.KeyID, PolicyName: r.PolicyName, Policy: r.Policy,
			BypassPolicyLockoutSafetyCheck: r.BypassPolicyLockoutSafetyCheck, Caller: c.principal, CallerPolicies: c.policies})
	case *createGrantRequest:
		in := r.input()
		in.IssuingAccount = c.principal.Account
		out, err := st.CreateGrant(ctx, in)
		if err != nil {
			return nil, err
		}
		return createGrantResponse{GrantID: out.GrantID, GrantToken: out.GrantToken}, nil
	case *listGrantsRequest:
		out, err := st.ListGrants(ctx, kms.ListGrantsInput{KeyID: r.KeyID, Limit: r.Limit, Marker: r.Marker,
			GrantID: r.GrantID, GranteePrincipal: r.GranteePrincipal})
		return grantsResponse(out), err
	case *listRetirableGrantsRequest:
		out, err := st.ListRetirableGrants(ctx, r.RetiringPrincipal, r.Limit, r.Marker)
		return grantsResponse(out), err
	case *retireGrantRequest:
		return empty{}, st.RetireGrant(ctx, kms.RetireGrantInput{GrantToken: r.GrantToken, KeyID: r.KeyID, GrantID: r.GrantID,
			Caller: c.principal, CallerPolicies: c.policies})
	case *revokeGrantRequest:
		return empty{}, st.RevokeGrant(ctx, r.KeyID, r.GrantID)
	}
	return nil, fmt.Errorf("kmsapi: no executor for %T", req)
}
