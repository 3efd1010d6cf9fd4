package object

import (
	"bytes"
	"fmt"
	"io"
	"sync/atomic"
	"testing"

	"github.com/coffer-project/coffer/internal/meta"
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
			buf := make([]byte, 32<<10)
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for b.Loop() {
				r, err := e.svc.GetObject(e.ctx, GetInput{Bucket: "b", Key: "big", Customer: in.Customer})
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r.Body}, buf)
				r.Body.Close()
				if err != nil || n != int64(len(data)) {
					b.Fatalf("read %d bytes: %v", n, err)
				}
			}
		})
	}
}
