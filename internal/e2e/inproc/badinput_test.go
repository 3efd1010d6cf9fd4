package inproc

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestMalformedXML(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "badxml")
		c.put(t, b, "obj", []byte("x"))
		cr, err := c.s3.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mpu")})
		must(t, err, "CreateMultipartUpload")
		tests := []struct {
			name, method, bucket, key, query, body string
		}{
			{"PutBucketVersioning truncated", http.MethodPut, b, "", "versioning=", "<VersioningConfiguration><Status>Enabled</Status>"},
			{"PutBucketVersioning not XML", http.MethodPut, b, "", "versioning=", "Status=Enabled"},
			{"PutBucketVersioning bad status", http.MethodPut, b, "", "versioning=", `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Sometimes</Status></VersioningConfiguration>`},
			{"DeleteObjects truncated", http.MethodPost, b, "", "delete=", "<Delete><Object><Key>obj</Key></Object>"},
			{"DeleteObjects no objects", http.MethodPost, b, "", "delete=", "<Delete></Delete>"},
			{"DeleteObjects wrong root", http.MethodPost, b, "", "delete=", "<Remove><Object><Key>obj</Key></Object></Remove>"},
			{"PutBucketTagging truncated", http.MethodPut, b, "", "tagging=", "<Tagging><TagSet><Tag><Key>a</Key>"},
			{"PutObjectTagging truncated", http.MethodPut, b, "obj", "tagging=", "<Tagging><TagSet>"},
			{"CompleteMultipartUpload truncated", http.MethodPost, b, "mpu", "uploadId=" + str(cr.UploadId), "<CompleteMultipartUpload><Part>"},
			{"CreateBucket truncated configuration", http.MethodPut, "new-bucket-bad-xml", "", "", "<CreateBucketConfiguration><LocationConstraint>"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				body := []byte(tt.body)
				req := newRequest(t, tt.method, c.url(tt.bucket, tt.key, tt.query), body)
				req.Header.Set("Content-MD5", md5B64(body))
				c.signBody(t, req, body)
				resp, rb := c.do(t, req)
				wantRawError(t, resp, rb, http.StatusBadRequest, "MalformedXML")
			})
		}
		// Nothing changed.
		out, err := c.s3.GetBucketVersioning(ctx(t), &s3.GetBucketVersioningInput{Bucket: aws.String(b)})
		must(t, err, "GetBucketVersioning")
		if out.Status != "" {
			t.Errorf("versioning became %q", out.Status)
		}
		if got := c.get(t, b, "obj"); string(got) != "x" {
			t.Errorf("obj = %q", got)
		}
	})
}

func TestXMLBodyTooLarge(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "bigxml")
		// Well-formed, but over the 1 MiB S3 accepts for a configuration
		// document.
		pad := strings.Repeat(" ", 1<<20+10)
		for _, tt := range []struct{ name, query, body string }{
			{"PutBucketVersioning", "versioning=", "<VersioningConfiguration>" + pad + "<Status>Enabled</Status></VersioningConfiguration>"},
			{"PutBucketTagging", "tagging=", "<Tagging><TagSet>" + pad + "<Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>"},
			{"DeleteObjects", "delete=", "<Delete>" + pad + "<Object><Key>a</Key></Object></Delete>"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				body := []byte(tt.body)
				method := http.MethodPut
				if tt.query == "delete=" {
					method = http.MethodPost
				}
				req := newRequest(t, method, c.url(b, "", tt.query), body)
				req.Header.Set("Content-MD5", md5B64(body))
				c.signBody(t, req, body)
				resp, rb := c.do(t, req)
				wantRawError(t, resp, rb, http.StatusBadRequest, "MaxMessageLengthExceeded")
			})
		}
	})
}

func TestAuthenticationErrors(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "auth")
		c.put(t, b, "obj", []byte("secret data"))

		t.Run("wrong secret", func(t *testing.T) {
			bad := c.newS3(c.ts.access, c.ts.secret+"x")
			_, err := bad.ListBuckets(ctx(t), &s3.ListBucketsInput{})
			wantAPIError(t, err, http.StatusForbidden, "SignatureDoesNotMatch")
			_, err = bad.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("obj")})
			wantAPIError(t, err, http.StatusForbidden, "SignatureDoesNotMatch")
			_, err = bad.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("obj"), Body: strings.NewReader("overwritten")})
			wantAPIError(t, err, http.StatusForbidden, "SignatureDoesNotMatch")
			if got := c.get(t, b, "obj"); string(got) != "secret data" {
				t.Errorf("object changed by a badly signed PUT: %q", got)
			}
		})

		t.Run("unknown access key", func(t *testing.T) {
			bad := c.newS3("AKIAUNKNOWNKEY000000", c.ts.secret)
			_, err := bad.ListBuckets(ctx(t), &s3.ListBucketsInput{})
			wantAPIError(t, err, http.StatusForbidden, "InvalidAccessKeyId")
			_, err = bad.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("obj")})
			wantAPIError(t, err, http.StatusForbidden, "InvalidAccessKeyId")
		})

		t.Run("anonymous", func(t *testing.T) {
			for _, tt := range []struct{ method, url string }{
				{http.MethodGet, c.url("", "", "")},
				{http.MethodGet, c.url(b, "", "")},
				{http.MethodGet, c.url(b, "obj", "")},
				{http.MethodPut, c.url(b, "anon", "")},
				{http.MethodDelete, c.url(b, "obj", "")},
			} {
				var body []byte
				if tt.method == http.MethodPut {
					body = []byte("anonymous write")
				}
				resp, rb := c.do(t, newRequest(t, tt.method, tt.url, body))
				wantRawError(t, resp, rb, http.StatusForbidden, "AccessDenied")
			}
			anon := c.newS3("", "", func(o *s3.Options) { o.Credentials = aws.AnonymousCredentials{} })
			_, err := anon.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("obj")})
			wantAPIError(t, err, http.StatusForbidden, "AccessDenied")
			_, err = c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("anon")})
			wantAPIError(t, err, http.StatusNotFound, "")
		})

		t.Run("clock skew", func(t *testing.T) {
			for _, skew := range []time.Duration{-20 * time.Minute, 20 * time.Minute} {
				req := newRequest(t, http.MethodGet, c.url(b, "obj", ""), nil)
				c.sign(t, req, hexSHA256(nil), c.ts.access, c.ts.secret, time.Now().Add(skew))
				resp, rb := c.do(t, req)
				wantRawError(t, resp, rb, http.StatusForbidden, "RequestTimeTooSkewed")
			}
			// Within 15 minutes is fine.
			req := newRequest(t, http.MethodGet, c.url(b, "obj", ""), nil)
			c.sign(t, req, hexSHA256(nil), c.ts.access, c.ts.secret, time.Now().Add(-10*time.Minute))
			if resp, rb := c.do(t, req); resp.StatusCode != http.StatusOK || string(rb) != "secret data" {
				t.Errorf("request signed 10 minutes ago: %d %q", resp.StatusCode, rb)
			}
		})

		t.Run("wrong region in scope", func(t *testing.T) {
			req := newRequest(t, http.MethodGet, c.url(b, "obj", ""), nil)
			req.Header.Set("X-Amz-Content-Sha256", hexSHA256(nil))
			signer := newS3Signer()
			err := signer.SignHTTP(ctx(t), aws.Credentials{AccessKeyID: c.ts.access, SecretAccessKey: c.ts.secret}, req, hexSHA256(nil), "s3", "eu-central-1", time.Now())
			must(t, err, "SignHTTP")
			resp, rb := c.do(t, req)
			wantRawError(t, resp, rb, http.StatusBadRequest, "AuthorizationHeaderMalformed")
		})

		t.Run("payload hash mismatch", func(t *testing.T) {
			body := []byte("the real body")
			req := newRequest(t, http.MethodPut, c.url(b, "hashed", ""), body)
			c.sign(t, req, hexSHA256([]byte("another body")), c.ts.access, c.ts.secret, time.Now())
			resp, rb := c.do(t, req)
			wantRawError(t, resp, rb, http.StatusBadRequest, "XAmzContentSHA256Mismatch")
			_, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("hashed")})
			wantAPIError(t, err, http.StatusNotFound, "")
		})
	})
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestKeyTooLong(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "longkey")
		for _, tt := range []struct {
			name string
			key  string
			ok   bool
		}{
			{"1024 ASCII bytes", strings.Repeat("k", 1024), true},
			{"1024 UTF-8 bytes", strings.Repeat("é", 512), true},
			{"1025 ASCII bytes", strings.Repeat("k", 1025), false},
			{"1026 UTF-8 bytes", strings.Repeat("é", 513), false},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(tt.key), Body: strings.NewReader("x")})
				if tt.ok {
					must(t, err, "PutObject")
					if got := c.get(t, b, tt.key); string(got) != "x" {
						t.Errorf("GetObject = %q", got)
					}
					return
				}
				wantAPIError(t, err, http.StatusBadRequest, "KeyTooLongError")
				_, err = c.s3.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(tt.key)})
				wantAPIError(t, err, http.StatusBadRequest, "KeyTooLongError")
			})
		}
	})
}

func TestMissingContentLength(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "nolen")
		// A body of unknown length goes out with Transfer-Encoding: chunked
		// and no Content-Length.
		req := newRequest(t, http.MethodPut, c.url(b, "chunked", ""), nil)
		req.Body = io.NopCloser(bytes.NewReader([]byte("chunked transfer body")))
		req.ContentLength = -1
		c.sign(t, req, unsignedPayload, c.ts.access, c.ts.secret, time.Now())
		resp, rb := c.do(t, req)
		wantRawError(t, resp, rb, http.StatusLengthRequired, "MissingContentLength")
		_, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("chunked")})
		wantAPIError(t, err, http.StatusNotFound, "")
	})
}
