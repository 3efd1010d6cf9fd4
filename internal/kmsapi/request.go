package kmsapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/coffer-project/coffer/internal/kms"
)

// targetPrefix is the X-Amz-Target prefix of every AWS KMS operation.
const targetPrefix = "TrentService."

// Request is one decoded KMS request. Its concrete type names the
// operation; the fields are those of the AWS KMS API reference.
type Request interface {
	// Operation returns the AWS operation name, such as "Encrypt".
	Operation() string
}

// Errors of DecodeRequest, each the AWS exception the client receives.
const (
	errUnknownOperation kms.Exception = "UnknownOperationException"
	errSerialization    kms.Exception = "SerializationException"
)

// DecodeRequest parses the X-Amz-Target header value and the JSON body into
// the operation's typed request. It is pure and never panics. Errors wrap
// UnknownOperationException (no such operation), SerializationException
// (not one JSON object of the operation's shape: bad syntax, wrong types,
// unknown fields, trailing data) or kms.ErrValidation (a value AWS rejects
// before looking at keys, such as a negative limit).
func DecodeRequest(target string, body []byte) (Request, error) {
	name, ok := strings.CutPrefix(target, targetPrefix)
	if !ok {
		return nil, fmt.Errorf("kmsapi: unknown target %.100q: %w", target, errUnknownOperation)
	}
	req := newRequest(name)
	if req == nil {
		return nil, fmt.Errorf("kmsapi: unknown operation %.100q: %w", name, errUnknownOperation)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}") // the CLI sends no body for parameterless calls
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(req); err != nil {
		return nil, fmt.Errorf("kmsapi: %s: %s: %w", name, jsonProblem(err), errSerialization)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("kmsapi: %s: data after the JSON object: %w", name, errSerialization)
	}
	if v, ok := req.(interface{ validate() error }); ok {
		if err := v.validate(); err != nil {
			return nil, err
		}
	}
	return req, nil
}

// jsonProblem describes a decoding error without echoing input at length.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %.100s: expected %s, got %s", te.Field, te.Type, te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at offset %d", se.Offset)
	}
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

// newRequest returns a pointer to the zero request of the named operation,
// or nil if this service does not implement it.
func newRequest(name string) Request {
	switch name {
	case "CreateKey":
		return &createKeyRequest{}
	case "DescribeKey":
		return &describeKeyRequest{}
	case "ListKeys":
		return &listKeysRequest{}
	case "UpdateKeyDescription":
		return &updateKeyDescriptionRequest{}
	case "EnableKey":
		return &enableKeyRequest{}
	case "DisableKey":
		return &disableKeyRequest{}
	case "ScheduleKeyDeletion":
		return &scheduleKeyDeletionRequest{}
	case "CancelKeyDeletion":
		return &cancelKeyDeletionRequest{}
	case "CreateAlias":
		return &createAliasRequest{}
	case "UpdateAlias":
		return &updateAliasRequest{}
	case "DeleteAlias":
		return &deleteAliasRequest{}
	case "ListAliases":
		return &listAliasesRequest{}
	case "GenerateDataKey":
		return &generateDataKeyRequest{}
	case "GenerateDataKeyWithoutPlaintext":
		return &generateDataKeyWithoutPlaintextRequest{}
	case "Encrypt":
		return &encryptRequest{}
	case "Decrypt":
		return &decryptRequest{}
	case "ReEncrypt":
		return &reEncryptRequest{}
	case "GenerateRandom":
		return &generateRandomRequest{}
	case "EnableKeyRotation":
		return &enableKeyRotationRequest{}
	case "DisableKeyRotation":
		return &disableKeyRotationRequest{}
	case "GetKeyRotationStatus":
		return &getKeyRotationStatusRequest{}
	case "RotateKeyOnDemand":
		return &rotateKeyOnDemandRequest{}
	case "ListKeyRotations":
		return &listKeyRotationsRequest{}
	case "ListResourceTags":
		return &listResourceTagsRequest{}
	case "TagResource":
		return &tagResourceRequest{}
	case "UntagResource":
		return &untagResourceRequest{}
	case "GetKeyPolicy":
		return &getKeyPolicyRequest{}
	case "ListKeyPolicies":
		return &listKeyPoliciesRequest{}
	case "PutKeyPolicy":
		return &putKeyPolicyRequest{}
	case "CreateGrant":
		return &createGrantRequest{}
	case "ListGrants":
		return &listGrantsRequest{}
	case "ListRetirableGrants":
		return &listRetirableGrantsRequest{}
	case "RetireGrant":
		return &retireGrantRequest{}
	case "RevokeGrant":
		return &revokeGrantRequest{}
	}
	return nil
}

// Fields every cryptographic request may carry. GrantTokens are accepted
// and ignored until grants exist; DryRun and Recipient (Nitro enclave
// attestation) are not implemented.
type cryptoCommon struct {
	GrantTokens []string        `json:"GrantTokens,omitempty"`
	DryRun      bool            `json:"DryRun,omitempty"`
	Recipient   json.RawMessage `json:"Recipient,omitempty"`
}

func (c *cryptoCommon) validate() error {
	switch {
	case c.DryRun:
		return fmt.Errorf("kmsapi: DryRun is not supported: %w", kms.ErrUnsupportedOp)
	case c.Recipient != nil:
		return fmt.Errorf("kmsapi: Recipient is not supported: %w", kms.ErrUnsupportedOp)
	case len(c.GrantTokens) > 10:
		return fmt.Errorf("kmsapi: at most 10 GrantTokens: %w", kms.ErrValidation)
	}
	return nil
}

// paging is the Limit/Marker pair of the List operations.
type paging struct {
	Limit  int    `json:"Limit,omitempty"`
	Marker string `json:"Marker,omitempty"`
}

func (p *paging) validate() error {
	if p.Limit < 0 {
		return fmt.Errorf("kmsapi: Limit must be positive: %w", kms.ErrValidation)
	}
	return nil
}

type createKeyRequest struct {
	Policy                         string    `json:"Policy,omitempty"`
	Description                    string    `json:"Description,omitempty"`
	KeyUsage                       string    `json:"KeyUsage,omitempty"`
	CustomerMasterKeySpec          string    `json:"CustomerMasterKeySpec,omitempty"`
	KeySpec                        string    `json:"KeySpec,omitempty"`
	Origin                         string    `json:"Origin,omitempty"`
	CustomKeyStoreID               string    `json:"CustomKeyStoreId,omitempty"`
	BypassPolicyLockoutSafetyCheck bool      `json:"BypassPolicyLockoutSafetyCheck,omitempty"`
	Tags                           []kms.Tag `json:"Tags,omitempty"`
	MultiRegion                    bool      `json:"MultiRegion,omitempty"`
	XksKeyID                       string    `json:"XksKeyId,omitempty"`
}

func (*createKeyRequest) Operation() string { return "CreateKey" }

func (r *createKeyRequest) validate() error {
	switch {
	case r.KeySpec != "" && r.CustomerMasterKeySpec != "" && r.KeySpec != r.CustomerMasterKeySpec:
		return fmt.Errorf("kmsapi: KeySpec and CustomerMasterKeySpec differ: %w", kms.ErrValidation)
	case r.MultiRegion:
		return fmt.Errorf("kmsapi: multi-Region keys are not supported: %w", kms.ErrUnsupportedOp)
	case r.CustomKeyStoreID != "" || r.XksKeyID != "":
		return fmt.Errorf("kmsapi: custom key stores are not supported: %w", kms.ErrUnsupportedOp)
	}
	return nil
}

type keyRef struct {
	KeyID string `json:"KeyId"`
}

type describeKeyRequest struct {
	keyRef
	GrantTokens []string `json:"GrantTokens,omitempty"`
}

func (*describeKeyRequest) Operation() string { return "DescribeKey" }

type listKeysRequest struct{ paging }

func (*listKeysRequest) Operation() string { return "ListKeys" }

type updateKeyDescriptionRequest struct {
	keyRef
	Description string `json:"Description"`
}

func (*updateKeyDescriptionRequest) Operation() string { return "UpdateKeyDescription" }

type enableKeyRequest struct{ keyRef }

func (*enableKeyRequest) Operation() string { return "EnableKey" }

type disableKeyRequest struct{ keyRef }

func (*disableKeyRequest) Operation() string { return "DisableKey" }

type scheduleKeyDeletionRequest struct {
	keyRef
	PendingWindowInDays int `json:"PendingWindowInDays,omitempty"`
}

func (*scheduleKeyDeletionRequest) Operation() string { return "ScheduleKeyDeletion" }

type cancelKeyDeletionRequest struct{ keyRef }

func (*cancelKeyDeletionRequest) Operation() string { return "CancelKeyDeletion" }

type createAliasRequest struct {
	AliasName   string `json:"AliasName"`
	TargetKeyID string `json:"TargetKeyId"`
}

func (*createAliasRequest) Operation() string { return "CreateAlias" }

type updateAliasRequest struct {
	AliasName   string `json:"AliasName"`
	TargetKeyID string `json:"TargetKeyId"`
}

func (*updateAliasRequest) Operation() string { return "UpdateAlias" }

type deleteAliasRequest struct {
	AliasName string `json:"AliasName"`
}

func (*deleteAliasRequest) Operation() string { return "DeleteAlias" }

type listAliasesRequest struct {
	KeyID string `json:"KeyId,omitempty"`
	paging
}

func (*listAliasesRequest) Operation() string { return "ListAliases" }

type generateDataKeyRequest struct {
	keyRef
	EncryptionContext map[string]string `json:"EncryptionContext,omitempty"`
	NumberOfBytes     int               `json:"NumberOfBytes,omitempty"`
	KeySpec           string            `json:"KeySpec,omitempty"`
	cryptoCommon
}

func (*generateDataKeyRequest) Operation() string { return "GenerateDataKey" }

type generateDataKeyWithoutPlaintextRequest struct {
	keyRef
	EncryptionContext map[string]string `json:"EncryptionContext,omitempty"`
	NumberOfBytes     int               `json:"NumberOfBytes,omitempty"`
	KeySpec           string            `json:"KeySpec,omitempty"`
	cryptoCommon
}

func (*generateDataKeyWithoutPlaintextRequest) Operation() string {
	return "GenerateDataKeyWithoutPlaintext"
}

type encryptRequest struct {
	keyRef
	Plaintext           []byte            `json:"Plaintext"`
	EncryptionContext   map[string]string `json:"EncryptionContext,omitempty"`
	EncryptionAlgorithm string            `json:"EncryptionAlgorithm,omitempty"`
	cryptoCommon
}

func (*encryptRequest) Operation() string { return "Encrypt" }

type decryptRequest struct {
	CiphertextBlob      []byte            `json:"CiphertextBlob"`
	EncryptionContext   map[string]string `json:"EncryptionContext,omitempty"`
	KeyID               string            `json:"KeyId,omitempty"`
	EncryptionAlgorithm string            `json:"EncryptionAlgorithm,omitempty"`
	cryptoCommon
}

func (*decryptRequest) Operation() string { return "Decrypt" }

type reEncryptRequest struct {
	CiphertextBlob                 []byte            `json:"CiphertextBlob"`
	SourceEncryptionContext        map[string]string `json:"SourceEncryptionContext,omitempty"`
	SourceKeyID                    string            `json:"SourceKeyId,omitempty"`
	DestinationKeyID               string            `json:"DestinationKeyId"`
	DestinationEncryptionContext   map[string]string `json:"DestinationEncryptionContext,omitempty"`
	SourceEncryptionAlgorithm      string            `json:"SourceEncryptionAlgorithm,omitempty"`
	DestinationEncryptionAlgorithm string            `json:"DestinationEncryptionAlgorithm,omitempty"`
	cryptoCommon
}

func (*reEncryptRequest) Operation() string { return "ReEncrypt" }

type generateRandomRequest struct {
	NumberOfBytes    int             `json:"NumberOfBytes,omitempty"`
	CustomKeyStoreID string          `json:"CustomKeyStoreId,omitempty"`
	Recipient        json.RawMessage `json:"Recipient,omitempty"`
}

func (*generateRandomRequest) Operation() string { return "GenerateRandom" }

func (r *generateRandomRequest) validate() error {
	if r.CustomKeyStoreID != "" || r.Recipient != nil {
		return fmt.Errorf("kmsapi: CustomKeyStoreId and Recipient are not supported: %w", kms.ErrUnsupportedOp)
	}
	return nil
}

type enableKeyRotationRequest struct {
	keyRef
	RotationPeriodInDays int `json:"RotationPeriodInDays,omitempty"`
}

func (*enableKeyRotationRequest) Operation() string { return "EnableKeyRotation" }

type disableKeyRotationRequest struct{ keyRef }

func (*disableKeyRotationRequest) Operation() string { return "DisableKeyRotation" }

type getKeyRotationStatusRequest struct{ keyRef }

func (*getKeyRotationStatusRequest) Operation() string { return "GetKeyRotationStatus" }

type rotateKeyOnDemandRequest struct{ keyRef }

func (*rotateKeyOnDemandRequest) Operation() string { return "RotateKeyOnDemand" }

type listKeyRotationsRequest struct {
	keyRef
	IncludeKeyMaterial string `json:"IncludeKeyMaterial,omitempty"`
	paging
}

func (*listKeyRotationsRequest) Operation() string { return "ListKeyRotations" }

type listResourceTagsRequest struct {
	keyRef
	paging
}

func (*listResourceTagsRequest) Operation() string { return "ListResourceTags" }

type tagResourceRequest struct {
	keyRef
	Tags []kms.Tag `json:"Tags"`
}

func (*tagResourceRequest) Operation() string { return "TagResource" }

type untagResourceRequest struct {
	keyRef
	TagKeys []string `json:"TagKeys"`
}

func (*untagResourceRequest) Operation() string { return "UntagResource" }

type getKeyPolicyRequest struct {
	keyRef
	PolicyName string `json:"PolicyName,omitempty"`
}

func (*getKeyPolicyRequest) Operation() string { return "GetKeyPolicy" }

type listKeyPoliciesRequest struct {
	keyRef
	paging
}

func (*listKeyPoliciesRequest) Operation() string { return "ListKeyPolicies" }

type putKeyPolicyRequest struct {
	keyRef
	PolicyName                     string `json:"PolicyName,omitempty"`
	Policy                         string `json:"Policy"`
	BypassPolicyLockoutSafetyCheck bool   `json:"BypassPolicyLockoutSafetyCheck,omitempty"`
}

func (*putKeyPolicyRequest) Operation() string { return "PutKeyPolicy" }

// dryRun is the DryRun flag of the grant operations, not implemented.
type dryRun struct {
	DryRun bool `json:"DryRun,omitempty"`
}

func (d *dryRun) validate() error {
	if d.DryRun {
		return fmt.Errorf("kmsapi: DryRun is not supported: %w", kms.ErrUnsupportedOp)
	}
	return nil
}

type createGrantRequest struct {
	keyRef
	GranteePrincipal  string                `json:"GranteePrincipal"`
	RetiringPrincipal string                `json:"RetiringPrincipal,omitempty"`
	Operations        []string              `json:"Operations"`
	Constraints       *kms.GrantConstraints `json:"Constraints,omitempty"`
	GrantTokens       []string              `json:"GrantTokens,omitempty"`
	Name              string                `json:"Name,omitempty"`
	dryRun
}

func (*createGrantRequest) Operation() string { return "CreateGrant" }

// input is the store's view of the grant asked for.
func (r *createGrantRequest) input() kms.CreateGrantInput {
	return kms.CreateGrantInput{KeyID: r.KeyID, GranteePrincipal: r.GranteePrincipal, RetiringPrincipal: r.RetiringPrincipal,
		Operations: r.Operations, Constraints: r.Constraints, Name: r.Name}
}

type listGrantsRequest struct {
	keyRef
	paging
	GrantID          string `json:"GrantId,omitempty"`
	GranteePrincipal string `json:"GranteePrincipal,omitempty"`
}

func (*listGrantsRequest) Operation() string { return "ListGrants" }

type listRetirableGrantsRequest struct {
	paging
	RetiringPrincipal string `json:"RetiringPrincipal"`
}

func (*listRetirableGrantsRequest) Operation() string { return "ListRetirableGrants" }

type retireGrantRequest struct {
	GrantToken string `json:"GrantToken,omitempty"`
	KeyID      string `json:"KeyId,omitempty"`
	GrantID    string `json:"GrantId,omitempty"`
	dryRun
}

func (*retireGrantRequest) Operation() string { return "RetireGrant" }

type revokeGrantRequest struct {
	keyRef
	GrantID string `json:"GrantId"`
	dryRun
}

func (*revokeGrantRequest) Operation() string { return "RevokeGrant" }
