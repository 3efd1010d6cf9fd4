package auth

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestS3ClientEndToEnd drives a real HTTP server wrapping Verify with the
// aws-sdk-go-v2 S3 client, over plain HTTP (where the SDK signs the body's
// SHA-256) and over TLS (where it streams STREAMING-UNSIGNED-PAYLOAD-TRAILER
// with a CRC32 trailer).
func TestS3ClientEndToEnd(t *testing.T) {
	keys := []string{
		"plain.txt",
		"with space/and+plus",
		"ünïcødé/日本語 😀",
		"a%2Fb literal percent",
		"double//slash",
		"/leading-slash",
		"odd !\"#$&'()*,:;<=>?@[\\]^`{|}~",
	}
	payload := bytes.Repeat([]byte("coffer\n"), 30000) // > 64 KiB: several chunks
	for _, tls := range []bool{false, true} {
		for _, pathStyle := range []bool{true, false} {
			name := map[bool]string{false: "http", true: "https"}[tls] + map[bool]string{false: "/virtual-host", true: "/path-style"}[pathStyle]
			t.Run(name, func(t *testing.T) {
				s := newVerifyServer(t, &Verifier{Creds: testCredentials()}, tls)
				addr := strings.TrimPrefix(strings.TrimPrefix(s.URL, "http://"), "https://")
				client := newS3Client(testSecret, hostRewriter{s.Client(), addr}, func(o *s3.Options) {
					if pathStyle {
						o.BaseEndpoint = aws.String(s.URL)
						o.UsePathStyle = true
					} else {
						// Virtual-host style puts the bucket in the host
						// name; hostRewriter routes every name to the server.
						o.BaseEndpoint = aws.String(strings.Replace(s.URL, "127.0.0.1", "localhost.test", 1))
					}
				})
				ctx := context.Background()
				for _, key := range keys {
					_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key), Body: bytes.NewReader(payload)})
					o := <-s.seen
					if err != nil || o.verifyErr != nil || o.readErr != nil {
						t.Fatalf("PutObject %q: %v; server: verify %v, read %v", key, err, o.verifyErr, o.readErr)
					}
					if !bytes.Equal(o.body, payload) {
						t.Fatalf("PutObject %q: server read %d bytes, client sent %d", key, len(o.body), len(payload))
					}
					wantMode := PayloadSignedSHA256
					if tls {
						wantMode = PayloadStreamingUnsignedTrl
					}
					if o.res.PayloadMode != wantMode || o.res.ContentLength != int64(len(payload)) {
						t.Fatalf("PutObject %q: mode %s length %d", key, o.res.PayloadMode, o.res.ContentLength)
					}
					if tls && o.trailer.Get("X-Amz-Checksum-Crc32") != crc32Base64(payload) {
						t.Fatalf("PutObject %q: trailer %v, want CRC32 %s", key, o.trailer, crc32Base64(payload))
					}
					if !tls && o.header.Get("X-Amz-Checksum-Crc32") != crc32Base64(payload) {
						t.Fatalf("PutObject %q: checksum header %q", key, o.header.Get("X-Amz-Checksum-Crc32"))
					}

					_, err = client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key), Range: aws.String("bytes=0-9")})
					if o := <-s.seen; err != nil || o.verifyErr != nil {
						t.Fatalf("GetObject %q: %v; server: %v", key, err, o.verifyErr)
					}
				}

				_, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
					Bucket: aws.String("bucket"), Prefix: aws.String("a b+c/ü&=?%"), Delimiter: aws.String("/"), StartAfter: aws.String("~!*'()"),
				})
				if o := <-s.seen; err != nil || o.verifyErr != nil {
					t.Fatalf("ListObjectsV2: %v; server: %v", err, o.verifyErr)
				}

				// A presigned GET fetched by a plain HTTP client.
				ps, err := s3.NewPresignClient(client).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String(keys[2])},
					s3.WithPresignExpires(10*time.Minute))
				if err != nil {
					t.Fatal(err)
				}
				req, _ := http.NewRequest(ps.Method, ps.URL, nil)
				resp, err := hostRewriter{s.Client(), addr}.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if o := <-s.seen; o.verifyErr != nil || !o.res.Presigned {
					t.Fatalf("presigned GET %s: %v", ps.URL, o.verifyErr)
				}

				// The wrong secret is refused.
				bad := newS3Client("wrong", s.Client(), func(o *s3.Options) { o.BaseEndpoint = aws.String(s.URL); o.UsePathStyle = true })
				_, err = bad.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String("k"), Body: bytes.NewReader(payload)})
				if o := <-s.seen; err == nil || o.verifyErr == nil {
					t.Fatalf("wrong secret accepted")
				}
			})
		}
	}
}

// newS3Client is an S3 client configured as config.LoadDefaultConfig
// would (checksums "when supported", the SDK default), but without reading
// the environment, which may point at CA bundles and profiles.
func newS3Client(secret string, httpClient aws.HTTPClient, opt func(*s3.Options)) *s3.Client {
	return s3.NewFromConfig(aws.Config{
		Region:                     testRegion,
		Credentials:                aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return awsCreds(secret), nil }),
		HTTPClient:                 httpClient,
		RetryMaxAttempts:           1,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}, opt)
}

// hostRewriter sends every request to addr, keeping the Host header: it
// stands in for DNS pointing bucket.localhost.test at the test server.
type hostRewriter struct {
	client *http.Client
	addr   string
}

func (h hostRewriter) Do(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if r.Host == "" {
		r.Host = r.URL.Host
	}
	r.URL.Host = h.addr
	return h.client.Do(r)
}
