package kms_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/coffer-project/coffer/internal/kms"
)

// sdkClient is aws-sdk-go-v2's KMS client for endpoint, without retries:
// the reference for what goes over the wire.
func sdkClient(endpoint string) *awskms.Client {
	return awskms.New(awskms.Options{
		Region:       providerRegion,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(providerAccessKey, providerSecretKey, ""),
		Retryer:      aws.NopRetryer{},
	})
}

// awkwardContexts are encryption contexts whose strings need JSON escaping
// or are not UTF-8.
var awkwardContexts = []struct {
	name string
	ec   map[string]string
}{
	{"quotes and backslashes", map[string]string{`"key"`: `a"b\c\\"`, `\`: `\"`}},
	{"control characters", map[string]string{"nul\x00": "\x00\x01\x1f\x7f", "lines": "a\nb\r\nc\td\b\f"}},
	{"non-ASCII", map[string]string{"schlüssel": "größe 日本語 🔑", "sep\u2028": "\u2029\ufeff\ufffd"}},
	{"invalid UTF-8", map[string]string{"k\xff": "v\xc3", "truncated": "\xe6\x97", "surrogate": "\xed\xa0\x80"}},
	{"empty value and JSON-looking strings", map[string]string{"": "", "{}": `{"a":1}`, "aws:s3:arn": "arn:aws:s3:::b/</script>&"}},
}

// TestClientEncodesContextsAsTheSDK sends each awkward encryption context
// through the Client and through aws-sdk-go-v2, and checks that the
// service decodes the same context from both requests.
func TestClientEncodesContextsAsTheSDK(t *testing.T) {
	var (
		mu     sync.Mutex
		bodies = map[string][]byte{} // by User-Agent prefix: the SDK's or the Client's
	)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		client := "sdk"
		if strings.HasPrefix(r.UserAgent(), "coffer-kms-client") {
			client = "coffer"
		}
		mu.Lock()
		bodies[client+" "+r.Header.Get("X-Amz-Target")] = body
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, `{"KeyId":"arn:aws:kms:eu-central-1:111122223333:key/k","Plaintext":"`+
			base64.StdEncoding.EncodeToString(make([]byte, 32))+`","CiphertextBlob":"AQID"}`)
	}))
	defer hs.Close()
	ours, sdk := newClient(t, kms.ClientConfig{Endpoint: hs.URL}), sdkClient(hs.URL)
	ctx := t.Context()
	// decoded is a request body as the service reads it (kmsapi decodes
	// with encoding/json).
	decoded := func(t *testing.T, key string) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal(bodies[key], &m); err != nil {
			t.Fatalf("%s: %v in %q", key, err, bodies[key])
		}
		return m
	}
	for _, tt := range awkwardContexts {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ours.GenerateDataKey(ctx, "alias/sse", tt.ec); err != nil {
				t.Fatal(err)
			}
			if _, err := sdk.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{KeyId: aws.String("alias/sse"),
				KeySpec: types.DataKeySpecAes256, EncryptionContext: tt.ec}); err != nil {
				t.Fatal(err)
			}
			if _, err := ours.Decrypt(ctx, []byte{1, 2, 3}, tt.ec); err != nil {
				t.Fatal(err)
			}
			if _, err := sdk.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: []byte{1, 2, 3}, EncryptionContext: tt.ec}); err != nil {
				t.Fatal(err)
			}
			for _, op := range []string{"TrentService.GenerateDataKey", "TrentService.Decrypt"} {
				got, want := decoded(t, "coffer "+op), decoded(t, "sdk "+op)
				if !jsonEqual(got, want) {
					t.Errorf("%s: the service reads\n%v\nfrom the Client, and\n%v\nfrom the SDK", op, got, want)
				}
			}
		})
	}
}

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// TestClientAwkwardContextsRoundTrip binds data keys to awkward contexts
// on a coffer KMS: a key from either client decrypts through the other
// with the same context, and not with a context that differs by one
// escaped character.
func TestClientAwkwardContextsRoundTrip(t *testing.T) {
	k := startKMS(t)
	ours, sdk := newClient(t, kms.ClientConfig{Endpoint: k.http.URL}), sdkClient(k.http.URL)
	ctx := t.Context()
	for _, tt := range awkwardContexts {
		t.Run(tt.name, func(t *testing.T) {
			dk, err := ours.GenerateDataKey(ctx, k.alias, tt.ec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := sdk.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: dk.Ciphertext, EncryptionContext: tt.ec})
			if err != nil || !bytes.Equal(got.Plaintext, dk.Plaintext) {
				t.Fatalf("SDK Decrypt of the Client's data key: %v (equal %v)", err, err == nil && bytes.Equal(got.Plaintext, dk.Plaintext))
			}
			sdkKey, err := sdk.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{KeyId: aws.String(k.alias),
				KeySpec: types.DataKeySpecAes256, EncryptionContext: tt.ec})
			if err != nil {
				t.Fatal(err)
			}
			plain, err := ours.Decrypt(ctx, sdkKey.CiphertextBlob, tt.ec)
			if err != nil || !bytes.Equal(plain, sdkKey.Plaintext) {
				t.Fatalf("Client Decrypt of the SDK's data key: %v (equal %v)", err, bytes.Equal(plain, sdkKey.Plaintext))
			}
			other := make(map[string]string, len(tt.ec))
			for key, v := range tt.ec {
				other[key] = v
			}
			other[`"key"`] = `a\"b` // one more backslash than any context above has
			if _, err := ours.Decrypt(ctx, dk.Ciphertext, other); !errors.Is(err, kms.ErrInvalidCiphertext) {
				t.Fatalf("Decrypt with another context: %v, want ErrInvalidCiphertext", err)
			}
		})
	}
}

// TestClientRequest checks the wire form of the Client's requests: AWS
// JSON 1.1 and SigV4 for the service kms in the configured region.
func TestClientRequest(t *testing.T) {
	var got struct {
		method, path, contentType, target, auth, date string
		body                                          map[string]any
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.method, got.path = r.Method, r.URL.Path
		got.contentType, got.target = r.Header.Get("Content-Type"), r.Header.Get("X-Amz-Target")
		got.auth, got.date = r.Header.Get("Authorization"), r.Header.Get("X-Amz-Date")
		dec := json.NewDecoder(r.Body)
		got.body = nil
		if err := dec.Decode(&got.body); err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, `{"KeyId":"arn:aws:kms:eu-central-1:111122223333:key/k","Plaintext":"`+
			base64.StdEncoding.EncodeToString(make([]byte, 32))+`","CiphertextBlob":"AQID","Policy":"{}"}`)
	}))
	defer hs.Close()
	c := newClient(t, kms.ClientConfig{Endpoint: hs.URL})
	ctx := t.Context()
	tests := []struct {
		name string
		call func() error
		want map[string]any
	}{
		{"GenerateDataKey", func() error {
			_, err := c.GenerateDataKey(ctx, "alias/sse", providerContext)
			return err
		}, map[string]any{"KeyId": "alias/sse", "KeySpec": "AES_256", "EncryptionContext": map[string]any{"aws:s3:arn": "arn:aws:s3:::bucket/key"}}},
		{"GenerateDataKey", func() error {
			_, err := c.GenerateDataKey(ctx, "alias/sse", nil)
			return err
		}, map[string]any{"KeyId": "alias/sse", "KeySpec": "AES_256"}},
		{"Decrypt", func() error {
			_, err := c.Decrypt(ctx, []byte{0xfb, 0xff}, providerContext)
			return err
		}, map[string]any{"CiphertextBlob": "+/8=", "EncryptionContext": map[string]any{"aws:s3:arn": "arn:aws:s3:::bucket/key"}}},
		{"GetKeyPolicy", func() error {
			_, err := c.KeyPolicy(ctx, "arn:aws:kms:eu-central-1:111122223333:key/k")
			return err
		}, map[string]any{"KeyId": "arn:aws:kms:eu-central-1:111122223333:key/k", "PolicyName": "default"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
			scope := "/" + providerRegion + "/kms/aws4_request, "
			if got.method != http.MethodPost || got.path != "/" || got.contentType != "application/x-amz-json-1.1" ||
				got.target != "TrentService."+tt.name || len(got.date) != len("20060102T150405Z") ||
				!strings.HasPrefix(got.auth, "AWS4-HMAC-SHA256 Credential="+providerAccessKey+"/"+got.date[:8]+scope) ||
				!strings.Contains(got.auth, "host;") || !strings.Contains(got.auth, ";x-amz-date;x-amz-target,") {
				t.Errorf("%s %s, Content-Type %q, X-Amz-Target %q, X-Amz-Date %q, Authorization %q",
					got.method, got.path, got.contentType, got.target, got.date, got.auth)
			}
			if !jsonEqual(got.body, tt.want) {
				t.Errorf("body %v, want %v", got.body, tt.want)
			}
		})
	}
}

// TestClientAnswers checks how the Client reads the service's answers:
// AWS JSON 1.1 error documents in their variants, which failures are
// retried, which are ErrUnavailable, and answers it must not trust.
func TestClientAnswers(t *testing.T) {
	const keyARN = "arn:aws:kms:eu-central-1:111122223333:key/k"
	dataKey := `{"KeyId":"` + keyARN + `","Plaintext":"` + base64.StdEncoding.EncodeToString(make([]byte, 32)) + `","CiphertextBlob":"AQID"}`
	type answer struct {
		status int
		header map[string]string
		body   string
	}
	tests := []struct {
		name        string
		answers     []answer // one per attempt; the last repeats
		attempts    int      // that the call makes, of 3 allowed
		want        error    // wrapped, if not nil
		message     string   // in the error, if not ""
		unavailable bool
		ok          bool
	}{
		{name: "__type", answers: []answer{{400, nil, `{"__type":"NotFoundException","message":"Alias alias/x is not found."}`}},
			attempts: 1, want: kms.ErrNotFound, message: "Alias alias/x is not found."},
		{name: "namespaced __type and Message", answers: []answer{{400, nil, `{"__type":"com.amazonaws.kms#DisabledException","Message":"key is disabled"}`}},
			attempts: 1, want: kms.ErrDisabled, message: "key is disabled"},
		{name: "X-Amzn-ErrorType header with a URL", answers: []answer{{400,
			map[string]string{"X-Amzn-ErrorType": "KMSInvalidStateException:http://internal.amazon.com/coral/com.amazonaws.kms/"}, `{}`}},
			attempts: 1, want: kms.ErrInvalidState},
		{name: "code", answers: []answer{{400, nil, `{"code":"AccessDeniedException","message":"no"}`}},
			attempts: 1, want: kms.ErrAccessDenied},
		{name: "4xx without a document", answers: []answer{{403, nil, `<html>forbidden</html>`}}, attempts: 1},
		{name: "throttled on every attempt", answers: []answer{{400, nil, `{"__type":"ThrottlingException","message":"Rate exceeded"}`}},
			attempts: 3, want: kms.Exception("ThrottlingException")},
		{name: "429", answers: []answer{{429, nil, ``}}, attempts: 3, want: kms.Exception("UnknownError")},
		{name: "500 on every attempt", answers: []answer{{500, nil, `{"__type":"KMSInternalException","message":"internal"}`}},
			attempts: 3, want: kms.ErrKMSInternal, unavailable: true},
		{name: "502 from a proxy", answers: []answer{{502, nil, `<html>bad gateway</html>`}}, attempts: 3, unavailable: true},
		{name: "503, then an answer", answers: []answer{{503, nil, `{"__type":"KMSInternalException"}`}, {200, nil, dataKey}},
			attempts: 2, ok: true},
		{name: "throttled, then an answer", answers: []answer{{400, nil, `{"__type":"ThrottlingException"}`}, {200, nil, dataKey}},
			attempts: 2, ok: true},
		{name: "response cut short", answers: []answer{{200, map[string]string{"Content-Length": "200"}, dataKey[:40]}},
			attempts: 3, unavailable: true},
		{name: "2xx that is not JSON", answers: []answer{{200, nil, `not json`}}, attempts: 1},
		{name: "16-byte data key", answers: []answer{{200, nil, `{"KeyId":"` + keyARN + `","Plaintext":"` +
			base64.StdEncoding.EncodeToString(make([]byte, 16)) + `","CiphertextBlob":"AQID"}`}}, attempts: 1, message: "16-byte data key"},
		{name: "key id not an ARN", answers: []answer{{200, nil, strings.Replace(dataKey, keyARN, "alias/sse", 1)}}, attempts: 1},
		{name: "response too large", answers: []answer{{200, nil, `{"KeyId":"` + strings.Repeat("a", 2<<20) + `"}`}}, attempts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1))
				a := tt.answers[min(n, len(tt.answers))-1]
				for k, v := range a.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(a.status)
				_, _ = io.WriteString(w, a.body)
			}))
			defer hs.Close()
			c := newClient(t, kms.ClientConfig{Endpoint: hs.URL, MaxAttempts: 3})
			_, err := c.GenerateDataKey(t.Context(), "alias/sse", providerContext)
			if got := int(calls.Load()); got != tt.attempts {
				t.Errorf("%d attempts, want %d", got, tt.attempts)
			}
			if (err == nil) != tt.ok {
				t.Fatalf("GenerateDataKey: %v, want success %v", err, tt.ok)
			}
			if err == nil {
				return
			}
			if errors.Is(err, kms.ErrUnavailable) != tt.unavailable || tt.want != nil && !errors.Is(err, tt.want) ||
				!strings.Contains(err.Error(), tt.message) || !strings.HasPrefix(err.Error(), "kms: GenerateDataKey: ") {
				t.Fatalf("GenerateDataKey: %v; want ErrUnavailable %v, wrapping %v, saying %q", err, tt.unavailable, tt.want, tt.message)
			}
		})
	}
}

// TestClientCancelledWhileWaitingToRetry cancels the call while it waits
// to retry a 503: the caller's cancellation, not unavailability.
func TestClientCancelledWhileWaitingToRetry(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel()
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer hs.Close()
	c := newClient(t, kms.ClientConfig{Endpoint: hs.URL, MaxAttempts: 3})
	_, err := c.Decrypt(ctx, []byte{1}, nil)
	if !errors.Is(err, context.Canceled) || errors.Is(err, kms.ErrUnavailable) {
		t.Fatalf("Decrypt: %v, want context.Canceled and not ErrUnavailable", err)
	}
}

func TestNewClientEndpoint(t *testing.T) {
	for _, endpoint := range []string{"kms.internal:9100", "ftp://kms.internal", "http://", "http://[::1"} {
		_, err := kms.NewClient(kms.ClientConfig{Endpoint: endpoint, Region: providerRegion, AccessKeyID: providerAccessKey,
			SecretAccessKey: providerSecretKey})
		if err == nil {
			t.Errorf("NewClient with endpoint %q succeeded", endpoint)
		}
	}
}
