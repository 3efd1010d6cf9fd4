package sse_test

import (
	"bytes"
	"testing"

	"github.com/coffer-project/coffer/internal/sse"
)

// TestEncryptMatchesReader: Encrypt makes, byte for byte, the stream that
// NewEncryptReader makes from the same salt, at every size that matters to
// the package layout.
func TestEncryptMatchesReader(t *testing.T) {
	for _, n := range []int64{0, 1, 4096, P - 1, P, P + 1, 3*P + 17} {
		plain := plaintext(n)
		for _, part := range []int{0, 1, 10000} {
			got, err := sse.Encrypt(plain, testKey(1), part, seeded(uint64(n)))
			if err != nil {
				t.Fatal(err)
			}
			want := encrypt(t, plain, testKey(1), part, uint64(n))
			if !bytes.Equal(got, want) {
				t.Fatalf("size %d part %d: Encrypt differs from NewEncryptReader", n, part)
			}
			if int64(len(got)) != sse.CiphertextSize(n) || cap(got) != len(got) {
				t.Fatalf("size %d: %d bytes (cap %d), want exactly %d", n, len(got), cap(got), sse.CiphertextSize(n))
			}
		}
	}
	if _, err := sse.Encrypt(nil, testKey(1)[:16], 0, nil); err == nil {
		t.Fatal("a short object key was accepted")
	}
	if _, err := sse.Encrypt(nil, testKey(1), -1, nil); err == nil {
		t.Fatal("part -1 was accepted")
	}
}
