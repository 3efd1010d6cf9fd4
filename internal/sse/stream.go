package sse

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/coffer-project/coffer/internal/aesgcm"
)

// Stream format, version 1 (frozen; see the package documentation).
const (
	streamVersion1 = 0x01
	saltSize       = 32
	headerSize     = 1 + saltSize
	sealedPackage  = PackageSize + tagSize // stored size of a full package

	maxPart = 10000 // S3's highest part number
	// maxPlainSize bounds the plaintext a stream may hold, far above any
	// S3 object, so that no size or offset computed from it overflows.
	maxPlainSize = 1 << 60
)

// CiphertextSize is the stored size of a stream holding plainSize bytes:
// the header, the plaintext, and a tag per package. It is -1 for a size no
// stream can hold (negative or above 2^60).
func CiphertextSize(plainSize int64) int64 {
	if plainSize < 0 || plainSize > maxPlainSize {
		return -1
	}
	return headerSize + plainSize + tagSize*packageCount(plainSize)
}

// packageCount is the number of packages of a stream of plainSize bytes:
// an empty stream still has its (empty) final package.
func packageCount(plainSize int64) int64 {
	if plainSize == 0 {
		return 1
	}
	return (plainSize-1)/PackageSize + 1
}

// packageOffset is where package i starts in the stream.
func packageOffset(i int64) int64 { return headerSize + i*sealedPackage }

// packageSize is the stored size of package i of a stream of plainSize
// bytes.
func packageSize(plainSize, i int64) int64 {
	return min(plainSize-i*PackageSize, PackageSize) + tagSize
}

// packageSpan says which packages hold the plaintext bytes
// [offset, offset+length) of a stream of plainSize bytes, and which bytes
// of the stream they take. The range must lie within the plaintext. An
// empty range touches no package, except in an empty stream, whose final
// package is read to authenticate it.
type packageSpan struct {
	first, last int64 // packages, inclusive; last < first when none
	offset, end int64 // the stream bytes [offset, end) of those packages
}

func spanOf(plainSize, offset, length int64) packageSpan {
	if length == 0 && plainSize > 0 {
		return packageSpan{first: 0, last: -1}
	}
	s := packageSpan{first: offset / PackageSize, last: max(offset+length-1, 0) / PackageSize}
	s.offset = packageOffset(s.first)
	s.end = packageOffset(s.last) + packageSize(plainSize, s.last)
	return s
}

// checkStreamArgs checks what both stream directions take.
func checkStreamArgs(objectKey []byte, part int) error {
	if len(objectKey) != KeySize {
		return fmt.Errorf("sse: object key must be %d bytes", KeySize)
	}
	if part < 0 || part > maxPart {
		return fmt.Errorf("sse: part number %d out of range [0, %d]", part, maxPart)
	}
	return nil
}

// streamCipher returns the AEAD of the stream with the given salt, for
// part part of the object whose key is objectKey.
func streamCipher(objectKey, salt []byte, part int) (cipher.AEAD, error) {
	var info [len(labelStream) + 4]byte
	copy(info[:], labelStream)
	binary.BigEndian.PutUint32(info[len(labelStream):], uint32(part))
	key, err := hkdf.Key(sha256.New, objectKey, salt, string(info[:]), KeySize)
	if err != nil {
		return nil, fmt.Errorf("sse: stream key: %w", err)
	}
	defer clear(key)
	// The data path: AES-256-GCM with the vector implementation where the
	// CPU has it (internal/aesgcm), the same bytes either way.
	aead, err := aesgcm.New(key)
	if err != nil {
		return nil, fmt.Errorf("sse: %w", err)
	}
	return aead, nil
}

// packageNonce sets nonce to the nonce of package seq, final or not.
func packageNonce(nonce *[gcmNonceSize]byte, seq int64, final bool) {
	binary.BigEndian.PutUint64(nonce[:8], uint64(seq))
	var flag uint32
	if final {
		flag = 1
	}
	binary.BigEndian.PutUint32(nonce[8:], flag)
}
