package blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/coffer-project/coffer/internal/blob"
	"github.com/coffer-project/coffer/internal/blob/blobtest"
)

func newFS(t testing.TB, opts ...blob.FSOption) *blob.FS {
	t.Helper()
	s, err := blob.NewFS(t.TempDir(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFSConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return newFS(t) })
}

func TestFaultyWithoutFaultsConforms(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return blob.NewFaulty(newFS(t)) })
}

// lockedReader makes a deterministic source safe for concurrent Puts.
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

func TestFSLayout(t *testing.T) {
	seed := bytes.Repeat([]byte{0xab, 0xcd, 0x01, 0x23}, 4)
	s := newFS(t, blob.WithRandom(&lockedReader{r: bytes.NewReader(seed)}))
	id, _, err := s.Put(context.Background(), strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "abcd0123abcd0123abcd0123abcd0123"; id != want {
		t.Fatalf("id = %s, want %s from the injected randomness", id, want)
	}
	b, err := os.ReadFile(filepath.Join(s.Dir(), "ab", "cd", id))
	if err != nil || string(b) != "hello" {
		t.Fatalf("blob file: %q, %v", b, err)
	}
	// The random source is exhausted: Put must fail cleanly.
	if _, _, err := s.Put(context.Background(), strings.NewReader("x")); err == nil {
		t.Fatal("Put with exhausted randomness succeeded")
	}
}

func TestFSRejectsMalformedIDs(t *testing.T) {
	s := newFS(t)
	outside := filepath.Join(filepath.Dir(s.Dir()), "victim")
	if err := os.WriteFile(outside, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"../victim", "ABCDEF0123456789ABCDEF0123456789", "abcd0123abcd0123abcd0123abcd012", "tmp"} {
		if err := s.Delete(context.Background(), id); err == nil {
			t.Errorf("Delete(%q) succeeded", id)
		}
		if _, err := s.Open(context.Background(), id, 0, -1); !errors.Is(err, blob.ErrNotExist) {
			t.Errorf("Open(%q) = %v, want ErrNotExist", id, err)
		}
	}
	if _, err := os.Stat(outside); err != nil {
		t.Fatalf("file outside the store touched: %v", err)
	}
}

func TestFSOpenPastEndIsShortRead(t *testing.T) {
	s := newFS(t)
	id, _, err := s.Put(context.Background(), strings.NewReader("0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := s.Open(context.Background(), id, 5, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if string(got) != "56789" || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read %q, %v; want \"56789\", io.ErrUnexpectedEOF", got, err)
	}
	if _, err := s.Open(context.Background(), id, -1, 1); err == nil {
		t.Fatal("negative offset accepted")
	}
}

func TestFSRemoveTempAndWalkSkipsStrays(t *testing.T) {
	s := newFS(t)
	id, _, err := s.Put(context.Background(), strings.NewReader("kept"))
	if err != nil {
		t.Fatal(err)
	}
	// Leftovers of a crash, and files that are not blobs.
	for _, p := range []string{"tmp/abc.123", "tmp/def.456", "ab/stray", "zz/zz/0123", "README"} {
		full := filepath.Join(s.Dir(), p)
		if err := os.MkdirAll(filepath.Dir(full), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	if err := s.Walk(context.Background(), func(id string) error { ids = append(ids, id); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || ids[0] != id {
		t.Fatalf("Walk = %v, want [%s]", ids, id)
	}
	n, err := s.RemoveTemp(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("RemoveTemp = %d, %v; want 2, nil", n, err)
	}
	if left, _ := os.ReadDir(filepath.Join(s.Dir(), "tmp")); len(left) != 0 {
		t.Fatalf("tmp still holds %d entries", len(left))
	}
	if _, err := s.Open(context.Background(), id, 0, -1); err != nil {
		t.Fatalf("blob lost by RemoveTemp: %v", err)
	}
}

func TestFaulty(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("disk on fire")

	t.Run("put fails before the store", func(t *testing.T) {
		f := blob.NewFaulty(newFS(t))
		f.Inject(blob.Fault{Op: blob.OpPut, Times: 1})
		if _, _, err := f.Put(ctx, strings.NewReader("x")); !errors.Is(err, blob.ErrInjected) {
			t.Fatalf("Put = %v, want ErrInjected", err)
		}
		if _, _, err := f.Put(ctx, strings.NewReader("x")); err != nil {
			t.Fatalf("second Put = %v, fault should have fired once", err)
		}
		if f.Calls(blob.OpPut) != 2 {
			t.Fatalf("Calls = %d", f.Calls(blob.OpPut))
		}
	})

	t.Run("put fails mid-stream and leaves nothing", func(t *testing.T) {
		fs := newFS(t)
		f := blob.NewFaulty(fs)
		f.Inject(blob.Fault{Op: blob.OpPut, AfterBytes: 100, Err: boom})
		if _, _, err := f.Put(ctx, bytes.NewReader(make([]byte, 1000))); !errors.Is(err, boom) {
			t.Fatalf("Put = %v, want injected error", err)
		}
		if n, _ := fs.RemoveTemp(ctx); n != 0 {
			t.Fatalf("%d temp files left", n)
		}
		// A body shorter than the fault point is stored normally.
		if _, size, err := f.Put(ctx, bytes.NewReader(make([]byte, 50))); err != nil || size != 50 {
			t.Fatalf("short Put = %d, %v", size, err)
		}
	})

	t.Run("put fails after storing", func(t *testing.T) {
		fs := newFS(t)
		f := blob.NewFaulty(fs)
		f.Inject(blob.Fault{Op: blob.OpPut, AfterCall: true})
		if _, _, err := f.Put(ctx, strings.NewReader("orphan")); !errors.Is(err, blob.ErrInjected) {
			t.Fatalf("Put = %v", err)
		}
		n := 0
		_ = fs.Walk(ctx, func(string) error { n++; return nil })
		if n != 1 {
			t.Fatalf("want the orphaned blob stored, found %d", n)
		}
	})

	t.Run("open and read faults by predicate", func(t *testing.T) {
		f := blob.NewFaulty(newFS(t))
		bad, _, _ := f.Put(ctx, strings.NewReader("0123456789"))
		good, _, _ := f.Put(ctx, strings.NewReader("0123456789"))
		f.Inject(blob.Fault{Op: blob.OpOpen, AfterBytes: 4, Err: boom, Match: func(id string) bool { return id == bad }})
		rc, err := f.Open(ctx, bad, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if string(got) != "0123" || !errors.Is(err, boom) {
			t.Fatalf("read %q, %v", got, err)
		}
		rc, err = f.Open(ctx, good, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		got, err = io.ReadAll(rc)
		rc.Close()
		if string(got) != "0123456789" || err != nil {
			t.Fatalf("unmatched blob read %q, %v", got, err)
		}
		f.Reset()
		f.Inject(blob.Fault{Op: blob.OpOpen})
		if _, err := f.Open(ctx, good, 0, -1); !errors.Is(err, blob.ErrInjected) {
			t.Fatalf("Open = %v", err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		f := blob.NewFaulty(newFS(t))
		id, _, _ := f.Put(ctx, strings.NewReader("x"))
		f.Inject(blob.Fault{Op: blob.OpDelete, Times: 1})
		if err := f.Delete(ctx, id); !errors.Is(err, blob.ErrInjected) {
			t.Fatalf("Delete = %v", err)
		}
		if _, err := f.Open(ctx, id, 0, -1); err != nil {
			t.Fatalf("blob gone after failed Delete: %v", err)
		}
		f.Inject(blob.Fault{Op: blob.OpDelete, AfterCall: true, Times: 1})
		if err := f.Delete(ctx, id); !errors.Is(err, blob.ErrInjected) {
			t.Fatalf("Delete = %v", err)
		}
		if _, err := f.Open(ctx, id, 0, -1); !errors.Is(err, blob.ErrNotExist) {
			t.Fatalf("blob still there after AfterCall Delete: %v", err)
		}
	})
}

func BenchmarkFSPut(b *testing.B) {
	for _, bc := range []struct {
		name string
		size int
	}{
		{"4KiB", 4 << 10},
		{"64MiB", 64 << 20},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := newFS(b)
			data := make([]byte, bc.size)
			b.SetBytes(int64(bc.size))
			b.ResetTimer()
			for b.Loop() {
				if _, _, err := s.Put(context.Background(), bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkFSPutParallel4KiB(b *testing.B) {
	s := newFS(b)
	data := make([]byte, 4<<10)
	b.SetBytes(int64(len(data)))
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := s.Put(context.Background(), bytes.NewReader(data)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
