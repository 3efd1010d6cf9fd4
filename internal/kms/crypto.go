package kms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
)

// Data key specs and size limits.
const (
	DataKeySpecAES256 = "AES_256"
	DataKeySpecAES128 = "AES_128"
	MaxNumberOfBytes  = 1024
)

// redacted is how secret fields appear in logs.
func redacted() slog.Value { return slog.StringValue("REDACTED") }

func checkAlgorithm(a string) error {
	switch a {
	case "", AlgorithmSymmetric:
		return nil
	case "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE":
		return fmt.Errorf("kms: %s is not valid for a symmetric key: %w", a, ErrInvalidKeyUsage)
	default:
		return fmt.Errorf("kms: invalid EncryptionAlgorithm %q: %w", a, ErrValidation)
	}
}

// current loads the key named by ref for encryption and its current
// material, creating a managed key on first use; the caller clears the
// material.
func (s *Store) current(ctx context.Context, ref string) (keyRow, []byte, error) {
	var (
		k      keyRow
		sealed []byte
	)
	err := s.withManagedKey(ctx, ref, func() error {
		return s.read(ctx, func(r keyReader) error {
			var err error
			if k, err = r.key(ctx, ref); err != nil {
				return err
			}
			if err := k.usable(); err != nil {
				return err
			}
			sealed, err = r.sealed(ctx, k.id, k.currentVersion)
			return err
		})
	})
	if err != nil {
		return k, nil, err
	}
	m, err := s.unseal(k.id, k.currentVersion, sealed)
	return k, m, err
}

// seal encrypts plaintext under the current material of the key ref names.
func (s *Store) seal(ctx context.Context, ref string, plaintext []byte, ec map[string]string) (blob []byte, arn string, err error) {
	k, m, err := s.current(ctx, ref)
	if err != nil {
		return nil, "", err
	}
	defer clear(m)
	var nonce [nonceSize]byte
	if _, err := io.ReadFull(s.rand, nonce[:]); err != nil {
		return nil, "", fmt.Errorf("kms: nonce: %w", err)
	}
	blob, err = sealBlob(m, k.id, k.currentVersion, nonce, plaintext, ec)
	return blob, k.arn, err
}

// open decrypts a blob. keyRef, if not empty, must name the blob's key.
func (s *Store) open(ctx context.Context, blob []byte, keyRef string, ec map[string]string) (plaintext []byte, arn string, err error) {
	c, err := parseCiphertext(blob)
	if err != nil {
		return nil, "", err
	}
	var (
		k      keyRow
		sealed []byte
	)
	err = s.read(ctx, func(r keyReader) error {
		var err error
		if k, err = r.key(ctx, c.keyID.String()); errors.Is(err, ErrNotFound) {
			return fmt.Errorf("kms: ciphertext names an unknown key: %w", ErrInvalidCiphertext)
		} else if err != nil {
			return err
		}
		if keyRef != "" {
			want, err := r.key(ctx, keyRef)
			if err != nil {
				return err
			}
			if want.id != k.id {
				return fmt.Errorf("kms: ciphertext was not encrypted under %s: %w", want.arn, ErrIncorrectKey)
			}
		}
		if err := k.usable(); err != nil {
			return err
		}
		sealed, err = r.sealed(ctx, k.id, c.version)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	m, err := s.unseal(k.id, c.version, sealed)
	if err != nil {
		return nil, "", err
	}
	defer clear(m)
	plaintext, err = openBlob(m, c, ec)
	return plaintext, k.arn, err
}

// GenerateDataKeyInput is the input of GenerateDataKey. Exactly one of
// KeySpec and NumberOfBytes is set.
type GenerateDataKeyInput struct {
	KeyID             string // id, ARN, alias name or alias ARN
	KeySpec           string // DataKeySpecAES256 or DataKeySpecAES128
	NumberOfBytes     int    // 1–1024
	EncryptionContext map[string]string
}

func (in *GenerateDataKeyInput) size() (int, error) {
	switch {
	case in.KeySpec != "" && in.NumberOfBytes != 0:
		return 0, fmt.Errorf("kms: KeySpec and NumberOfBytes are mutually exclusive: %w", ErrValidation)
	case in.KeySpec == DataKeySpecAES256:
		return 32, nil
	case in.KeySpec == DataKeySpecAES128:
		return 16, nil
	case in.KeySpec != "":
		return 0, fmt.Errorf("kms: invalid KeySpec %q: %w", in.KeySpec, ErrValidation)
	case in.NumberOfBytes < 1 || in.NumberOfBytes > MaxNumberOfBytes:
		return 0, fmt.Errorf("kms: KeySpec or NumberOfBytes (1–%d) is required: %w", MaxNumberOfBytes, ErrValidation)
	}
	return in.NumberOfBytes, nil
}

// GenerateDataKeyOutput is a data key in plaintext and sealed under the KMS
// key. The caller clears Plaintext when done.
type GenerateDataKeyOutput struct {
	KeyID          string // ARN
	Plaintext      []byte
	CiphertextBlob []byte
}

// LogValue implements slog.LogValuer: Plaintext is never logged.
func (o GenerateDataKeyOutput) LogValue() slog.Value {
	return slog.GroupValue(slog.String("KeyId", o.KeyID), slog.Attr{Key: "Plaintext", Value: redacted()},
		slog.Int("CiphertextBlobLen", len(o.CiphertextBlob)))
}

// GenerateDataKey returns a fresh random data key in plaintext and sealed
// under the key with the encryption context. A managed key
// (AWSManagedS3Alias, S3OwnedAlias) is created on first use, here and in
// Encrypt and ReEncrypt (destination). Errors: ErrValidation, ErrNotFound,
// ErrDisabled, ErrInvalidState.
func (s *Store) GenerateDataKey(ctx context.Context, in GenerateDataKeyInput) (GenerateDataKeyOutput, error) {
	n, err := in.size()
	if err != nil {
		return GenerateDataKeyOutput{}, err
	}
	dk := make([]byte, n)
	if _, err := io.ReadFull(s.rand, dk); err != nil {
		return GenerateDataKeyOutput{}, fmt.Errorf("kms: data key: %w", err)
	}
	blob, arn, err := s.seal(ctx, in.KeyID, dk, in.EncryptionContext)
	if err != nil {
		clear(dk)
		return GenerateDataKeyOutput{}, err
	}
	return GenerateDataKeyOutput{KeyID: arn, Plaintext: dk, CiphertextBlob: blob}, nil
}

// GenerateDataKeyWithoutPlaintext is GenerateDataKey returning only the
// sealed data key (KeyID and CiphertextBlob).
func (s *Store) GenerateDataKeyWithoutPlaintext(ctx context.Context, in GenerateDataKeyInput) (GenerateDataKeyOutput, error) {
	out, err := s.GenerateDataKey(ctx, in)
	clear(out.Plaintext)
	out.Plaintext = nil
	return out, err
}

// EncryptInput is the input of Encrypt.
type EncryptInput struct {
	KeyID               string // id, ARN, alias name or alias ARN
	Plaintext           []byte // 1–4096 bytes
	EncryptionContext   map[string]string
	EncryptionAlgorithm string // "" or SYMMETRIC_DEFAULT
}

// LogValue implements slog.LogValuer: Plaintext is never logged.
func (in EncryptInput) LogValue() slog.Value {
	return slog.GroupValue(slog.String("KeyId", in.KeyID), slog.Attr{Key: "Plaintext", Value: redacted()})
}

// EncryptOutput is the result of Encrypt.
type EncryptOutput struct {
	KeyID               string // ARN
	CiphertextBlob      []byte
	EncryptionAlgorithm string
}

// Encrypt seals up to 4096 bytes under the key's current material.
// Errors: ErrValidation, ErrInvalidKeyUsage, ErrNotFound, ErrDisabled,
// ErrInvalidState.
func (s *Store) Encrypt(ctx context.Context, in EncryptInput) (EncryptOutput, error) {
	if err := checkAlgorithm(in.EncryptionAlgorithm); err != nil {
		return EncryptOutput{}, err
	}
	if len(in.Plaintext) < 1 || len(in.Plaintext) > MaxPlaintextSize {
		return EncryptOutput{}, fmt.Errorf("kms: plaintext must be 1–%d bytes: %w", MaxPlaintextSize, ErrValidation)
	}
	blob, arn, err := s.seal(ctx, in.KeyID, in.Plaintext, in.EncryptionContext)
	if err != nil {
		return EncryptOutput{}, err
	}
	return EncryptOutput{KeyID: arn, CiphertextBlob: blob, EncryptionAlgorithm: AlgorithmSymmetric}, nil
}

// DecryptInput is the input of Decrypt.
type DecryptInput struct {
	CiphertextBlob      []byte
	EncryptionContext   map[string]string // exactly the one used to encrypt
	KeyID               string            // optional; if set, must name the blob's key
	EncryptionAlgorithm string
}

// DecryptOutput is the result of Decrypt. The caller clears Plaintext.
type DecryptOutput struct {
	KeyID               string // ARN
	Plaintext           []byte
	EncryptionAlgorithm string
}

// LogValue implements slog.LogValuer: Plaintext is never logged.
func (o DecryptOutput) LogValue() slog.Value {
	return slog.GroupValue(slog.String("KeyId", o.KeyID), slog.Attr{Key: "Plaintext", Value: redacted()})
}

// Decrypt opens a blob made by Encrypt or GenerateDataKey, with whatever
// material version it names. Errors: ErrInvalidCiphertext (malformed,
// altered, wrong encryption context, unknown key or version),
// ErrIncorrectKey, ErrNotFound (KeyID), ErrDisabled, ErrInvalidState,
// ErrValidation, ErrInvalidKeyUsage.
func (s *Store) Decrypt(ctx context.Context, in DecryptInput) (DecryptOutput, error) {
	if err := checkAlgorithm(in.EncryptionAlgorithm); err != nil {
		return DecryptOutput{}, err
	}
	p, arn, err := s.open(ctx, in.CiphertextBlob, in.KeyID, in.EncryptionContext)
	if err != nil {
		return DecryptOutput{}, err
	}
	return DecryptOutput{KeyID: arn, Plaintext: p, EncryptionAlgorithm: AlgorithmSymmetric}, nil
}

// ReEncryptInput is the input of ReEncrypt.
type ReEncryptInput struct {
	CiphertextBlob                 []byte
	SourceEncryptionContext        map[string]string
	SourceKeyID                    string // optional, as DecryptInput.KeyID
	DestinationKeyID               string // required
	DestinationEncryptionContext   map[string]string
	SourceEncryptionAlgorithm      string
	DestinationEncryptionAlgorithm string
}

// ReEncryptOutput is the result of ReEncrypt.
type ReEncryptOutput struct {
	CiphertextBlob                 []byte
	SourceKeyID                    string // ARN
	KeyID                          string // ARN of the destination key
	SourceEncryptionAlgorithm      string
	DestinationEncryptionAlgorithm string
}

// ReEncrypt decrypts a blob and encrypts its plaintext under the
// destination key and context, without the plaintext leaving the service.
// Errors: those of Decrypt for the source and of Encrypt for the destination.
func (s *Store) ReEncrypt(ctx context.Context, in ReEncryptInput) (ReEncryptOutput, error) {
	if err := errors.Join(checkAlgorithm(in.SourceEncryptionAlgorithm), checkAlgorithm(in.DestinationEncryptionAlgorithm)); err != nil {
		return ReEncryptOutput{}, firstError(err)
	}
	if in.DestinationKeyID == "" {
		return ReEncryptOutput{}, fmt.Errorf("kms: DestinationKeyId is required: %w", ErrValidation)
	}
	p, srcARN, err := s.open(ctx, in.CiphertextBlob, in.SourceKeyID, in.SourceEncryptionContext)
	if err != nil {
		return ReEncryptOutput{}, err
	}
	defer clear(p)
	blob, dstARN, err := s.seal(ctx, in.DestinationKeyID, p, in.DestinationEncryptionContext)
	if err != nil {
		return ReEncryptOutput{}, err
	}
	return ReEncryptOutput{CiphertextBlob: blob, SourceKeyID: srcARN, KeyID: dstARN,
		SourceEncryptionAlgorithm: AlgorithmSymmetric, DestinationEncryptionAlgorithm: AlgorithmSymmetric}, nil
}

// GenerateRandom returns n (1–1024) random bytes. Errors: ErrValidation.
func (s *Store) GenerateRandom(n int) ([]byte, error) {
	if n < 1 || n > MaxNumberOfBytes {
		return nil, fmt.Errorf("kms: NumberOfBytes must be 1–%d: %w", MaxNumberOfBytes, ErrValidation)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return nil, fmt.Errorf("kms: random: %w", err)
	}
	return b, nil
}
