package sse_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/coffer-project/coffer/internal/sse"
)

// FuzzUnsealKey: UnsealKey never panics, fails only with ErrIntegrity, and
// opens nothing but the one key ever sealed under the fuzzer's KEK. Seeds
// are in testdata/fuzz/FuzzUnsealKey.
func FuzzUnsealKey(f *testing.F) {
	kek, objectKey := testKey(1), testKey(2)
	b := sse.Binding{Mode: "aws:kms", Bucket: "bucket", Key: "key"}
	sealed, err := sse.SealKey(kek, objectKey, b, seeded(1))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed, b.Mode, b.Bucket, b.Key)
	f.Fuzz(func(t *testing.T, sealed []byte, mode, bucket, key string) {
		got, err := sse.UnsealKey(kek, sealed, sse.Binding{Mode: mode, Bucket: bucket, Key: key})
		if err != nil {
			if !errors.Is(err, sse.ErrIntegrity) {
				t.Fatalf("error %v does not wrap ErrIntegrity", err)
			}
			if got != nil {
				t.Fatal("returned a key with the error")
			}
			return
		}
		if !bytes.Equal(got, objectKey) {
			t.Fatalf("opened to %x, a key never sealed", got)
		}
	})
}

// FuzzDecryptReader encrypts a plaintext of a fuzzed size as part 1, then
// damages the stream (XORs mask in at pos, cuts it or extends it), claims
// a fuzzed plaintext size and part number, and reads a fuzzed range. The
// reader must never panic, fail only with ErrIntegrity, return exactly the
// plaintext of the range when it succeeds, and open no more than the header
// and the packages the range touches. Seeds are in
// testdata/fuzz/FuzzDecryptReader.
func FuzzDecryptReader(f *testing.F) {
	const maxSize = 3*P + 100
	key := testKey(1)
	f.Add(uint32(P+1), uint8(1), uint32(0), []byte(nil), int32(0), int32(0), uint32(0), uint32(P+1))
	f.Fuzz(func(t *testing.T, size uint32, part uint8, pos uint32, mask []byte, cut, claim int32, offset, length uint32) {
		n := int64(size % maxSize)
		plain := plaintext(n)
		stream := encrypt(t, plain, key, 1, uint64(n))
		if len(mask) > 0 {
			p := int(pos % uint32(len(stream)))
			for i, m := range mask[:min(len(mask), len(stream)-p)] {
				stream[p+i] ^= m
			}
		}
		switch {
		case cut < 0:
			stream = stream[:len(stream)-int(-int64(cut)%int64(len(stream)+1))]
		case cut > 0:
			stream = append(stream, bytes.Repeat([]byte{0xa5}, int(cut%1000))...)
		}
		plainSize := max(n+int64(claim)%(2*P), 0)
		off := int64(offset) % (plainSize + 1)
		ln := int64(length) % (plainSize - off + 1)
		s := &store{data: stream}
		got, err := decrypt(s.open, key, int(part%3), plainSize, off, ln)
		if s.opened > touched(plainSize, off, ln) {
			t.Fatalf("opened %d bytes, more than the header and the packages of the range", s.opened)
		}
		if err != nil {
			if !errors.Is(err, sse.ErrIntegrity) {
				t.Fatalf("error %v does not wrap ErrIntegrity", err)
			}
			return
		}
		if ln == 0 {
			if len(got) > 0 {
				t.Fatalf("returned %d bytes of an empty range", len(got))
			}
			return
		}
		if off+ln > n || !bytes.Equal(got, plain[off:off+ln]) {
			t.Fatalf("returned %d bytes that are not the plaintext of [%d, %d)", len(got), off, off+ln)
		}
	})
}
