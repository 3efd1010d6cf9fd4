package inproc

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// pastPresigner signs as if the clock were shifted by offset, so an expired
// URL needs no sleeping.
type pastPresigner struct {
	offset time.Duration
	signer *v4.Signer
}

func (p pastPresigner) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, signingTime time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return p.signer.PresignHTTP(ctx, creds, r, payloadHash, service, region, signingTime.Add(p.offset), optFns...)
}

// fetch performs a presigned request with plain net/http.
func (c *client) fetch(t testing.TB, pr *v4.PresignedHTTPRequest, body []byte) (*http.Response, []byte) {
	t.Helper()
	req := newRequest(t, pr.Method, pr.URL, body)
	for k, vs := range pr.SignedHeader {
		if strings.EqualFold(k, "Host") {
			continue
		}
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	return c.do(t, req)
}

func TestPresigned(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "presign")
		body := randBytes(40, 5000)
		c.put(t, b, "get me", body)
		ps := s3.NewPresignClient(c.s3)

		t.Run("GET", func(t *testing.T) {
			pr, err := ps.PresignGetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("get me")})
			must(t, err, "PresignGetObject")
			if c.virtual != strings.Contains(pr.URL, "://"+b+".") {
				t.Fatalf("presigned URL %s does not use the %s style", pr.URL, c.name)
			}
			resp, got := c.fetch(t, pr, nil)
			if resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) {
				t.Errorf("presigned GET: %d, %d bytes (want 200, %d bytes): %.200q", resp.StatusCode, len(got), len(body), got)
			}
			if resp.Header.Get("ETag") != md5ETag(body) {
				t.Errorf("presigned GET ETag %q", resp.Header.Get("ETag"))
			}
		})

		t.Run("GET with response overrides", func(t *testing.T) {
			pr, err := ps.PresignGetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("get me"), ResponseContentDisposition: aws.String(`attachment; filename="x.bin"`)})
			must(t, err, "PresignGetObject")
			resp, got := c.fetch(t, pr, nil)
			if resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) || resp.Header.Get("Content-Disposition") != `attachment; filename="x.bin"` {
				t.Errorf("presigned GET with override: %d Content-Disposition %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
			}
		})

		t.Run("PUT", func(t *testing.T) {
			up := randBytes(41, 3000)
			pr, err := ps.PresignPutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("put/by url"), ContentType: aws.String("application/x-presigned")})
			must(t, err, "PresignPutObject")
			resp, rb := c.fetch(t, pr, up)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("presigned PUT: %d %q", resp.StatusCode, rb)
			}
			if resp.Header.Get("ETag") != md5ETag(up) {
				t.Errorf("presigned PUT ETag %q, want %s", resp.Header.Get("ETag"), md5ETag(up))
			}
			out, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("put/by url")})
			must(t, err, "GetObject")
			if got := readAll(t, out.Body); !bytes.Equal(got, up) || str(out.ContentType) != "application/x-presigned" {
				t.Errorf("object PUT by URL: %d bytes, Content-Type %q", len(got), str(out.ContentType))
			}
		})

		t.Run("expired", func(t *testing.T) {
			old := s3.NewPresignClient(c.s3, func(o *s3.PresignOptions) {
				o.Presigner = pastPresigner{offset: -2 * time.Hour, signer: v4.NewSigner()}
				o.Expires = time.Minute
			})
			pr, err := old.PresignGetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("get me")})
			must(t, err, "PresignGetObject")
			resp, rb := c.fetch(t, pr, nil)
			wantRawError(t, resp, rb, http.StatusForbidden, "AccessDenied")

			pr, err = old.PresignPutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("late")})
			must(t, err, "PresignPutObject")
			resp, rb = c.fetch(t, pr, []byte("too late"))
			wantRawError(t, resp, rb, http.StatusForbidden, "AccessDenied")
			_, err = c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("late")})
			wantAPIError(t, err, http.StatusNotFound, "")
		})

		t.Run("expiry over seven days", func(t *testing.T) {
			pr, err := ps.PresignGetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("get me")}, func(o *s3.PresignOptions) { o.Expires = 8 * 24 * time.Hour })
			must(t, err, "PresignGetObject")
			resp, rb := c.fetch(t, pr, nil)
			wantRawError(t, resp, rb, http.StatusBadRequest, "AuthorizationQueryParametersError")
		})

		t.Run("tampered", func(t *testing.T) {
			pr, err := ps.PresignGetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("get me")})
			must(t, err, "PresignGetObject")
			u, err := url.Parse(pr.URL)
			must(t, err, "parse URL")
			q := u.Query()
			sig := []byte(q.Get("X-Amz-Signature"))
			if sig[0] == '0' {
				sig[0] = '1'
			} else {
				sig[0] = '0'
			}
			q.Set("X-Amz-Signature", string(sig))
			u.RawQuery = q.Encode()
			tampered := *pr
			tampered.URL = u.String()
			resp, rb := c.fetch(t, &tampered, nil)
			wantRawError(t, resp, rb, http.StatusForbidden, "SignatureDoesNotMatch")

			// A signed URL is for its key only.
			other := *pr
			other.URL = strings.Replace(pr.URL, "get%20me", "get%20you", 1)
			if other.URL == pr.URL {
				t.Fatalf("key not found in presigned URL %s", pr.URL)
			}
			resp, rb = c.fetch(t, &other, nil)
			wantRawError(t, resp, rb, http.StatusForbidden, "SignatureDoesNotMatch")
		})
	})
}
