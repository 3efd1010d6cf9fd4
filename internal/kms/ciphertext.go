package kms

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
)

// Ciphertext blob format constants. Frozen: see the package documentation.
const (
	// CiphertextVersion1 is the first byte of every blob this package writes.
	CiphertextVersion1 byte = 0x01

	keyIDSize        = 16
	nonceSize        = 12
	tagSize          = 16
	blobHeaderSize   = 1 + keyIDSize + 4 + nonceSize // 33
	minCiphertextLen = blobHeaderSize + 1 + tagSize  // a plaintext is never empty

	// MaxPlaintextSize is the largest plaintext Encrypt accepts (AWS: 4096).
	MaxPlaintextSize = 4096
	// MaxCiphertextSize is the largest blob this package writes or parses.
	MaxCiphertextSize = blobHeaderSize + MaxPlaintextSize + tagSize
)

// ciphertext is a parsed blob. sealed aliases the input.
type ciphertext struct {
	keyID   keyID
	version uint32
	nonce   [nonceSize]byte
	sealed  []byte // GCM ciphertext ‖ tag
}

// parseCiphertext parses a blob strictly: a known version byte, a non-zero
// material version, a length within [minCiphertextLen, MaxCiphertextSize].
// Every failure wraps ErrInvalidCiphertext.
func parseCiphertext(b []byte) (ciphertext, error) {
	var c ciphertext
	switch {
	case len(b) == 0:
		return c, fmt.Errorf("kms: empty ciphertext: %w", ErrInvalidCiphertext)
	case b[0] != CiphertextVersion1:
		return c, fmt.Errorf("kms: unknown ciphertext version %#x: %w", b[0], ErrInvalidCiphertext)
	case len(b) < minCiphertextLen:
		return c, fmt.Errorf("kms: ciphertext of %d bytes is too short: %w", len(b), ErrInvalidCiphertext)
	case len(b) > MaxCiphertextSize:
		return c, fmt.Errorf("kms: ciphertext of %d bytes is too long: %w", len(b), ErrInvalidCiphertext)
	}
	copy(c.keyID[:], b[1:17])
	c.version = binary.BigEndian.Uint32(b[17:21])
	if c.version == 0 {
		return c, fmt.Errorf("kms: ciphertext names material version 0: %w", ErrInvalidCiphertext)
	}
	copy(c.nonce[:], b[21:blobHeaderSize])
	c.sealed = b[blobHeaderSize:]
	return c, nil
}

// header returns the blob's first blobHeaderSize bytes.
func (c *ciphertext) header() []byte {
	h := make([]byte, 0, blobHeaderSize)
	h = append(h, CiphertextVersion1)
	h = append(h, c.keyID[:]...)
	h = binary.BigEndian.AppendUint32(h, c.version)
	return append(h, c.nonce[:]...)
}

func blobAAD(header []byte, ec map[string]string) []byte {
	return append(header[:len(header):len(header)], CanonicalContext(ec)...)
}

// sealBlob encrypts plaintext under material (one version of key id) and
// returns the blob. The caller supplies a fresh random nonce.
func sealBlob(material []byte, id keyID, version uint32, nonce [nonceSize]byte, plaintext []byte, ec map[string]string) ([]byte, error) {
	aead, err := newGCM(material)
	if err != nil {
		return nil, err
	}
	c := ciphertext{keyID: id, version: version, nonce: nonce}
	h := c.header()
	return aead.Seal(h, nonce[:], plaintext, blobAAD(h, ec)), nil
}

// openBlob decrypts a parsed blob; a wrong context, wrong material or any
// alteration fails with ErrInvalidCiphertext.
func openBlob(material []byte, c ciphertext, ec map[string]string) ([]byte, error) {
	aead, err := newGCM(material)
	if err != nil {
		return nil, err
	}
	p, err := aead.Open(nil, c.nonce[:], c.sealed, blobAAD(c.header(), ec))
	if err != nil {
		return nil, fmt.Errorf("kms: ciphertext does not authenticate (wrong encryption context, or altered): %w", ErrInvalidCiphertext)
	}
	return p, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("kms: AES-256 key of %d bytes", len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("kms: %w", err)
	}
	return cipher.NewGCM(b)
}
