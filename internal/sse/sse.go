package sse

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// Sizes. Frozen: they are part of the stored formats (see the package
// documentation).
const (
	KeySize     = 32       // object keys, key-encryption keys, SSE-C keys
	PackageSize = 64 << 10 // plaintext bytes per AEAD package
)

// ErrIntegrity is wrapped by every error that reports stored data or a
// sealed key failing authentication: tampered, truncated, extended or
// reordered data, data of another stream or part, or a wrong key.
var ErrIntegrity = errors.New("sse: integrity check failed")

// Labels of the derivations, frozen: changing one makes stored objects
// unreadable. Each ends where the variable input begins (with a 0x00 where
// the input that follows has no fixed length), so no two derivations can
// be fed the same bytes.
const (
	labelKEK         = "coffer sse kek v1\x00"
	labelCustomerKey = "coffer sse customer key check v1\x00"
	labelETag        = "coffer sse etag v1\x00"
	labelStream      = "coffer sse stream v1"
)

// NewObjectKey returns KeySize random bytes read from random
// (crypto/rand.Reader when nil).
func NewObjectKey(random io.Reader) ([]byte, error) {
	if random == nil {
		random = rand.Reader
	}
	k := make([]byte, KeySize)
	if _, err := io.ReadFull(random, k); err != nil {
		return nil, fmt.Errorf("sse: object key: %w", err)
	}
	return k, nil
}

// DeriveKEK derives a KeySize key-encryption key from secret (a KMS bucket
// key, or an SSE-C customer key) and a per-object random salt, for the
// purpose label names, with HKDF-SHA256. Different labels give independent
// keys. It returns nil only where crypto/hkdf refuses the secret (in FIPS
// 140-only mode, a secret shorter than 112 bits); SealKey and UnsealKey
// reject a nil KEK.
func DeriveKEK(secret, salt []byte, label string) []byte {
	k, err := hkdf.Key(sha256.New, secret, salt, labelKEK+label, KeySize)
	if err != nil {
		return nil
	}
	return k
}

// CustomerKeyHMAC returns the salted HMAC-SHA256 of an SSE-C customer key
// that the server stores to recognise the key later. It is keyed by the
// customer key under its own label, so it is independent of every
// DeriveKEK output and tells nothing about the KEK.
func CustomerKeyHMAC(salt, customerKey []byte) []byte {
	m := hmac.New(sha256.New, customerKey)
	m.Write([]byte(labelCustomerKey))
	m.Write(salt)
	return m.Sum(nil)
}

// VerifyCustomerKey reports whether customerKey is the key stored was made
// from, comparing in constant time.
func VerifyCustomerKey(salt, customerKey, stored []byte) bool {
	return hmac.Equal(CustomerKeyHMAC(salt, customerKey), stored)
}

// ETag returns the opaque ETag of an SSE-KMS or SSE-C object: 32 hex
// characters derived from its object key and plaintext MD5, so that it
// stays stable for the object but does not reveal the MD5.
func ETag(objectKey, plainMD5 []byte) string {
	m := hmac.New(sha256.New, objectKey)
	m.Write([]byte(labelETag))
	m.Write(plainMD5)
	var sum [sha256.Size]byte
	return hex.EncodeToString(m.Sum(sum[:0])[:16])
}
