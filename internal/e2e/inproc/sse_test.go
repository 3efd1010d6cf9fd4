package inproc

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// ssecKey is an SSE-C key as the SDK takes it: base64 key and key MD5.
type ssecKey struct{ key, md5 string }

func newSSECKey(seed byte) ssecKey {
	k := bytes.Repeat([]byte{seed}, 32)
	sum := md5.Sum(k)
	return ssecKey{base64.StdEncoding.EncodeToString(k), base64.StdEncoding.EncodeToString(sum[:])}
}

// secureClient is the TLS client of a fresh server: SSE-C needs HTTPS.
func secureClient(t *testing.T) *client {
	return newTestServer(t, serverOptions{}).client(style{name: "virtual-tls", virtual: true, tls: true})
}

// TestSSEDefaultIsSSES3: a PUT without encryption headers is SSE-S3, and
// says so on PUT, HEAD and GET; its ETag is the MD5, as on AWS.
func TestSSEDefaultIsSSES3(t *testing.T) {
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "sse-default")
		body := []byte("default encryption")
		put, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: bytes.NewReader(body)})
		must(t, err, "PutObject")
		if put.ServerSideEncryption != types.ServerSideEncryptionAes256 {
			t.Fatalf("PUT ServerSideEncryption = %q", put.ServerSideEncryption)
		}
		sum := md5.Sum(body)
		if str(put.ETag) != `"`+hex.EncodeToString(sum[:])+`"` {
			t.Fatalf("SSE-S3 ETag %s is not the MD5", str(put.ETag))
		}
		head, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("k")})
		must(t, err, "HeadObject")
		if head.ServerSideEncryption != types.ServerSideEncryptionAes256 || head.SSEKMSKeyId != nil || head.BucketKeyEnabled != nil {
			t.Fatalf("HEAD: sse %q key %q bucket key %v", head.ServerSideEncryption, str(head.SSEKMSKeyId), head.BucketKeyEnabled)
		}
		if got := c.get(t, b, "k"); !bytes.Equal(got, body) {
			t.Fatal("GET differs")
		}
	})
}

// TestSSEKMSHeaders: SSE-KMS with the account's aws/s3 key, a bucket key
// and an encryption context; every response names the key's ARN.
func TestSSEKMSHeaders(t *testing.T) {
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "sse-kms")
		ec := base64.StdEncoding.EncodeToString([]byte(`{"team":"storage"}`))
		body := randBytes(7, 70<<10)
		put, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: bytes.NewReader(body),
			ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSEncryptionContext: aws.String(ec)})
		must(t, err, "PutObject")
		arn := str(put.SSEKMSKeyId)
		if put.ServerSideEncryption != types.ServerSideEncryptionAwsKms || !strings.HasPrefix(arn, "arn:aws:kms:us-east-1:") || !strings.Contains(arn, ":key/") {
			t.Fatalf("PUT: sse %q key %q", put.ServerSideEncryption, arn)
		}
		if str(put.SSEKMSEncryptionContext) != ec {
			t.Fatalf("PUT context %q", str(put.SSEKMSEncryptionContext))
		}
		sum := md5.Sum(body)
		if str(put.ETag) == `"`+hex.EncodeToString(sum[:])+`"` {
			t.Fatal("an SSE-KMS ETag must not be the MD5")
		}
		got, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("k"), Range: aws.String("bytes=65530-65545")})
		must(t, err, "GetObject")
		data, _ := io.ReadAll(got.Body)
		got.Body.Close()
		if !bytes.Equal(data, body[65530:65546]) || str(got.SSEKMSKeyId) != arn || got.ServerSideEncryption != types.ServerSideEncryptionAwsKms {
			t.Fatalf("range GET: %d bytes, key %q", len(data), str(got.SSEKMSKeyId))
		}

		put, err = c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("bk"), Body: strings.NewReader("bucket key"),
			ServerSideEncryption: types.ServerSideEncryptionAwsKms, BucketKeyEnabled: aws.Bool(true)})
		must(t, err, "PutObject with a bucket key")
		if !boolv(put.BucketKeyEnabled) || str(put.SSEKMSKeyId) != arn {
			t.Fatalf("PUT bucket key %v key %q", put.BucketKeyEnabled, str(put.SSEKMSKeyId))
		}
		head, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("bk")})
		must(t, err, "HeadObject")
		if !boolv(head.BucketKeyEnabled) || head.ServerSideEncryption != types.ServerSideEncryptionAwsKms {
			t.Fatalf("HEAD bucket key %v sse %q", head.BucketKeyEnabled, head.ServerSideEncryption)
		}

		_, err = c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("nokey"), Body: strings.NewReader("x"),
			ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String("alias/does-not-exist")})
		wantAPIError(t, err, http.StatusBadRequest, "KMS.NotFoundException")
		_, err = c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("nokey")})
		wantAPIError(t, err, http.StatusNotFound, "NotFound")
	})
}

// TestSSECHeaders: SSE-C over TLS on PUT, HEAD, GET (range), multipart and
// copy; a missing or wrong key is refused as S3 refuses it.
func TestSSECHeaders(t *testing.T) {
	c := secureClient(t)
	b := c.mkBucket(t, "sse-c")
	k, wrong := newSSECKey(1), newSSECKey(2)
	body := randBytes(3, 100<<10)
	put, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("c"), Body: bytes.NewReader(body),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(k.key), SSECustomerKeyMD5: aws.String(k.md5)})
	must(t, err, "PutObject SSE-C")
	if str(put.SSECustomerAlgorithm) != "AES256" || str(put.SSECustomerKeyMD5) != k.md5 || put.ServerSideEncryption != "" {
		t.Fatalf("PUT: algorithm %q md5 %q sse %q", str(put.SSECustomerAlgorithm), str(put.SSECustomerKeyMD5), put.ServerSideEncryption)
	}

	_, err = c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("c")})
	wantAPIError(t, err, http.StatusBadRequest, "InvalidRequest")
	_, err = c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("c"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(wrong.key), SSECustomerKeyMD5: aws.String(wrong.md5)})
	wantAPIError(t, err, http.StatusForbidden, "AccessDenied")
	_, err = c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("c")})
	wantAPIError(t, err, http.StatusBadRequest, "BadRequest") // HEAD errors have no body: the SDK names the status
	_, err = c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("c"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(k.key), SSECustomerKeyMD5: aws.String(wrong.md5)})
	wantAPIError(t, err, http.StatusBadRequest, "InvalidArgument")

	got, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("c"), Range: aws.String("bytes=1000-70000"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(k.key), SSECustomerKeyMD5: aws.String(k.md5)})
	must(t, err, "GetObject SSE-C")
	data, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if !bytes.Equal(data, body[1000:70001]) || str(got.SSECustomerKeyMD5) != k.md5 {
		t.Fatalf("range GET: %d bytes, md5 %q", len(data), str(got.SSECustomerKeyMD5))
	}

	// Multipart: the key on create and on every part.
	cr, err := c.s3.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("mp"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(k.key), SSECustomerKeyMD5: aws.String(k.md5)})
	must(t, err, "CreateMultipartUpload")
	if str(cr.SSECustomerKeyMD5) != k.md5 {
		t.Fatalf("create md5 %q", str(cr.SSECustomerKeyMD5))
	}
	p1, p2 := randBytes(4, 5<<20), randBytes(5, 1234)
	_, err = c.s3.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: aws.String("mp"), UploadId: cr.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(p1)})
	wantAPIError(t, err, http.StatusBadRequest, "InvalidRequest")
	var parts []types.CompletedPart
	for i, p := range [][]byte{p1, p2} {
		up, err := c.s3.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: aws.String("mp"), UploadId: cr.UploadId, PartNumber: aws.Int32(int32(i + 1)),
			Body: bytes.NewReader(p), SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(k.key), SSECustomerKeyMD5: aws.String(k.md5)})
		must(t, err, "UploadPart")
		if str(up.SSECustomerKeyMD5) != k.md5 {
			t.Fatalf("part md5 %q", str(up.SSECustomerKeyMD5))
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: up.ETag})
	}
	_, err = c.s3.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("mp"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	must(t, err, "CompleteMultipartUpload")
	got, err = c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("mp"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(k.key), SSECustomerKeyMD5: aws.String(k.md5)})
	must(t, err, "GetObject multipart SSE-C")
	data, _ = io.ReadAll(got.Body)
	got.Body.Close()
	if !bytes.Equal(data, append(append([]byte{}, p1...), p2...)) {
		t.Fatal("multipart SSE-C object differs")
	}

	// Copy an SSE-C object to SSE-KMS: the source key is needed.
	_, err = c.s3.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy"), CopySource: aws.String(b + "/c"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms})
	wantAPIError(t, err, http.StatusBadRequest, "InvalidRequest")
	cp, err := c.s3.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy"), CopySource: aws.String(b + "/c"),
		ServerSideEncryption:           types.ServerSideEncryptionAwsKms,
		CopySourceSSECustomerAlgorithm: aws.String("AES256"), CopySourceSSECustomerKey: aws.String(k.key), CopySourceSSECustomerKeyMD5: aws.String(k.md5)})
	must(t, err, "CopyObject SSE-C → SSE-KMS")
	if cp.ServerSideEncryption != types.ServerSideEncryptionAwsKms || str(cp.SSEKMSKeyId) == "" {
		t.Fatalf("copy: sse %q key %q", cp.ServerSideEncryption, str(cp.SSEKMSKeyId))
	}
	if got := c.get(t, b, "copy"); !bytes.Equal(got, body) {
		t.Fatal("copy differs")
	}

	// GetObjectAttributes needs the key too.
	_, err = c.s3.GetObjectAttributes(ctx(t), &s3.GetObjectAttributesInput{Bucket: &b, Key: aws.String("c"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectSize}})
	wantAPIError(t, err, http.StatusBadRequest, "InvalidRequest")
	attrs, err := c.s3.GetObjectAttributes(ctx(t), &s3.GetObjectAttributesInput{Bucket: &b, Key: aws.String("c"),
		ObjectAttributes:     []types.ObjectAttributes{types.ObjectAttributesObjectSize},
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(k.key), SSECustomerKeyMD5: aws.String(k.md5)})
	must(t, err, "GetObjectAttributes SSE-C")
	if i64(attrs.ObjectSize) != int64(len(body)) {
		t.Fatalf("ObjectSize %d", i64(attrs.ObjectSize))
	}
}

// TestBucketDefaultEncryptionApplies: a bucket's default encryption is
// what a PUT without headers gets, and a blocked SSE-C write is refused.
func TestBucketDefaultEncryptionApplies(t *testing.T) {
	c := secureClient(t)
	b := c.mkBucket(t, "sse-default-kms")
	_, err := c.s3.PutBucketEncryption(ctx(t), &s3.PutBucketEncryptionInput{Bucket: &b,
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms},
			BucketKeyEnabled:                   aws.Bool(true),
			BlockedEncryptionTypes:             &types.BlockedEncryptionTypes{EncryptionType: []types.EncryptionType{types.EncryptionTypeSseC}},
		}}}})
	must(t, err, "PutBucketEncryption")
	put, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: strings.NewReader("x")})
	must(t, err, "PutObject")
	if put.ServerSideEncryption != types.ServerSideEncryptionAwsKms || !boolv(put.BucketKeyEnabled) || str(put.SSEKMSKeyId) == "" {
		t.Fatalf("PUT into an aws:kms bucket: sse %q bucket key %v key %q", put.ServerSideEncryption, put.BucketKeyEnabled, str(put.SSEKMSKeyId))
	}
	k := newSSECKey(3)
	_, err = c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("c"), Body: strings.NewReader("x"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(k.key), SSECustomerKeyMD5: aws.String(k.md5)})
	wantAPIError(t, err, http.StatusForbidden, "AccessDenied")
	_, err = c.s3.DeleteBucketEncryption(ctx(t), &s3.DeleteBucketEncryptionInput{Bucket: &b})
	must(t, err, "DeleteBucketEncryption")
	put, err = c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("k2"), Body: strings.NewReader("x")})
	must(t, err, "PutObject after delete")
	if put.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("PUT after DeleteBucketEncryption: %q", put.ServerSideEncryption)
	}
}

// TestSSECNeedsTLS: SSE-C keys over plain HTTP are refused.
func TestSSECNeedsTLS(t *testing.T) {
	c := newTestServer(t, serverOptions{}).client(styles[0])
	b := c.mkBucket(t, "sse-c-http")
	k := newSSECKey(1)
	_, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("c"), Body: strings.NewReader("x"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(k.key), SSECustomerKeyMD5: aws.String(k.md5)})
	wantAPIError(t, err, http.StatusBadRequest, "InvalidRequest")
	_, err = c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("c")})
	wantAPIError(t, err, http.StatusNotFound, "NotFound")
}

// TestRefusedUploadKeepsConnection: an UploadPart refused before its
// 5 MiB body is read (no such upload) is answered, the body is drained,
// and the next request on the same connection is served: the client never
// meets a reset while it is still sending.
func TestRefusedUploadKeepsConnection(t *testing.T) {
	c := newTestServer(t, serverOptions{}).client(styles[0])
	b := c.mkBucket(t, "refused")
	body := make([]byte, 5<<20)
	up := newRequest(t, http.MethodPut, c.url(b, "k", "partNumber=1&uploadId=no-such-upload"), body)
	up.ContentLength = int64(len(body))
	c.sign(t, up, unsignedPayload, c.ts.access, c.ts.secret, time.Now())
	next := newRequest(t, http.MethodGet, c.url(b, "", "list-type=2"), nil)
	c.sign(t, next, unsignedPayload, c.ts.access, c.ts.secret, time.Now())

	conn, err := net.Dial("tcp", c.ts.plain.Listener.Addr().String())
	must(t, err, "dial")
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	go func() {
		// The whole upload, then the next request, without waiting.
		_ = up.Write(conn)
		_ = next.Write(conn)
	}()
	br := bufio.NewReader(conn)
	for _, want := range []int{http.StatusNotFound, http.StatusOK} {
		resp, err := http.ReadResponse(br, nil)
		must(t, err, fmt.Sprintf("reading the response (want %d)", want))
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("status %d, want %d", resp.StatusCode, want)
		}
	}
}
