package checksum

import (
	"encoding/binary"
	"fmt"
)

// PartSum is one part's raw CRC digest and its length in bytes.
type PartSum struct {
	Sum  []byte
	Size int64
}

// crcParams describes a reflected CRC: width in bits and the reflected
// polynomial. All three S3 CRCs invert the register before and after, which
// cancels out of the combination formula below.
type crcParams struct {
	width int
	poly  uint64
}

func (a Algorithm) crcParams() (crcParams, bool) {
	switch a {
	case CRC32:
		return crcParams{32, 0xedb88320}, true
	case CRC32C:
		return crcParams{32, 0x82f63b78}, true
	case CRC64NVME:
		return crcParams{64, crc64NVMEPoly}, true
	}
	return crcParams{}, false
}

// Combine computes the FULL_OBJECT checksum of the concatenation of parts
// from each part's CRC and size, without the data: for data A then B,
// crc(AB) = crc(A)·x^(8·len(B)) mod P ⊕ crc(B). An empty list is the CRC of
// no bytes. It returns the raw digest, or an error wrapping
// ErrUnsupportedType for a non-CRC algorithm or ErrSizeMismatch for a
// digest of the wrong length.
func Combine(a Algorithm, parts []PartSum) ([]byte, error) {
	p, ok := a.crcParams()
	if !ok {
		return nil, fmt.Errorf("%w: %s with %s", ErrUnsupportedType, a, TypeFullObject)
	}
	var crc uint64
	for i, part := range parts {
		if len(part.Sum) != p.width/8 {
			return nil, fmt.Errorf("%w: part %d %s digest has %d bytes", ErrSizeMismatch, i+1, a, len(part.Sum))
		}
		if part.Size < 0 {
			return nil, fmt.Errorf("checksum: part %d has negative size %d", i+1, part.Size)
		}
		crc = p.mulmod(p.xpow8n(part.Size), crc) ^ p.load(part.Sum)
	}
	return p.store(crc), nil
}

func (p crcParams) load(b []byte) uint64 {
	if p.width == 32 {
		return uint64(binary.BigEndian.Uint32(b))
	}
	return binary.BigEndian.Uint64(b)
}

func (p crcParams) store(v uint64) []byte {
	if p.width == 32 {
		return binary.BigEndian.AppendUint32(nil, uint32(v))
	}
	return binary.BigEndian.AppendUint64(nil, v)
}

// mulmod multiplies a and b modulo P. In the reflected representation the
// coefficient of x^0 is the top bit (1<<(width-1)) and of x^(width-1) bit 0.
func (p crcParams) mulmod(a, b uint64) uint64 {
	var prod uint64
	for m := uint64(1) << (p.width - 1); m != 0; m >>= 1 {
		if a&m != 0 {
			prod ^= b
		}
		// b *= x
		if b&1 != 0 {
			b = b>>1 ^ p.poly
		} else {
			b >>= 1
		}
	}
	return prod
}

// xpow8n returns x^(8n) mod P by square-and-multiply.
func (p crcParams) xpow8n(n int64) uint64 {
	result := uint64(1) << (p.width - 1) // x^0
	sq := uint64(1) << (p.width - 1 - 8) // x^8
	for u := uint64(n); u != 0; u >>= 1 {
		if u&1 != 0 {
			result = p.mulmod(sq, result)
		}
		sq = p.mulmod(sq, sq)
	}
	return result
}
