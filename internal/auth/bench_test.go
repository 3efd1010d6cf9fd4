package auth

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkVerifyKMSRequest verifies a GenerateDataKey call as
// aws-sdk-go-v2 signs it: a small JSON body without x-amz-content-sha256,
// so Verify reads and hashes the body itself.
func BenchmarkVerifyKMSRequest(b *testing.B) {
	body := []byte(`{"EncryptionContext":{"aws:s3:arn":"arn:aws:s3:::bucket/object"},"KeyId":"0b1c9f7e-1111-2222-3333-444455556666","KeySpec":"AES_256"}`)
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:9100/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "TrentService.GenerateDataKey")
	r.Header.Set("Amz-Sdk-Invocation-Id", "6c1f3a52-6f1d-4c1e-9a59-3f1f0d6c1e2b")
	r.Header.Set("Amz-Sdk-Request", "attempt=1; max=1")
	sign(b, r, testSecret, sha256Hex2(body), "kms", testTime)
	v := testVerifier(testTime)
	b.ReportAllocs()
	for b.Loop() {
		r.Body = io.NopCloser(bytes.NewReader(body))
		res, err := v.Verify(r)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, res.Body); err != nil {
			b.Fatal(err)
		}
	}
}
