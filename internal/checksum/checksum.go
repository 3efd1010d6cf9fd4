// Package checksum implements the S3 additional checksums: CRC32, CRC32C,
// CRC64NVME, SHA1 and SHA256, their x-amz-checksum-* headers and base64
// wire form, and the two ways S3 sums a multipart object: COMPOSITE (a hash
// of the part checksums, "-N" appended) and FULL_OBJECT (the CRC of the
// whole object, combined from the part CRCs and sizes without reading the
// data again). Standard library only.
package checksum

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strconv"
	"strings"
)

// Algorithm is a checksum algorithm as S3 names it (x-amz-checksum-algorithm).
type Algorithm string

// The algorithms S3 supports.
const (
	CRC32     Algorithm = "CRC32"     // IEEE 802.3, reflected, as hash/crc32.IEEE
	CRC32C    Algorithm = "CRC32C"    // Castagnoli
	CRC64NVME Algorithm = "CRC64NVME" // CRC-64/NVME (Rocksoft), reflected
	SHA1      Algorithm = "SHA1"
	SHA256    Algorithm = "SHA256"
)

// Type is how a multipart object's checksum is computed (x-amz-checksum-type).
type Type string

// Checksum types.
const (
	// TypeFullObject is the checksum of the whole object's bytes, as if it had
	// been uploaded in one piece. CRC algorithms only.
	TypeFullObject Type = "FULL_OBJECT"
	// TypeComposite is the checksum of the concatenated raw part checksums,
	// followed by "-N" for N parts. Every algorithm but CRC64NVME.
	TypeComposite Type = "COMPOSITE"
)

// Errors.
var (
	ErrUnknownAlgorithm  = errors.New("checksum: unknown algorithm")                 // InvalidRequest 400
	ErrUnknownType       = errors.New("checksum: unknown checksum type")             // InvalidRequest 400
	ErrUnsupportedType   = errors.New("checksum: algorithm does not support type")   // InvalidRequest 400
	ErrMultipleChecksums = errors.New("checksum: more than one checksum header")     // InvalidRequest 400
	ErrInvalidValue      = errors.New("checksum: value is not a base64 digest")      // InvalidRequest 400
	ErrSizeMismatch      = errors.New("checksum: digest has the wrong length")       // InvalidRequest 400
	ErrNoParts           = errors.New("checksum: multipart checksum needs one part") // InvalidRequest 400
)

// crc64NVME is the reflected form of the CRC-64/NVME polynomial
// 0xad93d23594c93659. hash/crc64 applies the initial and final inversion
// the standard specifies.
const crc64NVMEPoly = 0x9a6c9329ac4bc9b5

// crc64NVMETable is computed once; it is never written after init.
var crc64NVMETable = crc64.MakeTable(crc64NVMEPoly)

// Algorithms lists every algorithm in the order S3 documents them.
func Algorithms() []Algorithm {
	return []Algorithm{CRC32, CRC32C, CRC64NVME, SHA1, SHA256}
}

// Parse returns the algorithm called name, ignoring case (SDKs send
// "crc32" in x-amz-sdk-checksum-algorithm and "CRC32" elsewhere). It
// returns an error wrapping ErrUnknownAlgorithm.
func Parse(name string) (Algorithm, error) {
	for _, a := range Algorithms() {
		if strings.EqualFold(name, string(a)) {
			return a, nil
		}
	}
	return "", fmt.Errorf("%w %q", ErrUnknownAlgorithm, name)
}

// ParseType returns the checksum type called name (case-insensitive), or
// an error wrapping ErrUnknownType.
func ParseType(name string) (Type, error) {
	for _, t := range [...]Type{TypeFullObject, TypeComposite} {
		if strings.EqualFold(name, string(t)) {
			return t, nil
		}
	}
	return "", fmt.Errorf("%w %q", ErrUnknownType, name)
}

// New returns a fresh hash for a. It panics for an Algorithm not returned by
// Parse or listed as a constant, which is a programming error.
func (a Algorithm) New() hash.Hash {
	switch a {
	case CRC32:
		return crc32.NewIEEE()
	case CRC32C:
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case CRC64NVME:
		return crc64.New(crc64NVMETable)
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	}
	panic("checksum: New of unknown algorithm " + strconv.Quote(string(a)))
}

// Size is the length in bytes of a's digest, 0 for an unknown algorithm.
func (a Algorithm) Size() int {
	switch a {
	case CRC32, CRC32C:
		return 4
	case CRC64NVME:
		return 8
	case SHA1:
		return sha1.Size
	case SHA256:
		return sha256.Size
	}
	return 0
}

// Header is the lowercase name of the header carrying a's value, e.g.
// "x-amz-checksum-crc32".
func (a Algorithm) Header() string { return "x-amz-checksum-" + strings.ToLower(string(a)) }

// Element is the XML element carrying a's value, e.g. "ChecksumCRC32".
func (a Algorithm) Element() string { return "Checksum" + string(a) }

// IsCRC reports whether a is a CRC, which can be combined across parts.
func (a Algorithm) IsCRC() bool { return a == CRC32 || a == CRC32C || a == CRC64NVME }

// Supports reports whether a multipart upload may use a with checksum type
// t: FULL_OBJECT needs a CRC; COMPOSITE is refused for CRC64NVME.
func (a Algorithm) Supports(t Type) bool {
	switch t {
	case TypeFullObject:
		return a.IsCRC()
	case TypeComposite:
		return a.Size() > 0 && a != CRC64NVME
	}
	return false
}

// DefaultType is the checksum type of a multipart upload created with a but
// no x-amz-checksum-type: FULL_OBJECT for CRC64NVME, COMPOSITE otherwise.
func (a Algorithm) DefaultType() Type {
	if a == CRC64NVME {
		return TypeFullObject
	}
	return TypeComposite
}

// FromHeaders finds the x-amz-checksum-<algorithm> header among a request's
// headers through get (http.Header.Get fits). It returns "" and "" if none
// is set, and an error wrapping ErrMultipleChecksums if more than one is.
func FromHeaders(get func(name string) string) (Algorithm, string, error) {
	var (
		found Algorithm
		value string
	)
	for _, a := range Algorithms() {
		v := get(a.Header())
		if v == "" {
			continue
		}
		if found != "" {
			return "", "", fmt.Errorf("%w: %s and %s", ErrMultipleChecksums, found.Header(), a.Header())
		}
		found, value = a, v
	}
	return found, value, nil
}

// Encode is the wire form of a digest: standard base64 with padding.
func Encode(sum []byte) string { return base64.StdEncoding.EncodeToString(sum) }

// Decode parses the wire form of a's digest. It returns an error wrapping
// ErrInvalidValue for bad base64 or ErrSizeMismatch for a wrong length.
func Decode(a Algorithm, value string) ([]byte, error) {
	sum, err := base64.StdEncoding.Strict().DecodeString(value)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidValue, a.Header())
	}
	if len(sum) != a.Size() {
		return nil, fmt.Errorf("%w: %s has %d bytes, want %d", ErrSizeMismatch, a.Header(), len(sum), a.Size())
	}
	return sum, nil
}

// Composite is the COMPOSITE checksum of a multipart object:
// base64(a(concatenation of the raw part digests)) + "-N". It returns an
// error wrapping ErrUnsupportedType for CRC64NVME, ErrSizeMismatch for a
// digest of the wrong length and ErrNoParts for no parts.
func Composite(a Algorithm, partSums [][]byte) (string, error) {
	if !a.Supports(TypeComposite) {
		return "", fmt.Errorf("%w: %s with %s", ErrUnsupportedType, a, TypeComposite)
	}
	if len(partSums) == 0 {
		return "", ErrNoParts
	}
	h := a.New()
	for i, s := range partSums {
		if len(s) != a.Size() {
			return "", fmt.Errorf("%w: part %d %s digest has %d bytes", ErrSizeMismatch, i+1, a, len(s))
		}
		h.Write(s)
	}
	return Encode(h.Sum(nil)) + "-" + strconv.Itoa(len(partSums)), nil
}
