// Package blobtest is the conformance suite for blob.Store implementations.
package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/coffer-project/coffer/internal/blob"
)

// Run runs the suite. newStore must return an empty store; it is called
// once per subtest. Stores that implement blob.Lister and blob.Recoverer
// are also checked for leftovers after failed Puts.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s blob.Store)
	}{
		{"PutOpenRoundTrip", testRoundTrip},
		{"IDsAreDistinct", testDistinctIDs},
		{"Ranges", testRanges},
		{"OpenMissing", testOpenMissing},
		{"Delete", testDelete},
		{"ConcurrentReaders", testConcurrentReaders},
		{"ConcurrentPutOpenDelete", testConcurrency},
		{"CancelledPutLeavesNothing", testCancelledPut},
		{"ReaderErrorLeavesNothing", testReaderError},
		{"WalkListsBlobs", testWalk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newStore(t))
		})
	}
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func put(t testing.TB, s blob.Store, data []byte) string {
	t.Helper()
	id, size, err := s.Put(context.Background(), bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if size != int64(len(data)) {
		t.Fatalf("Put size = %d, want %d", size, len(data))
	}
	return id
}

func read(t testing.TB, s blob.Store, id string, off, n int64) ([]byte, error) {
	t.Helper()
	rc, err := s.Open(context.Background(), id, off, n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func testRoundTrip(t *testing.T, s blob.Store) {
	sizes := []struct {
		name string
		n    int
	}{
		{"empty", 0},
		{"one byte", 1},
		{"4KiB", 4 << 10},
		{"larger than a copy buffer", 3<<20 + 17},
	}
	for _, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			data := randomBytes(t, sz.n)
			id := put(t, s, data)
			got, err := read(t, s, id, 0, -1)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("read back %d bytes, differ from the %d written", len(got), len(data))
			}
		})
	}
}

// oneByteReader defeats any fast path that relies on large reads.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

func testDistinctIDs(t *testing.T, s blob.Store) {
	seen := map[string]bool{}
	for i := range 50 {
		data := []byte(fmt.Sprintf("blob %d", i))
		id, size, err := s.Put(context.Background(), oneByteReader{bytes.NewReader(data)})
		if err != nil {
			t.Fatal(err)
		}
		if size != int64(len(data)) {
			t.Fatalf("size = %d, want %d", size, len(data))
		}
		if id == "" || seen[id] {
			t.Fatalf("Put returned id %q twice or empty", id)
		}
		seen[id] = true
	}
}

func testRanges(t *testing.T, s blob.Store) {
	data := randomBytes(t, 100_000)
	id := put(t, s, data)
	tests := []struct {
		name        string
		off, length int64
		want        []byte
	}{
		{"whole", 0, -1, data},
		{"whole explicit", 0, int64(len(data)), data},
		{"prefix", 0, 10, data[:10]},
		{"middle", 4096, 5000, data[4096:9096]},
		{"suffix to end", 99_990, -1, data[99_990:]},
		{"last byte", 99_999, 1, data[99_999:]},
		{"empty at start", 0, 0, nil},
		{"empty at end", 100_000, 0, nil},
		{"to end from end", 100_000, -1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := read(t, s, id, tt.off, tt.length)
			if err != nil {
				t.Fatalf("Open(%d, %d): %v", tt.off, tt.length, err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("Open(%d, %d) read %d bytes, want %d (or content differs)", tt.off, tt.length, len(got), len(tt.want))
			}
		})
	}
}

func testOpenMissing(t *testing.T, s blob.Store) {
	for _, id := range []string{"0123456789abcdef0123456789abcdef", "", "../../etc/passwd", "zz"} {
		_, err := s.Open(context.Background(), id, 0, -1)
		if !errors.Is(err, blob.ErrNotExist) {
			t.Errorf("Open(%q) = %v, want ErrNotExist", id, err)
		}
	}
}

func testDelete(t *testing.T, s blob.Store) {
	ctx := context.Background()
	keep := put(t, s, []byte("keep"))
	gone := put(t, s, []byte("gone"))
	if err := s.Delete(ctx, gone); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Open(ctx, gone, 0, -1); !errors.Is(err, blob.ErrNotExist) {
		t.Fatalf("Open after Delete = %v, want ErrNotExist", err)
	}
	if err := s.Delete(ctx, gone); err != nil {
		t.Fatalf("second Delete = %v, want nil", err)
	}
	if err := s.Delete(ctx, "00000000000000000000000000000000"); err != nil {
		t.Fatalf("Delete of a never-stored blob = %v, want nil", err)
	}
	if got, err := read(t, s, keep, 0, -1); err != nil || string(got) != "keep" {
		t.Fatalf("other blob after Delete: %q, %v", got, err)
	}
}

func testConcurrentReaders(t *testing.T, s blob.Store) {
	data := randomBytes(t, 64<<10)
	id := put(t, s, data)
	ctx := context.Background()
	r1, err := s.Open(ctx, id, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := s.Open(ctx, id, 1000, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	// Interleave reads: each reader keeps its own position.
	a := make([]byte, 500)
	if _, err := io.ReadFull(r1, a); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r2)
	if err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(r1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(a, rest...), data) || !bytes.Equal(b, data[1000:2000]) {
		t.Fatal("interleaved readers returned wrong data")
	}
}

func testConcurrency(t *testing.T, s blob.Store) {
	const workers, rounds = 16, 8
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				data := []byte(fmt.Sprintf("worker %d round %d %s", w, i, bytes.Repeat([]byte{byte(i)}, w*100)))
				id, _, err := s.Put(ctx, bytes.NewReader(data))
				if err != nil {
					errs <- err
					return
				}
				rc, err := s.Open(ctx, id, 0, -1)
				if err != nil {
					errs <- err
					return
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || !bytes.Equal(got, data) {
					errs <- fmt.Errorf("read back %s: %v (equal=%v)", id, err, bytes.Equal(got, data))
					return
				}
				if i%2 == 0 {
					if err := s.Delete(ctx, id); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if l, ok := s.(blob.Lister); ok {
		if n := countBlobs(t, l); n != workers*rounds/2 {
			t.Errorf("Walk found %d blobs, want %d", n, workers*rounds/2)
		}
	}
}

// cancellingReader cancels its context once it has produced after bytes,
// then keeps producing.
type cancellingReader struct {
	cancel func()
	after  int64
	n      int64
}

func (r *cancellingReader) Read(p []byte) (int, error) {
	if len(p) > 64<<10 {
		p = p[:64<<10]
	}
	for i := range p {
		p[i] = byte(r.n + int64(i))
	}
	r.n += int64(len(p))
	if r.n >= r.after {
		r.cancel()
	}
	if r.n > 8*r.after {
		return len(p), io.EOF
	}
	return len(p), nil
}

func testCancelledPut(t *testing.T, s blob.Store) {
	tests := []struct {
		name  string
		after int64
	}{
		{"cancel before start", 0},
		{"cancel after a few bytes", 100},
		{"cancel after several MiB", 4 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.after == 0 {
				cancel()
			}
			_, _, err := s.Put(ctx, &cancellingReader{cancel: cancel, after: max(tt.after, 1)})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Put = %v, want context.Canceled", err)
			}
			assertEmpty(t, s)
		})
	}
}

type errReader struct {
	data []byte
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func testReaderError(t *testing.T, s blob.Store) {
	boom := errors.New("network went away")
	tests := []struct {
		name string
		n    int
	}{
		{"immediately", 0},
		{"after some bytes", 1000},
		{"after more than a buffer", 3 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := s.Put(context.Background(), &errReader{data: make([]byte, tt.n), err: boom})
			if !errors.Is(err, boom) {
				t.Fatalf("Put = %v, want the reader's error", err)
			}
			assertEmpty(t, s)
		})
	}
}

func testWalk(t *testing.T, s blob.Store) {
	l, ok := s.(blob.Lister)
	if !ok {
		t.Skip("store does not implement blob.Lister")
	}
	want := map[string]bool{}
	for i := range 20 {
		want[put(t, s, []byte{byte(i)})] = true
	}
	got := map[string]bool{}
	err := l.Walk(context.Background(), func(id string) error {
		if got[id] {
			t.Errorf("Walk visited %s twice", id)
		}
		got[id] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("Walk found %d blobs, want %d", len(got), len(want))
	}
	for id := range want {
		if !got[id] {
			t.Errorf("Walk missed %s", id)
		}
	}
	stop := errors.New("stop")
	calls := 0
	err = l.Walk(context.Background(), func(string) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("Walk with failing fn = %v after %d calls, want fn's error after 1", err, calls)
	}
}

func countBlobs(t *testing.T, l blob.Lister) int {
	t.Helper()
	n := 0
	if err := l.Walk(context.Background(), func(string) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// assertEmpty checks that a store that had only failed Puts holds nothing,
// as far as the store lets us look.
func assertEmpty(t *testing.T, s blob.Store) {
	t.Helper()
	if l, ok := s.(blob.Lister); ok {
		if n := countBlobs(t, l); n != 0 {
			t.Errorf("store holds %d blobs after failed Puts", n)
		}
	}
	if r, ok := s.(blob.Recoverer); ok {
		n, err := r.RemoveTemp(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("failed Put left %d temporary files", n)
		}
	}
}
