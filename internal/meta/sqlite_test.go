package meta_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/meta/metatest"
)

func openSQLite(t testing.TB, path string, opts ...meta.Option) *meta.SQL {
	t.Helper()
	s, err := meta.OpenSQLite(context.Background(), path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSQLiteConformance(t *testing.T) {
	metatest.Run(t, func(t *testing.T) meta.Store {
		return openSQLite(t, filepath.Join(t.TempDir(), "meta.db"))
	})
}

func TestSQLiteDurability(t *testing.T) {
	metatest.RunDurability(t, func(t *testing.T) func() meta.Store {
		path := filepath.Join(t.TempDir(), "meta.db")
		return func() meta.Store {
			s, err := meta.OpenSQLite(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	})
}

func TestSQLiteRejectsBadPath(t *testing.T) {
	for _, p := range []string{"", "a?b.db", filepath.Join(t.TempDir(), "missing-dir", "x", "meta.db")} {
		if s, err := meta.OpenSQLite(context.Background(), p); err == nil {
			s.Close()
			t.Errorf("OpenSQLite(%q) succeeded", p)
		}
	}
}

func TestSQLiteWritesAfterClose(t *testing.T) {
	s, err := meta.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if err := s.CreateBucket(context.Background(), meta.Bucket{Name: "b"}); err == nil {
		t.Fatal("write after Close succeeded")
	}
}

// TestSQLiteGroupCommit checks that concurrent commits share
// transactions, and that a failing item does not fail its group.
func TestSQLiteGroupCommit(t *testing.T) {
	s := openSQLite(t, filepath.Join(t.TempDir(), "meta.db"))
	ctx := context.Background()
	if err := s.CreateBucket(ctx, meta.Bucket{Name: "b", Owner: "o"}); err != nil {
		t.Fatal(err)
	}
	b0, i0 := s.CommitStats()
	const writers, rounds = 32, 10
	fail := errors.New("nope")
	var failures, oks atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				var cond meta.Precondition
				if r%3 == 0 {
					cond = func(*meta.Version) error { return fail }
				}
				_, err := s.CommitVersion(ctx, meta.Version{Bucket: "b", Key: fmt.Sprint("k", w%7), VersionID: fmt.Sprint(w, "-", r),
					LastModified: time.Now(), Parts: []meta.Part{{BlobID: fmt.Sprint("blob", w, r)}}}, cond)
				switch {
				case cond != nil && err == fail:
					failures.Add(1)
				case cond == nil && err == nil:
					oks.Add(1)
				default:
					t.Errorf("writer %d round %d: %v", w, r, err)
				}
			}
		})
	}
	wg.Wait()
	b1, i1 := s.CommitStats()
	batches, items := b1-b0, i1-i0
	if items != oks.Load() {
		t.Fatalf("committed %d items, %d commits succeeded", items, oks.Load())
	}
	if batches >= items {
		t.Errorf("%d transactions for %d commits: no grouping", batches, items)
	}
	t.Logf("%d commits in %d transactions (%.1f per group), %d failed preconditions", items, batches, float64(items)/float64(batches), failures.Load())
}

func BenchmarkCommitVersionParallel(b *testing.B) {
	s := openSQLite(b, filepath.Join(b.TempDir(), "meta.db"))
	ctx := context.Background()
	if err := s.CreateBucket(ctx, meta.Bucket{Name: "b", Owner: "o"}); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b0, i0 := s.CommitStats()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			v := meta.Version{
				Bucket: "b", Key: fmt.Sprintf("dir/key-%08d", i), VersionID: meta.NullVersionID,
				Owner: "o", LastModified: time.Now(), Size: 4096, ETag: "0123456789abcdef0123456789abcdef",
				StorageClass: "STANDARD", Headers: meta.ObjectHeaders{ContentType: "application/octet-stream"},
				Parts: []meta.Part{{BlobID: fmt.Sprintf("%032x", i), Size: 4096, ETag: "0123456789abcdef0123456789abcdef"}},
			}
			if _, err := s.CommitVersion(ctx, v, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b1, i1 := s.CommitStats()
	if b1 > b0 {
		b.ReportMetric(float64(i1-i0)/float64(b1-b0), "commits/txn")
	}
}

func BenchmarkCommitVersionSerial(b *testing.B) {
	s := openSQLite(b, filepath.Join(b.TempDir(), "meta.db"))
	ctx := context.Background()
	if err := s.CreateBucket(ctx, meta.Bucket{Name: "b", Owner: "o"}); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		v := meta.Version{Bucket: "b", Key: fmt.Sprintf("key-%08d", i), VersionID: meta.NullVersionID, LastModified: time.Now(),
			Parts: []meta.Part{{BlobID: fmt.Sprintf("%032x", i), Size: 4096}}}
		if _, err := s.CommitVersion(ctx, v, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkListLatest1000(b *testing.B) {
	s := openSQLite(b, filepath.Join(b.TempDir(), "meta.db"))
	ctx := context.Background()
	if err := s.CreateBucket(ctx, meta.Bucket{Name: "b", Owner: "o"}); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 20 {
		wg.Go(func() {
			for i := range 500 {
				v := meta.Version{Bucket: "b", Key: fmt.Sprintf("k-%02d-%04d", w, i), VersionID: meta.NullVersionID, LastModified: time.Now()}
				if _, err := s.CommitVersion(ctx, v, nil); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for b.Loop() {
		vs, err := s.ListLatest(ctx, "b", meta.ListPage{After: "k-10", Limit: 1000})
		if err != nil || len(vs) != 1000 {
			b.Fatal(len(vs), err)
		}
	}
}
