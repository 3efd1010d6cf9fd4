package auth

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestHeaderAuthKeysRoundTrip(t *testing.T) {
	s := newVerifyServer(t, testVerifier(testTime), false)
	// Paths as an S3 client escapes them: every byte outside the unreserved
	// set percent-encoded, '/' kept (or escaped inside a key).
	paths := []struct{ name, path string }{
		{"plain", "/bucket/key.txt"},
		{"space", "/bucket/a%20b"},
		{"plus", "/bucket/a%2Bb"},
		{"unicode", "/bucket/%C3%BC%C3%B1%E2%9C%93/%F0%9F%98%80"},
		{"escaped slash", "/bucket/a%2Fb"},
		{"double slash", "/bucket/a//b"},
		{"leading slash key", "/bucket//x"},
		{"trailing slash", "/bucket/dir/"},
		{"reserved", "/bucket/%21%24%26%27%28%29%2A%2C%3B%3D%3A%40"},
		{"percent", "/bucket/100%25"},
		{"tilde", "/bucket/~user"},
		{"dot segments", "/bucket/./a/../b"},
		{"bucket only", "/bucket"},
		{"root", "/"},
	}
	for _, tt := range paths {
		t.Run(tt.name, func(t *testing.T) {
			r := s.newRequest(t, http.MethodGet, tt.path, nil)
			r.Header.Set("X-Amz-Content-Sha256", PayloadUnsigned)
			r.Header.Set("X-Amz-Meta-Note", "  two  spaces  ")
			sign(t, r, testSecret, PayloadUnsigned, "s3", testTime)
			o := s.do(t, r)
			if o.verifyErr != nil {
				t.Fatalf("Verify: %v", o.verifyErr)
			}
			if o.res.Principal.AccessKeyID != testAKID || o.res.Principal.Anonymous || o.res.Service != "s3" || o.res.Region != testRegion || o.res.Presigned {
				t.Errorf("result = %+v", o.res)
			}
		})
	}
}

func TestHeaderAuthQueryStrings(t *testing.T) {
	s := newVerifyServer(t, testVerifier(testTime), false)
	queries := []struct {
		name  string
		query url.Values
		// rewrite changes the wire form of the signed query without changing
		// its meaning.
		rewrite func(string) string
	}{
		{"list", url.Values{"list-type": {"2"}, "prefix": {"a b+c/ü"}, "delimiter": {"/"}}, nil},
		{"subresource", url.Values{"acl": {""}}, nil},
		{"repeated key", url.Values{"k": {"b", "a", "c"}}, nil},
		{"odd chars", url.Values{"x": {"=&?#%~!*'()"}, "ü key": {"😀"}}, nil},
		{"empty value", url.Values{"uploads": {""}, "z": {""}}, nil},
		{"plus as space", url.Values{"prefix": {"a b"}}, func(q string) string { return strings.ReplaceAll(q, "%20", "+") }},
		{"lower-case escapes", url.Values{"prefix": {"a/b"}}, func(q string) string { return strings.ReplaceAll(q, "%2F", "%2f") }},
		{"reordered", url.Values{"a": {"1"}, "b": {"2"}}, func(q string) string { return "b=2&a=1" }},
		{"bare key", url.Values{"versions": {""}}, func(q string) string { return "versions" }},
	}
	for _, tt := range queries {
		t.Run(tt.name, func(t *testing.T) {
			r := s.newRequest(t, http.MethodGet, "/bucket?"+tt.query.Encode(), nil)
			r.Header.Set("X-Amz-Content-Sha256", PayloadUnsigned)
			sign(t, r, testSecret, PayloadUnsigned, "s3", testTime)
			if tt.rewrite != nil {
				r.URL.RawQuery = tt.rewrite(r.URL.RawQuery)
			}
			if o := s.do(t, r); o.verifyErr != nil {
				t.Fatalf("Verify %q: %v", r.URL.RawQuery, o.verifyErr)
			}
		})
	}
}

func TestHeaderAuthFailures(t *testing.T) {
	s := newVerifyServer(t, testVerifier(testTime), false)
	cases := []struct {
		name   string
		mutate func(r *http.Request) (secret string, at time.Time)
		after  func(r *http.Request) // after signing
		want   error
	}{
		{name: "wrong secret", mutate: func(*http.Request) (string, time.Time) { return "not-the-secret", testTime }, want: ErrSignatureDoesNotMatch},
		{name: "skew past", mutate: func(*http.Request) (string, time.Time) { return testSecret, testTime.Add(-16 * time.Minute) }, want: ErrRequestTimeTooSkewed},
		{name: "skew future", mutate: func(*http.Request) (string, time.Time) { return testSecret, testTime.Add(16 * time.Minute) }, want: ErrRequestTimeTooSkewed},
		{name: "within skew", mutate: func(*http.Request) (string, time.Time) { return testSecret, testTime.Add(-14 * time.Minute) }},
		{name: "unknown key", after: func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), testAKID, "AKIDUNKNOWN", 1))
		}, want: ErrInvalidAccessKeyID},
		{name: "tampered path", after: func(r *http.Request) { r.URL.Path, r.URL.RawPath = "/bucket/other", "" }, want: ErrSignatureDoesNotMatch},
		{name: "tampered signed header", after: func(r *http.Request) { r.Header.Set("X-Amz-Meta-A", "evil") }, want: ErrSignatureDoesNotMatch},
		{name: "unsigned x-amz header", after: func(r *http.Request) { r.Header.Set("X-Amz-Acl", "public-read") }, want: ErrHeadersNotSigned},
		{name: "missing date", after: func(r *http.Request) { r.Header.Del("X-Amz-Date") }, want: ErrMissingDate},
		{name: "bad date", after: func(r *http.Request) { r.Header.Set("X-Amz-Date", "yesterday") }, want: ErrMissingDate},
		{name: "scope date differs", after: func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20260314/", "/20260313/", 1))
		}, want: ErrAuthorizationHeaderMalformed},
		{name: "missing content sha", after: func(r *http.Request) { r.Header.Del("X-Amz-Content-Sha256") }, want: ErrMissingContentSHA256},
		{name: "invalid content sha", after: func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "nope") }, want: ErrInvalidContentSHA256},
		{name: "sigv4a streaming", after: func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD")
		}, want: ErrUnsupportedAlgorithm},
		{name: "presign and header", after: func(r *http.Request) { r.URL.RawQuery = "X-Amz-Signature=00" }, want: ErrUnsupportedAlgorithm},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			r := s.newRequest(t, http.MethodGet, "/bucket/key", nil)
			r.Header.Set("X-Amz-Content-Sha256", PayloadUnsigned)
			r.Header.Set("X-Amz-Meta-A", "b")
			secret, at := testSecret, testTime
			if tt.mutate != nil {
				secret, at = tt.mutate(r)
			}
			sign(t, r, secret, PayloadUnsigned, "s3", at)
			if tt.after != nil {
				tt.after(r)
			}
			o := s.do(t, r)
			if tt.want == nil {
				if o.verifyErr != nil {
					t.Fatalf("Verify: %v", o.verifyErr)
				}
				return
			}
			if !errors.Is(o.verifyErr, tt.want) {
				t.Fatalf("Verify error = %v, want %v", o.verifyErr, tt.want)
			}
		})
	}
}

func TestHeaderAuthDateHeader(t *testing.T) {
	// Some clients send Date instead of x-amz-date; the string to sign then
	// carries the same instant in ISO 8601 basic form. SignHTTP always sets
	// x-amz-date, so this request is signed by hand.
	r := httptest.NewRequest(http.MethodGet, "http://bucket.example.com/k", nil)
	r.Header.Set("X-Amz-Content-Sha256", PayloadUnsigned)
	r.Header.Set("Date", testTime.Format(http.TimeFormat))
	signed := []string{"date", "host", "x-amz-content-sha256"}
	scope := credentialScope{accessKeyID: testAKID, date: "20260314", region: testRegion, service: "s3"}
	canon := canonicalRequest(r, signed, PayloadUnsigned, false)
	sig := hmacSHA256(testSigningKey(testSecret, "20260314", testRegion, "s3"), stringToSign(algorithmHMAC, "20260314T150926Z", scope, sha256Hex(string(canon))))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testAKID+"/20260314/us-east-1/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256,Signature="+hex.EncodeToString(sig))
	if _, err := testVerifier(testTime).Verify(r); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestAnonymousAndUnsupported(t *testing.T) {
	v := testVerifier(testTime)
	cases := []struct {
		name   string
		target string
		header http.Header
		want   error
		anon   bool
	}{
		{name: "anonymous", target: "/bucket/key", anon: true},
		{name: "anonymous with unrelated query", target: "/bucket?list-type=2&prefix=x", anon: true},
		{name: "sigv2 header", target: "/bucket/key", header: http.Header{"Authorization": {"AWS " + testAKID + ":c2lnbmF0dXJl"}}, want: ErrUnsupportedAlgorithm},
		{name: "sigv4a header", target: "/bucket/key", header: http.Header{"Authorization": {"AWS4-ECDSA-P256-SHA256 Credential=" + testAKID + "/20260314/s3/aws4_request, SignedHeaders=host, Signature=3045"}}, want: ErrUnsupportedAlgorithm},
		{name: "bearer", target: "/bucket/key", header: http.Header{"Authorization": {"Bearer abc"}}, want: ErrUnsupportedAlgorithm},
		{name: "empty authorization", target: "/bucket/key", header: http.Header{"Authorization": {""}}, want: ErrAuthorizationHeaderMalformed},
		{name: "sigv4 without components", target: "/bucket/key", header: http.Header{"Authorization": {"AWS4-HMAC-SHA256"}}, want: ErrAuthorizationHeaderMalformed},
		{name: "sigv2 query", target: "/bucket/key?AWSAccessKeyId=" + testAKID + "&Expires=1&Signature=abc", want: ErrUnsupportedAlgorithm},
		{name: "sigv4a query", target: "/bucket/key?X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=a&X-Amz-Date=b&X-Amz-Expires=1&X-Amz-SignedHeaders=host&X-Amz-Signature=00", want: ErrUnsupportedAlgorithm},
		{name: "partial presign", target: "/bucket/key?X-Amz-Signature=00", want: ErrAuthorizationQueryMalformed},
		{name: "anonymous signed streaming", target: "/bucket/key", header: http.Header{"X-Amz-Content-Sha256": {PayloadStreamingSigned}}, want: ErrMissingAuth},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPut, tt.target, strings.NewReader("body"))
			for k, vs := range tt.header {
				r.Header[k] = vs
			}
			res, err := v.Verify(r)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("Verify error = %v, want %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if res.Principal.Anonymous != tt.anon || res.ContentLength != 4 || res.PayloadMode != "" || res.Service != "" {
				t.Fatalf("result = %+v", res)
			}
			if b, _ := io.ReadAll(res.Body); string(b) != "body" {
				t.Fatalf("body = %q", b)
			}
		})
	}
}

func TestAnonymousUnsignedTrailerDecoded(t *testing.T) {
	payload := bytes.Repeat([]byte("x"), 5000)
	e := &chunkEncoder{}
	body := e.encode(payload, 4096, []trailerKV{{"x-amz-checksum-crc32", crc32Base64(payload)}})
	r := httptest.NewRequest(http.MethodPut, "/bucket/key", bytes.NewReader(body))
	r.Header.Set("X-Amz-Content-Sha256", PayloadStreamingUnsignedTrl)
	r.Header.Set("X-Amz-Decoded-Content-Length", "5000")
	r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
	res, err := testVerifier(testTime).Verify(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(res.Body)
	if err != nil || !bytes.Equal(got, payload) || !res.Principal.Anonymous {
		t.Fatalf("read %d bytes, %v; anonymous=%v", len(got), err, res.Principal.Anonymous)
	}
	if res.Trailer().Get("X-Amz-Checksum-Crc32") != crc32Base64(payload) {
		t.Fatalf("trailer = %v", res.Trailer())
	}
}

func TestSignedPayloadHash(t *testing.T) {
	s := newVerifyServer(t, testVerifier(testTime), false)
	payload := []byte("the quick brown fox jumps over the lazy dog")
	t.Run("valid", func(t *testing.T) {
		r := s.newRequest(t, http.MethodPut, "/bucket/key", payload)
		r.Header.Set("X-Amz-Content-Sha256", sha256Hex2(payload))
		sign(t, r, testSecret, sha256Hex2(payload), "s3", testTime)
		o := s.do(t, r)
		if o.verifyErr != nil || o.readErr != nil || !bytes.Equal(o.body, payload) {
			t.Fatalf("verify %v read %v body %q", o.verifyErr, o.readErr, o.body)
		}
		if o.res.PayloadMode != PayloadSignedSHA256 || o.res.ContentLength != int64(len(payload)) {
			t.Fatalf("result = %+v", o.res)
		}
	})
	t.Run("tampered body", func(t *testing.T) {
		r := s.newRequest(t, http.MethodPut, "/bucket/key", payload)
		r.Header.Set("X-Amz-Content-Sha256", sha256Hex2(payload))
		sign(t, r, testSecret, sha256Hex2(payload), "s3", testTime)
		evil := bytes.ToUpper(payload)
		r.Body = io.NopCloser(bytes.NewReader(evil))
		o := s.do(t, r)
		if o.verifyErr != nil {
			t.Fatalf("Verify: %v (the header is intact; only the body lies)", o.verifyErr)
		}
		if !errors.Is(o.readErr, ErrContentSHA256Mismatch) {
			t.Fatalf("read error = %v, want ErrContentSHA256Mismatch", o.readErr)
		}
	})
	t.Run("empty body", func(t *testing.T) {
		r := s.newRequest(t, http.MethodPut, "/bucket/key", nil)
		r.Header.Set("X-Amz-Content-Sha256", emptySHA256Hex)
		sign(t, r, testSecret, emptySHA256Hex, "s3", testTime)
		if o := s.do(t, r); o.verifyErr != nil || o.readErr != nil || len(o.body) != 0 {
			t.Fatalf("verify %v read %v", o.verifyErr, o.readErr)
		}
	})
	t.Run("truncated body", func(t *testing.T) {
		r := s.newRequest(t, http.MethodPut, "/bucket/key", payload)
		r.Header.Set("X-Amz-Content-Sha256", sha256Hex2(payload))
		sign(t, r, testSecret, sha256Hex2(payload), "s3", testTime)
		res, err := testVerifier(testTime).Verify(serverSide(t, r, payload[:10]))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(res.Body); !errors.Is(err, ErrContentSHA256Mismatch) {
			t.Fatalf("read error = %v", err)
		}
	})
}

func TestNonS3ServiceHashesBody(t *testing.T) {
	// IAM/STS/KMS clients do not send x-amz-content-sha256: the payload hash
	// in the canonical request is the body's, which Verify computes itself.
	s := newVerifyServer(t, testVerifier(testTime), false)
	form := []byte("Action=ListUsers&Version=2010-05-08")
	for _, service := range []string{"iam", "sts", "kms"} {
		t.Run(service, func(t *testing.T) {
			r := s.newRequest(t, http.MethodPost, "/", form)
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			sign(t, r, testSecret, sha256Hex2(form), service, testTime)
			o := s.do(t, r)
			if o.verifyErr != nil || !bytes.Equal(o.body, form) {
				t.Fatalf("verify %v body %q", o.verifyErr, o.body)
			}
			if o.res.Service != service || o.res.PayloadMode != PayloadSignedSHA256 {
				t.Fatalf("result = %+v", o.res)
			}
		})
	}
	t.Run("no body", func(t *testing.T) {
		r, _ := http.NewRequest(http.MethodGet, "http://sts.example.com/?Action=GetCallerIdentity&Version=2011-06-15", nil)
		sign(t, r, testSecret, emptySHA256Hex, "sts", testTime)
		res, err := testVerifier(testTime).Verify(r)
		if err != nil || res.ContentLength != 0 {
			t.Fatalf("Verify: %v, %+v", err, res)
		}
		if err := res.Body.Close(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("too large to hash", func(t *testing.T) {
		big := bytes.Repeat([]byte("x"), maxHashedBody+1)
		r := s.newRequest(t, http.MethodPost, "/", big)
		sign(t, r, testSecret, sha256Hex2(big), "iam", testTime)
		if o := s.do(t, r); !errors.Is(o.verifyErr, ErrMissingContentSHA256) {
			t.Fatalf("Verify error = %v", o.verifyErr)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		r := s.newRequest(t, http.MethodPost, "/", form)
		sign(t, r, testSecret, sha256Hex2(form), "iam", testTime)
		r.Body = io.NopCloser(bytes.NewReader(bytes.ToUpper(form)))
		if o := s.do(t, r); !errors.Is(o.verifyErr, ErrSignatureDoesNotMatch) {
			t.Fatalf("Verify error = %v", o.verifyErr)
		}
	})
}

func TestPresigned(t *testing.T) {
	s := newVerifyServer(t, testVerifier(testTime), false)
	presign := func(t *testing.T, path string, expires string, at time.Time, secret string) *http.Request {
		t.Helper()
		r := s.newRequest(t, http.MethodGet, path, nil)
		q := r.URL.Query()
		q.Set("X-Amz-Expires", expires)
		q.Set("response-content-type", "text/plain; charset=utf-8")
		r.URL.RawQuery = q.Encode()
		u, _, err := s3Signer().PresignHTTP(context.Background(), awsCreds(secret), r, PayloadUnsigned, "s3", testRegion, at)
		if err != nil {
			t.Fatal(err)
		}
		pr, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		return pr
	}
	cases := []struct {
		name    string
		path    string
		expires string
		at      time.Time
		secret  string
		want    error
	}{
		{name: "valid", path: "/bucket/a%20b%2Bc/%C3%BC", expires: "900", at: testTime.Add(-5 * time.Minute)},
		{name: "valid for a week", path: "/bucket/k", expires: "604800", at: testTime.Add(-6 * 24 * time.Hour)},
		{name: "just signed", path: "/bucket/k", expires: "1", at: testTime},
		{name: "clock slightly behind", path: "/bucket/k", expires: "60", at: testTime.Add(10 * time.Minute)},
		{name: "expired", path: "/bucket/k", expires: "900", at: testTime.Add(-901 * time.Second), want: ErrRequestExpired},
		{name: "future", path: "/bucket/k", expires: "3600", at: testTime.Add(time.Hour), want: ErrRequestTimeTooSkewed},
		{name: "expires zero", path: "/bucket/k", expires: "0", at: testTime, want: ErrAuthorizationQueryMalformed},
		{name: "expires too long", path: "/bucket/k", expires: "604801", at: testTime, want: ErrAuthorizationQueryMalformed},
		{name: "expires not a number", path: "/bucket/k", expires: "1e3", at: testTime, want: ErrAuthorizationQueryMalformed},
		{name: "wrong secret", path: "/bucket/k", expires: "900", at: testTime, secret: "wrong", want: ErrSignatureDoesNotMatch},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			secret := tt.secret
			if secret == "" {
				secret = testSecret
			}
			o := s.do(t, presign(t, tt.path, tt.expires, tt.at, secret))
			if tt.want != nil {
				if !errors.Is(o.verifyErr, tt.want) {
					t.Fatalf("Verify error = %v, want %v", o.verifyErr, tt.want)
				}
				return
			}
			if o.verifyErr != nil {
				t.Fatalf("Verify: %v", o.verifyErr)
			}
			if !o.res.Presigned || o.res.PayloadMode != PayloadUnsigned || o.res.Principal.AccessKeyID != testAKID {
				t.Fatalf("result = %+v", o.res)
			}
		})
	}
	t.Run("tampered query", func(t *testing.T) {
		r := presign(t, "/bucket/k", "900", testTime, testSecret)
		r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "response-content-type=", "response-content-type=x", 1)
		if o := s.do(t, r); !errors.Is(o.verifyErr, ErrSignatureDoesNotMatch) {
			t.Fatalf("Verify error = %v", o.verifyErr)
		}
	})
	t.Run("security token is a signed parameter", func(t *testing.T) {
		r := s.newRequest(t, http.MethodGet, "/bucket/k?X-Amz-Expires=60", nil)
		creds := awsCreds(testSecret)
		creds.SessionToken = "FwoGZXIvYXdzE+/=token"
		u, _, err := s3Signer().PresignHTTP(context.Background(), creds, r, PayloadUnsigned, "s3", testRegion, testTime)
		if err != nil {
			t.Fatal(err)
		}
		pr, _ := http.NewRequest(http.MethodGet, u, nil)
		if o := s.do(t, pr); o.verifyErr != nil {
			t.Fatalf("Verify: %v", o.verifyErr)
		}
		pr, _ = http.NewRequest(http.MethodGet, strings.Replace(u, "X-Amz-Security-Token=", "X-Amz-Security-Token=x", 1), nil)
		if o := s.do(t, pr); !errors.Is(o.verifyErr, ErrSignatureDoesNotMatch) {
			t.Fatalf("tampered token: Verify error = %v", o.verifyErr)
		}
		// Credentials that issue no sessions refuse every token.
		v := &Verifier{Creds: testCredentials(), Now: func() time.Time { return testTime }}
		pr, _ = http.NewRequest(http.MethodGet, u, nil)
		if _, err := v.Verify(pr); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("token without session credentials: Verify error = %v, want ErrInvalidToken", err)
		}
	})
	t.Run("unsigned x-amz header", func(t *testing.T) {
		r := presign(t, "/bucket/k", "900", testTime, testSecret)
		r.Header.Set("X-Amz-Acl", "public-read")
		if o := s.do(t, r); !errors.Is(o.verifyErr, ErrHeadersNotSigned) {
			t.Fatalf("Verify error = %v", o.verifyErr)
		}
	})
	t.Run("presigned put with signed payload hash", func(t *testing.T) {
		payload := []byte("presigned body")
		r := s.newRequest(t, http.MethodPut, "/bucket/k?X-Amz-Expires=60", payload)
		r.Header.Set("X-Amz-Content-Sha256", sha256Hex2(payload))
		u, hdr, err := s3Signer().PresignHTTP(context.Background(), awsCreds(testSecret), r, sha256Hex2(payload), "s3", testRegion, testTime)
		if err != nil {
			t.Fatal(err)
		}
		pr, _ := http.NewRequest(http.MethodPut, u, bytes.NewReader(bytes.ToUpper(payload)))
		for k, v := range hdr {
			if !strings.EqualFold(k, "host") {
				pr.Header[k] = v
			}
		}
		o := s.do(t, pr)
		if o.verifyErr != nil || !errors.Is(o.readErr, ErrContentSHA256Mismatch) {
			t.Fatalf("verify %v read %v", o.verifyErr, o.readErr)
		}
	})
}

func TestVerifyCustomSkew(t *testing.T) {
	v := testVerifier(testTime)
	v.MaxSkew = time.Minute
	r := httptest.NewRequest(http.MethodGet, "http://h/b/k", nil)
	r.Header.Set("X-Amz-Content-Sha256", PayloadUnsigned)
	sign(t, r, testSecret, PayloadUnsigned, "s3", testTime.Add(-2*time.Minute))
	if _, err := v.Verify(r); !errors.Is(err, ErrRequestTimeTooSkewed) {
		t.Fatalf("Verify error = %v", err)
	}
}

func TestLookupErrorsPassThrough(t *testing.T) {
	boom := errors.New("database down")
	v := &Verifier{Creds: credsFunc(func(context.Context, string) (Credential, error) { return Credential{}, boom }), Now: func() time.Time { return testTime }}
	r := httptest.NewRequest(http.MethodGet, "http://h/b/k", nil)
	r.Header.Set("X-Amz-Content-Sha256", PayloadUnsigned)
	sign(t, r, testSecret, PayloadUnsigned, "s3", testTime)
	if _, err := v.Verify(r); !errors.Is(err, boom) {
		t.Fatalf("Verify error = %v", err)
	}
}

type credsFunc func(context.Context, string) (Credential, error)

func (f credsFunc) Lookup(ctx context.Context, id string) (Credential, error) { return f(ctx, id) }

func TestCredentialLogValueHidesSecret(t *testing.T) {
	c := testCredentials()[testAKID]
	if strings.Contains(c.LogValue().String(), testSecret) {
		t.Fatal("secret leaked into LogValue")
	}
}

func TestReadBounded(t *testing.T) {
	body := bytes.Repeat([]byte("k"), 700)
	tests := []struct {
		name    string
		body    []byte
		size    int64 // announced
		limit   int64
		wantErr error
	}{
		{name: "announced", body: body, size: 700, limit: 1000},
		{name: "unknown size", body: body, size: -1, limit: 1000},
		{name: "shorter than announced", body: body, size: 900, limit: 1000},
		{name: "longer than announced", body: body, size: 10, limit: 1000},
		{name: "empty", body: nil, size: 0, limit: 1000},
		{name: "at the limit", body: body, size: 700, limit: 700},
		{name: "over the limit", body: body, size: 700, limit: 699, wantErr: ErrMissingContentSHA256},
		{name: "over the limit, announced short", body: body, size: 10, limit: 699, wantErr: ErrMissingContentSHA256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readBounded(bytes.NewReader(tt.body), tt.size, tt.limit)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if err == nil && !bytes.Equal(got, tt.body) {
				t.Fatalf("read %d bytes, want %d", len(got), len(tt.body))
			}
		})
	}
}

func TestParseSignedHeaders(t *testing.T) {
	many := func(n int) []string {
		names := []string{"host"}
		for i := 1; i < n; i++ {
			names = append(names, fmt.Sprintf("x-h%d", i))
		}
		return names
	}
	tests := []struct {
		name  string
		value string
		ok    bool
	}{
		{name: "typical", value: "content-type;host;x-amz-date;x-amz-target", ok: true},
		{name: "host only", value: "host", ok: true},
		{name: "duplicate", value: "host;x-amz-date;x-amz-date", ok: false},
		{name: "duplicate host", value: "host;host", ok: false},
		{name: "no host", value: "x-amz-date", ok: false},
		{name: "upper case", value: "host;X-Amz-Date", ok: false},
		{name: "empty name", value: "host;;x-amz-date", ok: false},
		{name: "many", value: strings.Join(many(40), ";"), ok: true},
		{name: "many with a duplicate", value: strings.Join(append(many(40), "x-h7"), ";"), ok: false},
		{name: "256", value: strings.Join(many(256), ";"), ok: true},
		{name: "257", value: strings.Join(many(257), ";"), ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names, err := parseSignedHeaders(tt.value, ErrAuthorizationHeaderMalformed)
			if tt.ok != (err == nil) {
				t.Fatalf("error %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrAuthorizationHeaderMalformed) {
				t.Fatalf("error %v does not wrap the malformed sentinel", err)
			}
			if err == nil && strings.Join(names, ";") != tt.value {
				t.Fatalf("names %q", names)
			}
		})
	}
}
