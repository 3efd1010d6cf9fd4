package kms

import (
	"encoding/binary"
	"slices"
)

// CanonicalContext returns the encryption context in the one byte form that
// is authenticated as AES-GCM additional data: the pairs sorted bytewise by
// key, each written as uvarint(len(key)) ‖ key ‖ uvarint(len(value)) ‖ value.
// The length prefixes make the encoding injective: {"ab":"c"} and
// {"a":"bc"} differ. A nil or empty context encodes as no bytes. The form
// is frozen: changing it would make every stored ciphertext undecryptable.
func CanonicalContext(ec map[string]string) []byte {
	if len(ec) == 0 {
		return nil
	}
	keys := make([]string, 0, len(ec))
	size := 0
	for k, v := range ec {
		keys = append(keys, k)
		size += 2*binary.MaxVarintLen64 + len(k) + len(v)
	}
	slices.Sort(keys)
	b := make([]byte, 0, size)
	for _, k := range keys {
		v := ec[k]
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b
}
