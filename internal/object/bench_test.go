package object

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"testing"

	"github.com/coffer-project/coffer/internal/blob"
	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/s3"
)

// benchModes are the encryption settings the engine benchmarks compare:
// none (a Service without a KMS), and each mode over a real keystore.
var benchModes = []struct {
	name string
	kms  bool
	sse  func() SSEInput
}{
	{"plaintext", false, func() SSEInput { return SSEInput{} }},
	{"SSE-S3", true, func() SSEInput { return SSEInput{} }},
	{"SSE-KMS", true, func() SSEInput { return SSEInput{Algorithm: meta.SSEKMS} }},
	{"SSE-KMS-bucket-key", true, func() SSEInput { t := true; return SSEInput{Algorithm: meta.SSEKMS, BucketKey: &t} }},
	{"SSE-C", true, func() SSEInput { return SSEInput{Customer: customerKey(1)} }},
}

func benchEnv(b *testing.B, withKMS bool) *env {
	e := newEnv(b)
	if withKMS {
		e.svc.KMS = newStoreKMS(b)
	}
	e.bucket("b", "")
	return e
}

func BenchmarkPut4KiBParallel(b *testing.B) {
	for _, m := range benchModes {
		b.Run(m.name, func(b *testing.B) {
			e := benchEnv(b, m.kms)
			data := pattern(4096, 1)
			var n atomic.Int64
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					key := fmt.Sprintf("obj-%d", n.Add(1))
					if _, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: key, Body: bytes.NewReader(data), Size: int64(len(data)), SSE: m.sse()}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkGet64MiB reads a 64 MiB object (blob) whole: the engine's cost
// of decryption against the plaintext path, without HTTP.
func BenchmarkGet64MiB(b *testing.B) {
	for _, m := range benchModes {
		b.Run(m.name, func(b *testing.B) {
			e := benchEnv(b, m.kms)
			data := pattern(64<<20, 2)
			in := m.sse()
			if _, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "big", Body: bytes.NewReader(data), Size: int64(len(data)), SSE: in}); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for b.Loop() {
				r, err := e.svc.GetObject(e.ctx, GetInput{Bucket: "b", Key: "big", Customer: in.Customer})
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, r.Body) // as s3api sends a body
				r.Body.Close()
				if err != nil || n != int64(len(data)) {
					b.Fatalf("read %d bytes: %v", n, err)
				}
			}
		})
	}
}

// countingBlobs counts the stored bytes read through Open.
type countingBlobs struct {
	blob.Store
	read atomic.Int64
}

func (c *countingBlobs) Open(ctx context.Context, id string, offset, length int64) (io.ReadCloser, error) {
	rc, err := c.Store.Open(ctx, id, offset, length)
	if err != nil {
		return nil, err
	}
	return &countingReader{ReadCloser: rc, n: &c.read}, nil
}

type countingReader struct {
	io.ReadCloser
	n *atomic.Int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.n.Add(int64(n))
	return n, err
}

// BenchmarkRangeGet1MiBOf1GiB reads 1 MiB from the middle of a 1 GiB
// SSE-KMS object and reports the stored (ciphertext) bytes each read
// opens: "stored-bytes/op", against the 1.2 MiB bound of issue 4.
func BenchmarkRangeGet1MiBOf1GiB(b *testing.B) {
	e := benchEnv(b, true)
	counting := &countingBlobs{Store: e.svc.Blobs}
	e.svc.Blobs = counting
	const size = 1 << 30
	src := io.LimitReader(&patternReader{}, size)
	if _, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "huge", Body: src, Size: size,
		SSE: SSEInput{Algorithm: meta.SSEKMS}}); err != nil {
		b.Fatal(err)
	}
	rg := &s3.Range{First: size/2 + 12345, Last: size/2 + 12345 + 1<<20 - 1}
	counting.read.Store(0)
	b.SetBytes(1 << 20)
	b.ResetTimer()
	for b.Loop() {
		r, err := e.svc.GetObject(e.ctx, GetInput{Bucket: "b", Key: "huge", Range: rg})
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r.Body)
		r.Body.Close()
		if err != nil || n != 1<<20 {
			b.Fatalf("read %d bytes: %v", n, err)
		}
	}
	b.ReportMetric(float64(counting.read.Load())/float64(b.N), "stored-bytes/op")
}

// patternReader yields an endless cheap byte pattern.
type patternReader struct{ i byte }

func (p *patternReader) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = p.i
		p.i++
	}
	return len(b), nil
}
