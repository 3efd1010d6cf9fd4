// Package aesgcm is AES-256-GCM for the object data path: crypto/cipher's
// GCM, or, on amd64 CPUs with AVX-512, VAES and VPCLMULQDQ, an
// implementation that encrypts 16 blocks and folds 16 blocks into the
// GHASH per step in 512-bit registers (Go's standard library has no such
// path; its AES-NI GCM ran at less than half the speed on the machine of
// docs/benchmarks.md, issue 4). Both produce the same bytes: the tests
// compare them on every length up to several chunks and around the
// package size, and fuzz the comparison.
//
// Seal encrypts the whole 256-byte chunks, then hashes them; Open hashes
// and decrypts each chunk in one pass (open_amd64.s, the AES rounds
// interleaved with the multiplications) and, as crypto/cipher does,
// clears the plaintext if the tag does not match. The AAD, a message's
// last partial chunk and the length block go through the same assembly,
// right-aligned in a zero-filled chunk (zero blocks add nothing to a
// GHASH).
package aesgcm

import (
	"crypto/aes"
	"crypto/cipher"
)

// KeySize is the key size of AES-256.
const KeySize = 32

// New returns AES-256-GCM under key with a 12-byte nonce and a 16-byte
// tag, the accelerated implementation where the CPU has it.
func New(key []byte) (cipher.AEAD, error) {
	if len(key) == KeySize && accelerated {
		return newVector(key), nil
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
