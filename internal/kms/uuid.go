package kms

import (
	"encoding/hex"
	"io"
)

// keyID is a KMS key id: a version 4 UUID, written in its canonical
// lowercase 8-4-4-4-12 form.
type keyID [16]byte

func newKeyID(random io.Reader) (keyID, error) {
	var id keyID
	if _, err := io.ReadFull(random, id[:]); err != nil {
		return keyID{}, err
	}
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	return id, nil
}

func (id keyID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], id[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], id[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], id[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], id[8:10])
	b[23] = '-'
	hex.Encode(b[24:], id[10:])
	return string(b[:])
}

// parseKeyID accepts the 36-character hyphenated form, either case.
func parseKeyID(s string) (keyID, bool) {
	var id keyID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return id, false
	}
	j := 0
	for _, r := range [][2]int{{0, 8}, {9, 13}, {14, 18}, {19, 23}, {24, 36}} {
		n, err := hex.Decode(id[j:], []byte(s[r[0]:r[1]]))
		if err != nil {
			return keyID{}, false
		}
		j += n
	}
	return id, true
}
