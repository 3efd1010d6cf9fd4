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

	cofferkms "github.com/coffer-project/coffer/internal/kms"
)

// BenchmarkGenerateDataKeyDecrypt measures what SSE-KMS costs per object:
// one GenerateDataKey and one Decrypt through aws-sdk-go-v2 over loopback,
// 16 callers at once (go test -bench . -cpu 16 for the setting).
// Client and server share the machine's cores.
func BenchmarkGenerateDataKeyDecrypt(b *testing.B) {
	ts := startServer(b)
	sdkPairs(b, ts.URL, func(c *kms.Client) *string {
		key, err := c.CreateKey(b.Context(), &kms.CreateKeyInput{})
		if err != nil {
			b.Fatal(err)
		}
		return key.KeyMetadata.KeyId
	})
}

// BenchmarkProviderGenerateDataKeyDecrypt is BenchmarkGenerateDataKeyDecrypt
// through the Provider that `coffer server` uses (cofferkms.Client, its own
// AWS JSON encoding and SigV4 signing) instead of aws-sdk-go-v2's client.
func BenchmarkProviderGenerateDataKeyDecrypt(b *testing.B) {
	ts := startServer(b)
	key, err := ts.client(testSecretKey).CreateKey(b.Context(), &kms.CreateKeyInput{})
	if err != nil {
		b.Fatal(err)
	}
	providerPairs(b, ts.URL, aws.ToString(key.KeyMetadata.KeyId))
}

// cannedKMS answers every GenerateDataKey and Decrypt with the same
// response, doing no KMS work, and returns its URL and key ARN.
func cannedKMS(b *testing.B) (string, string) {
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
	return hs.URL, keyARN
}

// BenchmarkSDKClientFloor runs BenchmarkGenerateDataKeyDecrypt's client
// against a server that only answers with canned responses: what the SDK
// client and net/http on both ends cost per pair before the KMS does any
// work, the floor under BenchmarkGenerateDataKeyDecrypt on the same cores.
func BenchmarkSDKClientFloor(b *testing.B) {
	url, keyARN := cannedKMS(b)
	sdkPairs(b, url, func(*kms.Client) *string { return aws.String(keyARN) })
}

// BenchmarkProviderClientFloor is BenchmarkSDKClientFloor for the Provider:
// the floor under BenchmarkProviderGenerateDataKeyDecrypt.
func BenchmarkProviderClientFloor(b *testing.B) {
	url, keyARN := cannedKMS(b)
	providerPairs(b, url, keyARN)
}

// benchObjectARN is the encryption context's aws:s3:arn in every
// benchmark pair, as S3 binds an object's data key.
const benchObjectARN = "arn:aws:s3:::bucket/object"

// sdkPairs runs benchmarkPairs through aws-sdk-go-v2's KMS client against
// the service at url, with the key keyID returns.
func sdkPairs(b *testing.B, url string, keyID func(*kms.Client) *string) {
	hc, conns := benchHTTPClient()
	c := (&testServer{URL: url}).client(testSecretKey, func(o *kms.Options) { o.HTTPClient = hc })
	ctx, ec := b.Context(), map[string]string{"aws:s3:arn": benchObjectARN}
	key := keyID(c)
	benchmarkPairs(b, conns, func() ([]byte, error) {
		dk, err := c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: key, KeySpec: types.DataKeySpecAes256,
			EncryptionContext: ec})
		if err != nil {
			return nil, err
		}
		return dk.CiphertextBlob, nil
	}, func(blob []byte) error {
		_, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob, EncryptionContext: ec})
		return err
	})
}

// providerPairs runs benchmarkPairs through cofferkms.Client against the
// service at url, with the key keyID, clearing the data keys as its
// callers do.
func providerPairs(b *testing.B, url, keyID string) {
	conns := new(atomic.Int64)
	dialer := &net.Dialer{}
	// The transport `coffer server` gives the Client, counting its dials.
	hc := &http.Client{Transport: &cofferkms.Transport{MaxIdleConns: 128,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conns.Add(1)
			return dialer.DialContext(ctx, network, addr)
		}}}
	c, err := cofferkms.NewClient(cofferkms.ClientConfig{Endpoint: url, Region: testRegion, AccessKeyID: testAccessKey,
		SecretAccessKey: testSecretKey, HTTPClient: hc})
	if err != nil {
		b.Fatal(err)
	}
	ctx, ec := b.Context(), map[string]string{"aws:s3:arn": benchObjectARN}
	benchmarkPairs(b, conns, func() ([]byte, error) {
		dk, err := c.GenerateDataKey(ctx, keyID, ec)
		clear(dk.Plaintext)
		return dk.Ciphertext, err
	}, func(blob []byte) error {
		plain, err := c.Decrypt(ctx, blob, ec)
		clear(plain)
		return err
	})
}

// benchHTTPClient is the HTTP client of the loopback benchmarks, and the
// count of connections it opens. The SDK's default transport keeps 10 idle
// connections per host, so 16 callers would keep opening new ones; this
// one keeps them all, and counts them to show it.
func benchHTTPClient() (*http.Client, *atomic.Int64) {
	conns := new(atomic.Int64)
	dialer := &net.Dialer{}
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conns.Add(1)
			return dialer.DialContext(ctx, network, addr)
		}}}, conns
}

// benchmarkPairs runs pairs of generate (a GenerateDataKey, returning its
// ciphertext blob) and decrypt (a Decrypt of that blob) from 16 callers.
// It reports the allocations, the p99 latency of one call, the CPU time
// the process (client and server together) spent per pair, and conns, the
// connections the client opened.
func benchmarkPairs(b *testing.B, conns *atomic.Int64, generate func() ([]byte, error), decrypt func([]byte) error) {
	var (
		mu        sync.Mutex
		latencies []time.Duration
	)
	b.ReportAllocs()
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0))) // 16 callers
	conns.Store(0)                                     // the timed run's only
	b.ResetTimer()
	cpu0, cpuOK := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		var local []time.Duration
		for pb.Next() {
			start := time.Now()
			blob, err := generate()
			if err != nil {
				b.Error(err)
				return
			}
			mid := time.Now()
			if err := decrypt(blob); err != nil {
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
	ec := map[string]string{"aws:s3:arn": benchObjectARN}
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
