package kmsapi_test

import (
	"net/http"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// BenchmarkGenerateDataKeyDecrypt measures what SSE-KMS costs per object:
// one GenerateDataKey and one Decrypt through aws-sdk-go-v2 over loopback,
// 16 callers at once (go test -bench . -cpu 16 for the setting).
// It reports the p99 latency of one call.
func BenchmarkGenerateDataKeyDecrypt(b *testing.B) {
	ts := startServer(b)
	c := ts.client(testSecretKey, func(o *kms.Options) {
		o.HTTPClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	})
	ctx := b.Context()
	key, err := c.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		b.Fatal(err)
	}
	ec := map[string]string{"aws:s3:arn": "arn:aws:s3:::bucket/object"}
	var (
		mu        sync.Mutex
		latencies []time.Duration
	)
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0))) // 16 callers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var local []time.Duration
		for pb.Next() {
			start := time.Now()
			dk, err := c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: key.KeyMetadata.KeyId, KeySpec: types.DataKeySpecAes256, EncryptionContext: ec})
			if err != nil {
				b.Error(err)
				return
			}
			mid := time.Now()
			if _, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: ec}); err != nil {
				b.Error(err)
				return
			}
			local = append(local, mid.Sub(start), time.Since(mid))
		}
		mu.Lock()
		latencies = append(latencies, local...)
		mu.Unlock()
	})
	b.StopTimer()
	if len(latencies) > 0 {
		slices.Sort(latencies)
		b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms/call")
	}
}
