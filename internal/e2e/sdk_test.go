package e2e

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// sdk returns an aws-sdk-go-v2 S3 client for srv in its default
// configuration (path-style, since the server has no --domain), used to
// check what the real clients did, independently of them.
func (s *server) sdk(optFns ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(rootAccessKey, rootSecretKey, ""),
	}, optFns...)
}

// listObjects returns every object under prefix in bucket, as a tree of
// sizes (SHA256 left empty).
func listObjects(t *testing.T, c *s3.Client, bucket, prefix string) tree {
	t.Helper()
	out := tree{}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("list s3://%s/%s: %v", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			out[aws.ToString(o.Key)[len(prefix):]] = entry{Size: aws.ToInt64(o.Size)}
		}
	}
	return out
}

// downloadTree lists bucket/prefix and reads every object, returning the
// tree of their contents relative to prefix.
func downloadTree(t *testing.T, c *s3.Client, bucket, prefix string) tree {
	t.Helper()
	listed := listObjects(t, c, bucket, prefix)
	out := tree{}
	for name, e := range listed {
		b := getObject(t, c, bucket, prefix+name)
		if int64(len(b)) != e.Size {
			t.Errorf("s3://%s/%s%s: listed with %d bytes, GET returned %d", bucket, prefix, name, e.Size, len(b))
		}
		out[name] = entry{Size: int64(len(b)), SHA256: sha256Hex(b)}
	}
	return out
}

// getObject reads a whole object, failing the test on any error.
func getObject(t *testing.T, c *s3.Client, bucket, key string) []byte {
	t.Helper()
	b, err := tryGetObject(t.Context(), c, bucket, key)
	if err != nil {
		t.Fatalf("GET s3://%s/%s: %v", bucket, key, err)
	}
	return b
}

func tryGetObject(ctx context.Context, c *s3.Client, bucket, key string) ([]byte, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// errorCode returns the S3 error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
