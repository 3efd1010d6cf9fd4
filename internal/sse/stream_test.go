package sse_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"github.com/coffer-project/coffer/internal/sse"
)

func TestCiphertextSize(t *testing.T) {
	tests := []struct {
		plain, want int64
	}{
		{0, 33 + 16},
		{1, 33 + 1 + 16},
		{P - 1, 33 + P - 1 + 16},
		{P, 33 + P + 16},
		{P + 1, 33 + P + 1 + 32},
		{3*P + 17, 33 + 3*P + 17 + 64},
		{64 << 20, 33 + 64<<20 + 1024*16},
		{5 << 30, 33 + 5<<30 + 81920*16},
		{-1, -1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.plain), func(t *testing.T) {
			if got := sse.CiphertextSize(tt.plain); got != tt.want {
				t.Fatalf("CiphertextSize(%d) = %d, want %d", tt.plain, got, tt.want)
			}
		})
	}
}

// The ways a caller drains a reader: io.Copy (which takes WriterTo),
// Read into a large buffer, and Read into small odd-sized buffers.
var drains = []struct {
	name  string
	drain func(io.Reader) ([]byte, error)
}{
	{"io.Copy", func(r io.Reader) ([]byte, error) {
		var b bytes.Buffer
		_, err := io.Copy(&b, r)
		return b.Bytes(), err
	}},
	{"Read 1 MiB", readWith(1 << 20)},
	{"Read one package", readWith(P + 16)},
	{"Read 1000", readWith(1000)},
	{"io.ReadAll", io.ReadAll},
}

func readWith(size int) func(io.Reader) ([]byte, error) {
	return func(r io.Reader) ([]byte, error) {
		var out []byte
		buf := make([]byte, size)
		for {
			n, err := r.Read(buf)
			out = append(out, buf[:n]...)
			if err == io.EOF {
				return out, nil
			}
			if err != nil {
				return out, err
			}
		}
	}
}

// The ways a source can hand over plaintext.
var sources = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"half reads", iotest.HalfReader},
	{"one byte at a time", iotest.OneByteReader},
	{"data with EOF", iotest.DataErrReader},
}

func roundTripSizes() []int64 {
	sizes := []int64{0, 1, P - 1, P, P + 1, 2 * P, 3*P + 17}
	r := rand.New(rand.NewPCG(1, 2))
	for range 4 {
		sizes = append(sizes, r.Int64N(5*P))
	}
	return sizes
}

func TestRoundTrip(t *testing.T) {
	key := testKey(1)
	for _, n := range roundTripSizes() {
		plain := plaintext(n)
		want := encrypt(t, plain, key, 7, uint64(n))
		t.Run(fmt.Sprintf("size %d", n), func(t *testing.T) {
			for _, src := range sources {
				if src.name == "one byte at a time" && n > 2*P {
					continue
				}
				for _, d := range drains {
					t.Run("encrypt "+src.name+" "+d.name, func(t *testing.T) {
						r, err := sse.NewEncryptReader(src.wrap(bytes.NewReader(plain)), key, 7, seeded(uint64(n)))
						if err != nil {
							t.Fatal(err)
						}
						got, err := d.drain(r)
						if err != nil {
							t.Fatal(err)
						}
						if !bytes.Equal(got, want) {
							t.Fatal("the stream depends on how it is read")
						}
					})
				}
			}
			for _, d := range drains {
				t.Run("decrypt "+d.name, func(t *testing.T) {
					s := &store{data: want}
					r, err := sse.NewDecryptReader(s.open, key, 7, n, 0, n)
					if err != nil {
						t.Fatal(err)
					}
					got, err := d.drain(r)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, plain) {
						t.Fatal("decrypted plaintext differs")
					}
					if err := r.Close(); err != nil {
						t.Fatal(err)
					}
					if s.calls != 1 || s.opened != int64(len(want)) {
						t.Fatalf("opened %d bytes in %d calls, want the %d-byte stream in one", s.opened, s.calls, len(want))
					}
				})
			}
		})
	}
}

// TestFreshSalt: encrypting the same plaintext again with the same object
// key and part makes an unrelated stream.
func TestFreshSalt(t *testing.T) {
	plain := plaintext(100)
	a := encrypt(t, plain, testKey(1), 1, 1)
	b := encrypt(t, plain, testKey(1), 1, 2)
	if bytes.Equal(a[1:33], b[1:33]) || bytes.Equal(a[33:], b[33:]) {
		t.Fatal("two encryptions share a salt or ciphertext")
	}
}

// TestRanges reads ranges of a stream of three packages and a few bytes:
// every range whose ends lie at, or one byte either side of, a package
// boundary, the stream's ends, or a few points inside packages. Each must
// give the right bytes and open only the header and the packages it
// touches, in at most two calls.
func TestRanges(t *testing.T) {
	const n = 3*P + 5
	key := testKey(1)
	plain := plaintext(n)
	stream := encrypt(t, plain, key, 0, 1)
	var points []int64
	for _, p := range []int64{0, P / 2, P, 2 * P, 2*P + 777, 3 * P, n} {
		for _, q := range []int64{p - 1, p, p + 1} {
			if q >= 0 && q <= n && (len(points) == 0 || q > points[len(points)-1]) {
				points = append(points, q)
			}
		}
	}
	for _, from := range points {
		for _, to := range points {
			if to < from {
				continue
			}
			t.Run(fmt.Sprintf("[%d,%d)", from, to), func(t *testing.T) {
				checkRange(t, stream, key, plain, from, to-from)
			})
		}
	}
}

// TestRangesSmall reads every range of small streams.
func TestRangesSmall(t *testing.T) {
	key := testKey(1)
	for _, n := range []int64{0, 1, 2, 17, 40} {
		plain := plaintext(n)
		stream := encrypt(t, plain, key, 0, 1)
		for from := range n + 1 {
			for to := from; to <= n; to++ {
				t.Run(fmt.Sprintf("size %d [%d,%d)", n, from, to), func(t *testing.T) {
					checkRange(t, stream, key, plain, from, to-from)
				})
			}
		}
	}
}

func checkRange(t *testing.T, stream, key, plain []byte, offset, length int64) {
	t.Helper()
	n := int64(len(plain))
	s := &store{data: stream}
	got, err := decrypt(s.open, key, 0, n, offset, length)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, plain[offset:offset+length]) {
		t.Fatalf("got %d bytes, not the %d of the range", len(got), length)
	}
	if want := touched(n, offset, length); s.opened != want {
		t.Fatalf("opened %d bytes, want %d (header and touched packages)", s.opened, want)
	}
	maxCalls := 2
	if offset < P || length == 0 {
		maxCalls = 1
	}
	if length == 0 && n > 0 {
		maxCalls = 0
	}
	if s.calls > maxCalls {
		t.Fatalf("%d Opener calls, want at most %d", s.calls, maxCalls)
	}
}

// TestLargeRange: a 1 MiB range of a 20 MiB stream opens no more than
// 1.2 MiB, wherever it starts.
func TestLargeRange(t *testing.T) {
	const n = 20 << 20
	key := testKey(1)
	plain := plaintext(n)
	stream := encrypt(t, plain, key, 3, 1)
	for _, offset := range []int64{0, 1, P - 1, 7<<20 + 12345, n - 1<<20} {
		t.Run(fmt.Sprint(offset), func(t *testing.T) {
			s := &store{data: stream}
			got, err := decrypt(s.open, key, 3, n, offset, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, plain[offset:offset+1<<20]) {
				t.Fatal("wrong plaintext")
			}
			if s.opened > 1<<20+1<<20/5 {
				t.Fatalf("opened %d bytes for a 1 MiB range", s.opened)
			}
		})
	}
}

// lazyStream is a stream generated package by package as it is opened,
// with the reference implementation, so that a huge one needs no memory.
type lazyStream struct {
	t         testing.TB
	key, salt []byte
	part      int
	plainSize int64
	opened    int64
}

func (l *lazyStream) open(offset, length int64) (io.ReadCloser, error) {
	l.opened += length
	aead := referenceCipher(l.t, l.key, l.salt, l.part)
	var out []byte
	end := offset + length
	if offset < headerSize {
		out = append([]byte{0x01}, l.salt...)[offset:min(end, headerSize)]
	}
	count := packageCount(l.plainSize)
	for i := max(offset-headerSize, 0) / sealedFull; i < count && headerSize+i*sealedFull < end; i++ {
		start := headerSize + i*sealedFull
		plain := make([]byte, min(l.plainSize-i*P, P))
		pattern(i*P, plain)
		pkg := referencePackage(aead, i, i == count-1, plain)
		out = append(out, pkg[max(offset-start, 0):min(end-start, int64(len(pkg)))]...)
	}
	return io.NopCloser(bytes.NewReader(out)), nil
}

// TestLargeRangeOfHugeStream: 1 MiB ranges of a 1 GiB stream open no more
// than 1.2 MiB and return the right bytes.
func TestLargeRangeOfHugeStream(t *testing.T) {
	const n = 1 << 30
	l := &lazyStream{t: t, key: testKey(1), salt: testKey(2), part: 9, plainSize: n}
	for _, offset := range []int64{0, P + 1, n/2 + 12345, n - 1<<20} {
		t.Run(fmt.Sprint(offset), func(t *testing.T) {
			l.opened = 0
			got, err := decrypt(l.open, l.key, l.part, n, offset, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]byte, 1<<20)
			pattern(offset, want)
			if !bytes.Equal(got, want) {
				t.Fatal("wrong plaintext")
			}
			if l.opened > 1<<20+1<<20/5 {
				t.Fatalf("opened %d bytes for a 1 MiB range", l.opened)
			}
		})
	}
}

// TestTamper: a changed byte in the header or any package makes every
// read of the packages it affects fail.
func TestTamper(t *testing.T) {
	key := testKey(1)
	for _, n := range []int64{0, 100, 2*P + 100} {
		plain := plaintext(n)
		stream := encrypt(t, plain, key, 2, 1)
		var positions []int
		for i := range stream {
			inPackage := (i - headerSize) % sealedFull
			if n <= P || i < headerSize+64 || inPackage < 32 || inPackage >= P-32 || i%509 == 0 || i >= len(stream)-64 {
				positions = append(positions, i)
			}
		}
		for _, i := range positions {
			t.Run(fmt.Sprintf("size %d byte %d", n, i), func(t *testing.T) {
				s := &store{data: bytes.Clone(stream)}
				s.data[i] ^= 0x01
				got, err := decrypt(s.open, key, 2, n, 0, n)
				mustFailIntegrity(t, err)
				if pkg := int64(i-headerSize) / sealedFull; i >= headerSize && int64(len(got)) > pkg*P {
					t.Fatalf("returned %d bytes, reaching into damaged package %d", len(got), pkg)
				}
			})
		}
	}
	t.Run("untouched packages still read", func(t *testing.T) {
		n := int64(3 * P)
		plain := plaintext(n)
		s := &store{data: encrypt(t, plain, key, 2, 1)}
		s.data[headerSize+sealedFull+5] ^= 0x01 // package 1
		got, err := decrypt(s.open, key, 2, n, 2*P, P)
		if err != nil || !bytes.Equal(got, plain[2*P:]) {
			t.Fatalf("reading package 2: %v", err)
		}
		_, err = decrypt(s.open, key, 2, n, P-1, 2)
		mustFailIntegrity(t, err)
	})
}

func TestTruncateExtendReorder(t *testing.T) {
	const n = 3*P + 100
	key := testKey(1)
	plain := plaintext(n)
	stream := encrypt(t, plain, key, 1, 1)
	pkg := func(s []byte, i int) []byte {
		start := headerSize + i*sealedFull
		return s[start:min(start+sealedFull, len(s))]
	}
	concat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	// A stream of the first two packages' plaintext, with the same salt:
	// what a writer reusing a salt could make, and its final flag differs.
	short := encrypt(t, plain[:2*P], key, 1, 1)
	other := encrypt(t, plain, key, 1, 2)     // another salt
	otherPart := encrypt(t, plain, key, 2, 1) // same salt, another part
	tests := []struct {
		name      string
		stored    []byte
		plainSize int64
	}{
		{"empty", nil, n},
		{"header only", stream[:headerSize], n},
		{"header cut", stream[:10], n},
		{"cut at a package boundary", stream[:headerSize+2*sealedFull], n},
		{"cut at a package boundary, size to match", stream[:headerSize+2*sealedFull], 2 * P},
		{"cut in a package", stream[:headerSize+sealedFull+1000], n},
		{"cut in a package, size to match", stream[:headerSize+sealedFull+1000-tagSize], P + 1000 - tagSize},
		{"last byte missing", stream[:len(stream)-1], n},
		{"last byte missing, size to match", stream[:len(stream)-1], n - 1},
		{"extended by a byte, size to match", append(bytes.Clone(stream), 0), n + 1},
		{"final package of a shorter stream extended", concat(short, pkg(stream, 2), pkg(stream, 3)), n},
		{"final package dropped", stream[:headerSize+3*sealedFull], 3 * P},
		{"packages 0 and 1 swapped", concat(stream[:headerSize], pkg(stream, 1), pkg(stream, 0), pkg(stream, 2), pkg(stream, 3)), n},
		{"package 1 repeated", concat(stream[:headerSize], pkg(stream, 0), pkg(stream, 1), pkg(stream, 1), pkg(stream, 3)), n},
		{"package from another stream", concat(stream[:headerSize], pkg(stream, 0), pkg(other, 1), pkg(stream, 2), pkg(stream, 3)), n},
		{"header from another stream", concat(other[:headerSize], stream[headerSize:]), n},
		{"package of another part", concat(stream[:headerSize], pkg(otherPart, 0), pkg(stream, 1), pkg(stream, 2), pkg(stream, 3)), n},
		{"larger size claimed", stream, n + 1},
		{"smaller size claimed", stream, n - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &store{data: tt.stored}
			_, err := decrypt(s.open, key, 1, tt.plainSize, 0, tt.plainSize)
			mustFailIntegrity(t, err)
		})
	}
}

func TestWrongPartOrKey(t *testing.T) {
	key := testKey(1)
	for _, n := range []int64{0, 10, P + 10} {
		stream := encrypt(t, plaintext(n), key, 3, 1)
		tests := []struct {
			name string
			key  []byte
			part int
		}{
			{"part 2", key, 2},
			{"part 0", key, 0},
			{"part 4", key, 4},
			{"other key", testKey(2), 3},
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("size %d %s", n, tt.name), func(t *testing.T) {
				s := &store{data: stream}
				_, err := decrypt(s.open, tt.key, tt.part, n, 0, n)
				mustFailIntegrity(t, err)
			})
		}
	}
}

// TestEncryptSourceError: the source's errors come out unchanged, however
// far into the stream they happen, and stay.
func TestEncryptSourceError(t *testing.T) {
	errSource := errors.New("client went away")
	for _, srcErr := range []error{errSource, io.ErrUnexpectedEOF} {
		for _, after := range []int64{0, 1, P - 1, P, P + 1, 3 * P} {
			for _, d := range drains {
				t.Run(fmt.Sprintf("%v after %d %s", srcErr, after, d.name), func(t *testing.T) {
					src := io.MultiReader(bytes.NewReader(plaintext(after)), iotest.ErrReader(srcErr))
					r, err := sse.NewEncryptReader(src, testKey(1), 0, nil)
					if err != nil {
						t.Fatal(err)
					}
					got, err := d.drain(r)
					if err != srcErr {
						t.Fatalf("got error %v, want the source's %v itself", err, srcErr)
					}
					if int64(len(got)) > sse.CiphertextSize(after) {
						t.Fatalf("wrote %d bytes for %d bytes of plaintext", len(got), after)
					}
					if _, err := r.Read(make([]byte, 10)); err != srcErr {
						t.Fatalf("next Read: %v, want the source's error again", err)
					}
				})
			}
		}
	}
}

func TestEncryptArguments(t *testing.T) {
	tests := []struct {
		name string
		key  []byte
		part int
	}{
		{"short key", testKey(1)[:31], 0},
		{"negative part", testKey(1), -1},
		{"part 10001", testKey(1), 10001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := sse.NewEncryptReader(bytes.NewReader(nil), tt.key, tt.part, nil); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	errRandom := errors.New("no entropy")
	if _, err := sse.NewEncryptReader(bytes.NewReader(nil), testKey(1), 0, iotest.ErrReader(errRandom)); !errors.Is(err, errRandom) {
		t.Fatalf("got %v, want the random source's error", err)
	}
}

func TestDecryptArguments(t *testing.T) {
	s := &store{data: encrypt(t, plaintext(10), testKey(1), 0, 1)}
	tests := []struct {
		name                      string
		key                       []byte
		part                      int
		plainSize, offset, length int64
	}{
		{"short key", testKey(1)[:16], 0, 10, 0, 10},
		{"part 10001", testKey(1), 10001, 10, 0, 10},
		{"negative size", testKey(1), 0, -1, 0, 0},
		{"negative offset", testKey(1), 0, 10, -1, 1},
		{"negative length", testKey(1), 0, 10, 0, -1},
		{"past the end", testKey(1), 0, 10, 5, 6},
		{"offset past the end", testKey(1), 0, 10, 11, 0},
		{"overflowing range", testKey(1), 0, 10, 5, 1<<63 - 1},
		{"huge size", testKey(1), 0, 1<<62 + 1, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.calls = 0
			_, err := sse.NewDecryptReader(s.open, tt.key, tt.part, tt.plainSize, tt.offset, tt.length)
			if err == nil || errors.Is(err, sse.ErrIntegrity) {
				t.Fatalf("got %v, want an argument error", err)
			}
			if s.calls != 0 {
				t.Fatal("opened the stream")
			}
		})
	}
}

// TestDecryptStorageError: errors of the Opener and of the readers it
// returns are passed on, and are not integrity failures.
func TestDecryptStorageError(t *testing.T) {
	const n = 3 * P
	key := testKey(1)
	stream := encrypt(t, plaintext(n), key, 0, 1)
	errDisk := errors.New("disk on fire")
	t.Run("open fails", func(t *testing.T) {
		s := &store{data: stream, err: errDisk}
		_, err := decrypt(s.open, key, 0, n, P+5, 10)
		if !errors.Is(err, errDisk) || errors.Is(err, sse.ErrIntegrity) {
			t.Fatalf("got %v, want the Opener's error", err)
		}
	})
	t.Run("read fails after package 1", func(t *testing.T) {
		open := func(offset, length int64) (io.ReadCloser, error) {
			good := stream[offset : offset+headerSize+2*sealedFull]
			return io.NopCloser(io.MultiReader(bytes.NewReader(good), iotest.ErrReader(errDisk))), nil
		}
		got, err := decrypt(open, key, 0, n, 0, n)
		if !errors.Is(err, errDisk) || errors.Is(err, sse.ErrIntegrity) {
			t.Fatalf("got %v, want the reader's error", err)
		}
		if !bytes.Equal(got, plaintext(2*P)) {
			t.Fatalf("got %d bytes before the error, want the 2 packages read", len(got))
		}
	})
}

func TestEmptyRange(t *testing.T) {
	key := testKey(1)
	t.Run("non-empty stream opens nothing", func(t *testing.T) {
		s := &store{data: encrypt(t, plaintext(100), key, 0, 1)}
		got, err := decrypt(s.open, key, 0, 100, 50, 0)
		if err != nil || len(got) != 0 || s.calls != 0 {
			t.Fatalf("got %d bytes, %v, %d Opener calls", len(got), err, s.calls)
		}
	})
	t.Run("empty stream is authenticated", func(t *testing.T) {
		stream := encrypt(t, nil, key, 0, 1)
		s := &store{data: stream}
		if _, err := decrypt(s.open, key, 0, 0, 0, 0); err != nil || s.calls != 1 {
			t.Fatalf("%v, %d Opener calls", err, s.calls)
		}
		s.data = stream[:headerSize]
		_, err := decrypt(s.open, key, 0, 0, 0, 0)
		mustFailIntegrity(t, err)
	})
}

func TestReadAfterClose(t *testing.T) {
	key := testKey(1)
	s := &store{data: encrypt(t, plaintext(3*P), key, 0, 1)}
	r, err := sse.NewDecryptReader(s.open, key, 0, 3*P, 0, 3*P)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Read(make([]byte, 10)); n != 0 || err == nil || err == io.EOF {
		t.Fatalf("Read after Close = %d, %v; want an error", n, err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestAllocations: the readers allocate per stream, never per package.
func TestAllocations(t *testing.T) {
	key := testKey(1)
	small, large := plaintext(P+1), plaintext(16*P)
	streams := map[int][]byte{len(small): encrypt(t, small, key, 0, 1), len(large): encrypt(t, large, key, 0, 1)}
	encryptAllocs := func(plain []byte) float64 {
		return testing.AllocsPerRun(5, func() {
			r, _ := sse.NewEncryptReader(bytes.NewReader(plain), key, 0, seeded(1))
			_, _ = io.Copy(io.Discard, r)
		})
	}
	decryptAllocs := func(plain []byte) float64 {
		s := &store{data: streams[len(plain)]}
		n := int64(len(plain))
		return testing.AllocsPerRun(5, func() {
			r, _ := sse.NewDecryptReader(s.open, key, 0, n, 0, n)
			_, _ = io.Copy(io.Discard, r)
		})
	}
	if a, b := encryptAllocs(small), encryptAllocs(large); b > a {
		t.Errorf("encrypting 2 packages allocates %v times, 16 packages %v times", a, b)
	}
	if a, b := decryptAllocs(small), decryptAllocs(large); b > a {
		t.Errorf("decrypting 2 packages allocates %v times, 16 packages %v times", a, b)
	}
}

// stuckReader returns nothing, forever, without an error.
type stuckReader struct{}

func (stuckReader) Read([]byte) (int, error) { return 0, nil }

func TestEncryptStuckSource(t *testing.T) {
	r, err := sse.NewEncryptReader(stuckReader{}, testKey(1), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, r); err != io.ErrNoProgress {
		t.Fatalf("got %v, want io.ErrNoProgress", err)
	}
}

// failingWriter accepts limit bytes, then fails.
type failingWriter struct{ limit int }

var errWriter = errors.New("client reset the connection")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.limit {
		n := w.limit
		w.limit = 0
		return n, errWriter
	}
	w.limit -= len(p)
	return len(p), nil
}

func TestWriteToWriterError(t *testing.T) {
	const n = 3 * P
	key := testKey(1)
	s := &store{data: encrypt(t, plaintext(n), key, 0, 1)}
	for _, limit := range []int{0, 10, P + 100} {
		t.Run(fmt.Sprintf("encrypt, writer fails after %d", limit), func(t *testing.T) {
			r, _ := sse.NewEncryptReader(bytes.NewReader(plaintext(n)), key, 0, nil)
			if written, err := io.Copy(&failingWriter{limit}, r); err != errWriter || written != int64(limit) {
				t.Fatalf("io.Copy = %d, %v; want %d, the writer's error", written, err, limit)
			}
		})
		t.Run(fmt.Sprintf("decrypt, writer fails after %d", limit), func(t *testing.T) {
			r, err := sse.NewDecryptReader(s.open, key, 0, n, 0, n)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if written, err := io.Copy(&failingWriter{limit}, r); err != errWriter || written != int64(limit) {
				t.Fatalf("io.Copy = %d, %v; want %d, the writer's error", written, err, limit)
			}
		})
	}
}
