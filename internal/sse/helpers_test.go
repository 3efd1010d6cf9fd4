package sse_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"github.com/coffer-project/coffer/internal/sse"
)

const (
	P          = sse.PackageSize
	headerSize = 33
	tagSize    = 16
	sealedFull = P + tagSize
)

// seeded returns a deterministic random source, so that streams (their
// salts) can be made again byte for byte.
func seeded(seed uint64) io.Reader {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return rand.NewChaCha8(s)
}

// testKey returns a fixed object key; different ids give different keys.
func testKey(id byte) []byte {
	k := bytes.Repeat([]byte{id}, sse.KeySize)
	k[0] ^= 0x5a
	return k
}

// pattern fills p with the plaintext found at offset off of a test object:
// every 8-byte word holds a mix of its own position, so a byte returned
// from the wrong place shows.
func pattern(off int64, p []byte) {
	for i := range p {
		pos := uint64(off) + uint64(i)
		w := (pos / 8) * 0x9e3779b97f4a7c15
		p[i] = byte(w >> (8 * (pos % 8)))
	}
}

func plaintext(n int64) []byte {
	p := make([]byte, n)
	pattern(0, p)
	return p
}

// encrypt returns the stream of plain as NewEncryptReader makes it, with
// the salt drawn from seeded(seed).
func encrypt(t testing.TB, plain, key []byte, part int, seed uint64) []byte {
	t.Helper()
	r, err := sse.NewEncryptReader(bytes.NewReader(plain), key, part, seeded(seed))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := io.Copy(&out, r); err != nil {
		t.Fatal(err)
	}
	if got, want := int64(out.Len()), sse.CiphertextSize(int64(len(plain))); got != want {
		t.Fatalf("stream of %d bytes is %d bytes, CiphertextSize says %d", len(plain), got, want)
	}
	return out.Bytes()
}

// store is a stored stream behind a counting Opener. Like blob.FS, it
// serves what exists of a range reaching past the end and then fails with
// io.ErrUnexpectedEOF.
type store struct {
	data   []byte
	calls  int
	opened int64 // bytes asked for, over all calls
	err    error // returned by open when set
}

func (s *store) open(offset, length int64) (io.ReadCloser, error) {
	s.calls++
	s.opened += length
	if s.err != nil {
		return nil, s.err
	}
	if offset < 0 || length < 0 {
		return nil, errors.New("store: negative offset or length")
	}
	avail := max(min(length, int64(len(s.data))-offset), 0)
	var r io.Reader = bytes.NewReader(nil)
	if avail > 0 {
		r = bytes.NewReader(s.data[offset : offset+avail])
	}
	if avail < length {
		r = io.MultiReader(r, iotest.ErrReader(io.ErrUnexpectedEOF))
	}
	return io.NopCloser(r), nil
}

// decrypt reads [offset, offset+length) of a stream of plainSize bytes
// through open, the way io.Copy would.
func decrypt(open sse.Opener, key []byte, part int, plainSize, offset, length int64) ([]byte, error) {
	r, err := sse.NewDecryptReader(open, key, part, plainSize, offset, length)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	_, err = io.Copy(&out, r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	return out.Bytes(), err
}

// mustFailIntegrity fails the test unless err wraps sse.ErrIntegrity.
func mustFailIntegrity(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, sse.ErrIntegrity) {
		t.Fatalf("got error %v, want one wrapping ErrIntegrity", err)
	}
}

// packageCount and touched mirror the stream layout of the package
// documentation.
func packageCount(n int64) int64 { return max(1, (n+P-1)/P) }

// touched returns the stream bytes a read of [offset, offset+length)
// needs: the header and the packages the range touches.
func touched(plainSize, offset, length int64) int64 {
	if length == 0 {
		if plainSize == 0 {
			return headerSize + tagSize
		}
		return 0
	}
	first, last := offset/P, (offset+length-1)/P
	lastSize := min(plainSize-last*P, P) + tagSize
	return headerSize + (last-first)*sealedFull + lastSize
}
