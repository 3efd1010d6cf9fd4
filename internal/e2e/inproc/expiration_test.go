package inproc

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestExpirationHeader: with a lifecycle Expiration rule, PutObject and
// HeadObject of a matching object answer x-amz-expiration with the
// expiry date (last modified + Days, at the next midnight UTC) and the
// rule's ID; objects the rule does not match, and buckets without one,
// answer none.
func TestExpirationHeader(t *testing.T) {
	c := newTestServer(t, serverOptions{}).client(styles[0])
	bucket := c.mkBucket(t, "exp")
	put := func(key string) *s3.PutObjectOutput {
		t.Helper()
		out, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(key), Body: strings.NewReader("x")})
		must(t, err, "PutObject "+key)
		return out
	}
	if out := put("logs/before"); out.Expiration != nil {
		t.Errorf("x-amz-expiration without a lifecycle configuration: %q", *out.Expiration)
	}
	_, err := c.s3.PutBucketLifecycleConfiguration(ctx(t), &s3.PutBucketLifecycleConfigurationInput{Bucket: &bucket,
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
			ID: aws.String("logs-3d"), Status: types.ExpirationStatusEnabled,
			Filter:     &types.LifecycleRuleFilter{Prefix: aws.String("logs/")},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(3)},
		}}}})
	must(t, err, "PutBucketLifecycleConfiguration")

	out := put("logs/a")
	head, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("logs/a")})
	must(t, err, "HeadObject")
	want := `expiry-date="` + head.LastModified.UTC().Add(3*24*time.Hour).Truncate(24*time.Hour).Add(24*time.Hour).Format(time.RFC1123) + `", rule-id="logs-3d"`
	want = strings.Replace(want, "UTC", "GMT", 1)
	for what, got := range map[string]*string{"PutObject": out.Expiration, "HeadObject": head.Expiration} {
		if got == nil || *got != want {
			t.Errorf("%s x-amz-expiration = %v, want %s", what, aws.ToString(got), want)
		}
	}
	if out := put("data/b"); out.Expiration != nil {
		t.Errorf("x-amz-expiration of an object outside the rule's prefix: %q", *out.Expiration)
	}

	// CopyObject and CompleteMultipartUpload answer it too, for the new
	// object (a copy out of the prefix has none).
	cp, err := c.s3.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("logs/copy"), CopySource: aws.String(bucket + "/data/b")})
	must(t, err, "CopyObject")
	if cp.Expiration == nil || !strings.HasSuffix(*cp.Expiration, `rule-id="logs-3d"`) {
		t.Errorf("CopyObject x-amz-expiration = %v", aws.ToString(cp.Expiration))
	}
	cp, err = c.s3.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("data/copy"), CopySource: aws.String(bucket + "/logs/a")})
	must(t, err, "CopyObject out of the prefix")
	if cp.Expiration != nil {
		t.Errorf("CopyObject out of the prefix: x-amz-expiration %q", *cp.Expiration)
	}
	up, err := c.s3.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String("logs/mp")})
	must(t, err, "CreateMultipartUpload")
	part, err := c.s3.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &bucket, Key: aws.String("logs/mp"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: strings.NewReader("only part")})
	must(t, err, "UploadPart")
	done, err := c.s3.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: aws.String("logs/mp"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}})
	must(t, err, "CompleteMultipartUpload")
	if done.Expiration == nil || !strings.HasSuffix(*done.Expiration, `rule-id="logs-3d"`) {
		t.Errorf("CompleteMultipartUpload x-amz-expiration = %v", aws.ToString(done.Expiration))
	}
}
