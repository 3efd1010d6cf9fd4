package lifecycle_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/lifecycle"
	"github.com/coffer-project/coffer/internal/meta"
)

// noActions fails the benchmark if the scanner finds anything due.
type noActions struct{ b *testing.B }

func (a noActions) fail() (bool, error) {
	a.b.Error("the scanner found an action due in a bucket with none")
	return false, nil
}
func (a noActions) LifecycleTransition(context.Context, string, string, string, int64, string) (bool, error) {
	return a.fail()
}
func (a noActions) LifecycleExpire(context.Context, string, string, int64) (bool, error) {
	return a.fail()
}
func (a noActions) LifecycleDeleteVersion(context.Context, string, string, string, int64) (bool, error) {
	return a.fail()
}
func (a noActions) LifecycleAbortUpload(context.Context, string, string, string) (bool, error) {
	return a.fail()
}
func (a noActions) LifecycleForgetRestore(context.Context, string, string, string, int64) (bool, error) {
	return a.fail()
}

// BenchmarkScanner measures one scanner pass over a bucket of
// COFFER_BENCH_OBJECTS objects (default 1,000,000) in a real SQLite file,
// under a lifecycle configuration with nothing due: what every hourly run
// costs when there is nothing to do. It reports objects/s and the peak
// heap in use during the pass (sampled every 10 ms), which stays flat
// whatever the bucket's size: the scanner holds one page.
//
// Building the bucket takes a while; it is built once per process and
// not timed.
func BenchmarkScanner(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("COFFER_BENCH_OBJECTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	m, err := meta.OpenSQLite(ctx, filepath.Join(b.TempDir(), "meta.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	const bucket = "big"
	if err := m.CreateBucket(ctx, meta.Bucket{Name: bucket, Owner: "owner", Created: start,
		// Due only in ten years, and only for tagged objects: nothing is
		// due, but every rule is evaluated against every object.
		Lifecycle: `{"rules":[` +
			`{"id":"expire","status":"Enabled","filter":{"prefix":"logs/"},"expiration":{"days":3650}},` +
			`{"id":"archive","status":"Enabled","filter":{"tag":{"key":"tier","value":"cold"}},"transitions":[{"days":30,"storageClass":"GLACIER"}]},` +
			`{"id":"ia","status":"Enabled","filter":{},"transitions":[{"days":3650,"storageClass":"STANDARD_IA"}],"abortMultipart":{"daysAfterInitiation":7}}]}`,
	}); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				key := fmt.Sprintf("logs/%07d", i)
				if i%2 == 1 {
					key = fmt.Sprintf("data/%07d", i)
				}
				_, err := m.CommitVersion(ctx, meta.Version{Bucket: bucket, Key: key, VersionID: meta.NullVersionID,
					Owner: "owner", LastModified: start, Size: 200 << 10, ETag: "d41d8cd98f00b204e9800998ecf8427e",
					StorageClass: "STANDARD", Parts: []meta.Part{{Size: 0, Inline: []byte{}, LastModified: start}}}, nil)
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if b.Failed() {
		return
	}

	sc := &lifecycle.Scanner{Store: m, Actions: noActions{b}, Now: func() time.Time { return start.AddDate(0, 0, 10) }}
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	runtime.GC()
	b.ResetTimer()
	for b.Loop() {
		if err := sc.ScanOnce(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(stop)
	<-sampled
	if got := sc.Stats().Versions.Load(); got != int64(n)*int64(b.N) {
		b.Fatalf("evaluated %d versions in %d passes over %d", got, b.N, n)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
}
