package iam

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"

	"github.com/coffer-project/coffer/internal/kms"
	"github.com/coffer-project/coffer/internal/meta"
)

// Sealer encrypts the secrets IAM stores (secret access keys). aad binds a
// sealed value to what it belongs to.
type Sealer interface {
	Seal(ctx context.Context, plaintext, aad []byte) ([]byte, error)
	Open(ctx context.Context, sealed, aad []byte) ([]byte, error)
}

// sealVersion is the first byte of a sealed value: version 1 is
// AES-256-GCM, 12-byte random nonce, then ciphertext and tag.
const sealVersion = 1

// KeySealer seals with a fixed 256-bit key.
type KeySealer struct{ aead cipher.AEAD }

// NewKeySealer returns a sealer over key (32 bytes).
func NewKeySealer(key []byte) (*KeySealer, error) {
	if len(key) != 32 {
		return nil, errors.New("iam: sealing key must be 32 bytes")
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	return &KeySealer{aead: aead}, nil
}

// Seal implements Sealer.
func (k *KeySealer) Seal(_ context.Context, plaintext, aad []byte) ([]byte, error) {
	out := make([]byte, 1+k.aead.NonceSize(), 1+k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return k.aead.Seal(out, out[1:], plaintext, aad), nil
}

// Open implements Sealer.
func (k *KeySealer) Open(_ context.Context, sealed, aad []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < 1+n+k.aead.Overhead() || sealed[0] != sealVersion {
		return nil, errors.New("iam: sealed secret: unknown format")
	}
	p, err := k.aead.Open(nil, sealed[1:1+n], sealed[1+n:], aad)
	if err != nil {
		return nil, errors.New("iam: sealed secret: authentication failed")
	}
	return p, nil
}

// KMSSealer seals with a key that only the KMS can unwrap: a data key
// generated once under KeyID and stored, encrypted, as a server secret
// in the metadata store. The plaintext key is fetched from the KMS on
// first use and kept in memory; until the KMS answers, IAM users cannot
// sign requests (the first account's root, a configured credential, can).
type KMSSealer struct {
	KMS   kms.Provider
	Store meta.AccountStore
	// KeyID is the KMS key (the S3-owned key, alias/aws/s3-owned).
	KeyID string

	mu  sync.Mutex
	key *KeySealer
}

// sealingKeyName is the server secret holding the encrypted sealing key,
// and sealingContext its KMS encryption context.
const sealingKeyName = "iam-sealing-key"

var sealingContext = map[string]string{"coffer:purpose": "iam-secrets"}

func (k *KMSSealer) sealer(ctx context.Context) (*KeySealer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.key != nil {
		return k.key, nil
	}
	ct, ok, err := k.Store.ServerSecret(ctx, sealingKeyName)
	if err != nil {
		return nil, err
	}
	var plain []byte
	if !ok {
		dk, err := k.KMS.GenerateDataKey(ctx, k.KeyID, sealingContext)
		if err != nil {
			return nil, fmt.Errorf("iam: sealing key: %w", err)
		}
		stored, err := k.Store.PutServerSecret(ctx, sealingKeyName, dk.Ciphertext)
		if err != nil {
			clear(dk.Plaintext)
			return nil, err
		}
		if string(stored) == string(dk.Ciphertext) {
			plain = dk.Plaintext
		} else {
			clear(dk.Plaintext) // another process stored its key first
			ct = stored
		}
	}
	if plain == nil {
		if plain, err = k.KMS.Decrypt(ctx, ct, sealingContext); err != nil {
			return nil, fmt.Errorf("iam: sealing key: %w", err)
		}
	}
	defer clear(plain)
	if k.key, err = NewKeySealer(plain); err != nil {
		return nil, err
	}
	return k.key, nil
}

// Seal implements Sealer.
func (k *KMSSealer) Seal(ctx context.Context, plaintext, aad []byte) ([]byte, error) {
	s, err := k.sealer(ctx)
	if err != nil {
		return nil, err
	}
	return s.Seal(ctx, plaintext, aad)
}

// Open implements Sealer.
func (k *KMSSealer) Open(ctx context.Context, sealed, aad []byte) ([]byte, error) {
	s, err := k.sealer(ctx)
	if err != nil {
		return nil, err
	}
	return s.Open(ctx, sealed, aad)
}

// secretAAD binds a sealed secret to its access key and account.
func secretAAD(account, accessKeyID string) []byte {
	return []byte("coffer iam secret v1\x00" + account + "\x00" + accessKeyID)
}
