package kms

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// validBlob is a well-formed blob (for parsing; it decrypts under nothing).
func validBlob(n int) []byte {
	b := make([]byte, blobHeaderSize+n+tagSize)
	b[0] = CiphertextVersion1
	for i := 1; i < 17; i++ {
		b[i] = byte(i)
	}
	binary.BigEndian.PutUint32(b[17:21], 3)
	return b
}

func TestParseCiphertext(t *testing.T) {
	zeroVersion := validBlob(1)
	binary.BigEndian.PutUint32(zeroVersion[17:21], 0)
	badVersion := validBlob(1)
	badVersion[0] = 0x02
	tests := []struct {
		name string
		blob []byte
		ok   bool
	}{
		{"one-byte plaintext", validBlob(1), true},
		{"largest", validBlob(MaxPlaintextSize), true},
		{"nil", nil, false},
		{"version byte only", []byte{CiphertextVersion1}, false},
		{"unknown version", badVersion, false},
		{"empty plaintext", validBlob(0), false},
		{"one byte short", validBlob(1)[:minCiphertextLen-1], false},
		{"too long", validBlob(MaxPlaintextSize + 1), false},
		{"material version 0", zeroVersion, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseCiphertext(tt.blob)
			if tt.ok != (err == nil) {
				t.Fatalf("parseCiphertext: %v, want ok=%v", err, tt.ok)
			}
			if err != nil {
				wantErr(t, err, ErrInvalidCiphertext)
				return
			}
			if c.version != 3 || c.keyID[0] != 1 || !bytes.Equal(append(c.header(), c.sealed...), tt.blob) {
				t.Fatalf("parsed %+v", c)
			}
		})
	}
}

func FuzzParseCiphertext(f *testing.F) {
	f.Add(validBlob(1))
	f.Add(validBlob(32))
	f.Add([]byte{CiphertextVersion1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseCiphertext(b)
		if err != nil {
			if ExceptionName(err) != string(ErrInvalidCiphertext) {
				t.Fatalf("error %v is not InvalidCiphertextException", err)
			}
			return
		}
		// A parsed blob re-serializes to itself.
		if !bytes.Equal(append(c.header(), c.sealed...), b) || c.version == 0 || len(b) > MaxCiphertextSize {
			t.Fatalf("parse of %x is not faithful: %+v", b, c)
		}
	})
}

// FuzzDecrypt mutates a real blob: anything but the original bytes with
// the original context must fail to decrypt, and nothing may panic.
func FuzzDecrypt(f *testing.F) {
	ctx := context.Background()
	fx := newFixture(f)
	// Deterministic randomness, so the key id and blobs are the same on
	// every run and the corpus in testdata stays meaningful.
	fx.cfg.Rand = rand.NewChaCha8([32]byte{'c', 'o', 'f', 'f', 'e', 'r'})
	if err := fx.s.Close(); err != nil {
		f.Fatal(err)
	}
	fx.path += ".fuzz"
	fx.s = fx.open(f)
	k := fx.createKey(f)
	ec := map[string]string{"ab": "c"}
	out, err := fx.s.GenerateDataKey(ctx, GenerateDataKeyInput{KeyID: k.KeyID, KeySpec: "AES_256", EncryptionContext: ec})
	if err != nil {
		f.Fatal(err)
	}
	orig := out.CiphertextBlob
	f.Add(orig, "ab", "c")
	f.Add(orig, "a", "bc")
	f.Add(orig[:len(orig)-1], "ab", "c")
	f.Fuzz(func(t *testing.T, blob []byte, key, value string) {
		d, err := fx.s.Decrypt(ctx, DecryptInput{CiphertextBlob: blob, EncryptionContext: map[string]string{key: value}})
		if err == nil {
			if !bytes.Equal(blob, orig) || key != "ab" || value != "c" || !bytes.Equal(d.Plaintext, out.Plaintext) {
				t.Fatalf("mutated input decrypted: blob %x context %q=%q", blob, key, value)
			}
			return
		}
		if ExceptionName(err) != string(ErrInvalidCiphertext) {
			t.Fatalf("Decrypt error %v is not InvalidCiphertextException", err)
		}
	})
}
