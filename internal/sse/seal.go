package sse

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
)

// Binding is what a sealed object key is bound to: it is the additional
// data of the seal, so the key opens only for the same mode, bucket and key.
type Binding struct {
	Mode   string // "AES256" (SSE-S3), "aws:kms" (SSE-KMS) or "SSE-C"
	Bucket string
	Key    string
}

// Sealed object key format, version 1 (frozen; see the package
// documentation).
const (
	sealedVersion1 = 0x01
	gcmNonceSize   = 12
	tagSize        = 16
	sealedSize     = 1 + gcmNonceSize + KeySize + tagSize
)

// SealKey seals objectKey (KeySize bytes) under kek (KeySize bytes) with
// AES-256-GCM and a nonce read from random (crypto/rand.Reader when nil),
// bound to b. The result is in the versioned format of the package
// documentation.
func SealKey(kek, objectKey []byte, b Binding, random io.Reader) ([]byte, error) {
	if len(objectKey) != KeySize {
		return nil, fmt.Errorf("sse: seal: object key must be %d bytes", KeySize)
	}
	switch b.Mode {
	case "AES256", "aws:kms", "SSE-C":
	default:
		return nil, fmt.Errorf("sse: seal: unknown mode %q", b.Mode)
	}
	if len(kek) != KeySize {
		return nil, fmt.Errorf("sse: seal: key-encryption key must be %d bytes", KeySize)
	}
	aead, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	if random == nil {
		random = rand.Reader
	}
	out := make([]byte, 1+gcmNonceSize, sealedSize)
	out[0] = sealedVersion1
	nonce := out[1 : 1+gcmNonceSize]
	if _, err := io.ReadFull(random, nonce); err != nil {
		return nil, fmt.Errorf("sse: seal: nonce: %w", err)
	}
	return aead.Seal(out, nonce, objectKey, bindingData(sealedVersion1, b)), nil
}

// UnsealKey returns the object key that SealKey sealed under kek for b.
// A wrong kek, another binding, or a sealed value that is not exactly one
// SealKey made (any changed, missing or extra byte, an unknown version)
// give an error wrapping ErrIntegrity; a kek that is not KeySize bytes
// gives another error.
func UnsealKey(kek, sealed []byte, b Binding) ([]byte, error) {
	if len(kek) != KeySize {
		return nil, fmt.Errorf("sse: unseal: key-encryption key must be %d bytes", KeySize)
	}
	aead, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	if len(sealed) != sealedSize || sealed[0] != sealedVersion1 {
		return nil, fmt.Errorf("sse: unseal: not a sealed object key (%d bytes): %w", len(sealed), ErrIntegrity)
	}
	nonce := sealed[1 : 1+gcmNonceSize]
	key, err := aead.Open(make([]byte, 0, KeySize+tagSize), nonce, sealed[1+gcmNonceSize:], bindingData(sealedVersion1, b))
	if err != nil {
		return nil, fmt.Errorf("sse: unseal: wrong key-encryption key, binding or data: %w", ErrIntegrity)
	}
	return key, nil
}

// bindingData is the additional data of a sealed key: the version and the
// binding's fields, each preceded by its length so that no two bindings
// encode alike.
func bindingData(version byte, b Binding) []byte {
	ad := make([]byte, 0, 1+3*4+len(b.Mode)+len(b.Bucket)+len(b.Key))
	ad = append(ad, version)
	for _, s := range []string{b.Mode, b.Bucket, b.Key} {
		ad = binary.BigEndian.AppendUint32(ad, uint32(len(s)))
		ad = append(ad, s...)
	}
	return ad
}

// newGCM returns AES-256-GCM (key of KeySize bytes) with the standard
// nonce and tag sizes.
func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sse: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sse: %w", err)
	}
	return aead, nil
}
