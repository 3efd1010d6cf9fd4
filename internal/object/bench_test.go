package object

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"testing"
)

func BenchmarkPut4KiBParallel(b *testing.B) {
	e := newEnv(b)
	e.bucket("b", "")
	data := pattern(4096, 1)
	var n atomic.Int64
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := fmt.Sprintf("obj-%d", n.Add(1))
			if _, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: key, Body: bytes.NewReader(data), Size: int64(len(data))}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
