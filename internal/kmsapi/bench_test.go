package kmsapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// BenchmarkGenerateDataKeyDecrypt measures what SSE-KMS costs per object:
// one GenerateDataKey and one Decrypt through aws-sdk-go-v2 over loopback,
// 16 callers at once (go test -bench . -cpu 16 for the setting).
// Client and server share the machine's cores.
func BenchmarkGenerateDataKeyDecrypt(b *testing.B) {
	ts := startServer(b)
	benchmarkPairs(b, ts.URL, func(c *kms.Client) *string {
		key, err := c.CreateKey(b.Context(), &kms.CreateKeyInput{})
		if err != nil {
			b.Fatal(err)
		}
		return key.KeyMetadata.KeyId
	})
}

// BenchmarkSDKClientFloor runs BenchmarkGenerateDataKeyDecrypt's client
// against a server that only answers with canned responses: what the SDK
// client and net/http on both ends cost per pair before the KMS does any
// work, the floor under BenchmarkGenerateDataKeyDecrypt on the same cores.
func BenchmarkSDKClientFloor(b *testing.B) {
	const keyARN = "arn:aws:kms:eu-west-1:123456789012:key/0b1c9f7e-1111-4222-8333-444455556666"
	dataKey := base64.StdEncoding.EncodeToString(make([]byte, 32))
	blob := base64.StdEncoding.EncodeToString(make([]byte, 98))
	generated := []byte(`{"KeyId":"` + keyARN + `","CiphertextBlob":"` + blob + `","Plaintext":"` + dataKey + `"}`)
	decrypted := []byte(`{"KeyId":"` + keyARN + `","Plaintext":"` + dataKey + `","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}`)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if r.Header.Get("X-Amz-Target") == "TrentService.GenerateDataKey" {
			_, _ = w.Write(generated)
			return
		}
		_, _ = w.Write(decrypted)
	}))
	b.Cleanup(hs.Close)
	benchmarkPairs(b, hs.URL, func(*kms.Client) *string { return aws.String(keyARN) })
}

// benchmarkPairs runs GenerateDataKey + Decrypt pairs from 16 callers
// against the service at url, with the key keyID returns. It reports the
// p99 latency of one call, the CPU time the process (client and server
// together) spent per pair, and the connections the client opened.
func benchmarkPairs(b *testing.B, url string, keyID func(*kms.Client) *string) {
	// The SDK's default transport keeps 10 idle connections per host, so
	// 16 callers would keep opening new ones; this one keeps them all, and
	// counts them to show it.
	var conns atomic.Int64
	dialer := &net.Dialer{}
	c := (&testServer{URL: url}).client(testSecretKey, func(o *kms.Options) {
		o.HTTPClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				conns.Add(1)
				return dialer.DialContext(ctx, network, addr)
			}}}
	})
	ctx := b.Context()
	key := keyID(c)
	ec := map[string]string{"aws:s3:arn": "arn:aws:s3:::bucket/object"}
	var (
		mu        sync.Mutex
		latencies []time.Duration
	)
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0))) // 16 callers
	b.ResetTimer()
	cpu0, cpuOK := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		var local []time.Duration
		for pb.Next() {
			start := time.Now()
			dk, err := c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: key, KeySpec: types.DataKeySpecAes256, EncryptionContext: ec})
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
	if cpu1, ok := processCPU(); ok && cpuOK {
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	}
	b.ReportMetric(float64(conns.Load()), "conns")
	if len(latencies) > 0 {
		slices.Sort(latencies)
		b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms/call")
	}
}

// handlerClient sends SDK requests straight to a handler, in process, and
// keeps the last request it sent.
type handlerClient struct {
	h    http.Handler
	last *http.Request
	body []byte
}

func (c *handlerClient) Do(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	c.last, c.body = r, body
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, serverRequest(r, body))
	return w.Result(), nil
}

// serverRequest is r as the server sees it.
func serverRequest(r *http.Request, body []byte) *http.Request {
	s := httptest.NewRequest(r.Method, r.URL.RequestURI(), bytes.NewReader(body))
	s.Host, s.Header = r.URL.Host, r.Header.Clone()
	return s
}

// BenchmarkHandlerGenerateDataKeyDecrypt is the server's side of
// BenchmarkGenerateDataKeyDecrypt without the client and the network: a
// GenerateDataKey and a Decrypt that aws-sdk-go-v2 signed, replayed into
// the handler (httpx chain, SigV4 verification, decoding, authorization,
// key material unsealing, audit-free response) one after the other.
func BenchmarkHandlerGenerateDataKeyDecrypt(b *testing.B) {
	ts := startServer(b)
	hc := &handlerClient{h: ts.srv.Handler()}
	c := ts.client(testSecretKey, func(o *kms.Options) { o.HTTPClient = hc })
	ctx := b.Context()
	key, err := c.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		b.Fatal(err)
	}
	ec := map[string]string{"aws:s3:arn": "arn:aws:s3:::bucket/object"}
	dk, err := c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: key.KeyMetadata.KeyId, KeySpec: types.DataKeySpecAes256, EncryptionContext: ec})
	if err != nil {
		b.Fatal(err)
	}
	gen, genBody := hc.last, hc.body
	if _, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: ec}); err != nil {
		b.Fatal(err)
	}
	dec, decBody := hc.last, hc.body
	calls := []struct {
		r    *http.Request
		body []byte
	}{{serverRequest(gen, genBody), genBody}, {serverRequest(dec, decBody), decBody}}
	h := ts.srv.Handler()
	b.ReportAllocs()
	for b.Loop() {
		for _, call := range calls {
			// What net/http allocates per request anyway: the request, its
			// header map and a body reader.
			r := *call.r
			r.Header, r.Body = call.r.Header.Clone(), io.NopCloser(bytes.NewReader(call.body))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, &r)
			if w.Code != http.StatusOK {
				b.Fatalf("%s: %d %s", r.Header.Get("X-Amz-Target"), w.Code, w.Body)
			}
		}
	}
}
