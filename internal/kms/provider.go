package kms

import (
	"context"
	"log/slog"
)

// Provider is what encryption at rest needs of a key management service.
type Provider interface {
	// GenerateDataKey returns a fresh 256-bit data key in plaintext and
	// sealed under the KMS key keyID (id, ARN, alias name or alias ARN),
	// bound to the encryption context ec, with the ARN of that key. The
	// caller clears the plaintext after use. Errors wrap the Exception the
	// service answered (ErrNotFound, ErrDisabled, ErrInvalidState, …), or
	// ErrUnavailable when no answer came: the service could not be
	// reached, timed out, or failed (5xx) on every attempt.
	GenerateDataKey(ctx context.Context, keyID string, ec map[string]string) (DataKey, error)
	// Decrypt returns the plaintext of a ciphertext blob from
	// GenerateDataKey; ec must equal the context it was made with, else
	// the error wraps ErrInvalidCiphertext. Other errors as GenerateDataKey.
	Decrypt(ctx context.Context, ciphertext []byte, ec map[string]string) ([]byte, error)
}

// DataKey is a data key from Provider.GenerateDataKey.
type DataKey struct {
	// Plaintext is the 32-byte key; the caller clears it after use.
	Plaintext []byte
	// Ciphertext is Plaintext sealed under the KMS key, for Decrypt.
	Ciphertext []byte
	// KeyARN is the ARN of the KMS key, also when an alias named it: what
	// S3 reports in x-amz-server-side-encryption-aws-kms-key-id.
	KeyARN string
}

// LogValue implements slog.LogValuer: the plaintext is never logged.
func (k DataKey) LogValue() slog.Value {
	return slog.GroupValue(slog.String("key_arn", k.KeyARN), slog.Attr{Key: "plaintext", Value: redacted()},
		slog.Int("ciphertext_len", len(k.Ciphertext)))
}
