package inproc

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestBucketPolicyRequestObjectTag: a Deny binds the owner's root too, so
// "deny PutObject unless s3:RequestObjectTag/project is blue" makes every
// write carry that tag, whether it comes from PutObject, CreateMultipartUpload
// or a CopyObject replacing the source's tags.
func TestBucketPolicyRequestObjectTag(t *testing.T) {
	c := newTestServer(t, serverOptions{}).client(styles[0])
	policyBucket(t, c)
	c.putPolicy(t, policyDoc(`{"Sid":"BlueOnly","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::pol/*",
		"Condition":{"StringNotEquals":{"s3:RequestObjectTag/project":"blue"}}}`))

	put := func(tagging string) error {
		in := &s3.PutObjectInput{Bucket: aws.String("pol"), Key: aws.String("k"), Body: strings.NewReader("x")}
		if tagging != "" {
			in.Tagging = aws.String(tagging)
		}
		_, err := c.s3.PutObject(ctx(t), in)
		return err
	}
	must(t, put("project=blue"), "PutObject tagged project=blue")
	must(t, put("project=blue&team=core"), "PutObject tagged project=blue and team")
	wantAPIError(t, put(""), 403, "AccessDenied")
	wantAPIError(t, put("project=red"), 403, "AccessDenied")
	wantAPIError(t, put("team=core"), 403, "AccessDenied")

	_, err := c.s3.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("pol"), Key: aws.String("mp"), Tagging: aws.String("project=blue")})
	must(t, err, "CreateMultipartUpload tagged project=blue")
	_, err = c.s3.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("pol"), Key: aws.String("mp")})
	wantAPIError(t, err, 403, "AccessDenied")

	_, err = c.s3.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String("pol"), Key: aws.String("copy"), CopySource: aws.String("pol/public/a.txt"),
		TaggingDirective: types.TaggingDirectiveReplace, Tagging: aws.String("project=blue")})
	must(t, err, "CopyObject replacing tags with project=blue")
	// Copied tags are not the request's: the key is absent.
	_, err = c.s3.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String("pol"), Key: aws.String("copy"), CopySource: aws.String("pol/k"),
		Tagging: aws.String("project=blue")})
	wantAPIError(t, err, 403, "AccessDenied")
}

// TestBucketPolicyRequestObjectTagKeys: ForAllValues:StringEquals on the
// multi-valued s3:RequestObjectTagKeys allows only the listed tag keys (and
// no tags at all: ForAllValues of an empty set holds).
func TestBucketPolicyRequestObjectTagKeys(t *testing.T) {
	c := newTestServer(t, serverOptions{}).client(styles[0])
	policyBucket(t, c)
	c.putPolicy(t, policyDoc(`{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::pol/*",
		"Condition":{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["project","owner"]}}}`))
	tests := []struct {
		name, tagging string
		want          int
	}{
		{"both allowed keys", "project=a&owner=b", 200},
		{"one allowed key", "owner=b", 200},
		{"no tags", "", 200},
		{"an unlisted key", "project=a&secret=x", 403},
		{"key differs in case", "Project=a", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.tagging != "" {
				h["X-Amz-Tagging"] = tt.tagging
			}
			code, body := c.anon(t, "PUT", "/pol/anon.txt", h)
			wantStatus(t, "anonymous PUT", code, tt.want, body)
		})
	}
}

// TestBucketPolicyExistingObjectTag: anonymous callers may read exactly the
// objects tagged public=yes; the tags are the object's current ones.
func TestBucketPolicyExistingObjectTag(t *testing.T) {
	c := newTestServer(t, serverOptions{}).client(styles[0])
	policyBucket(t, c)
	_, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("pol"), Key: aws.String("tagged"), Body: strings.NewReader("shared"), Tagging: aws.String("public=yes")})
	must(t, err, "PutObject tagged")
	c.putPolicy(t, policyDoc(`{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:GetObjectTagging"],"Resource":"arn:aws:s3:::pol/*",
		"Condition":{"StringEquals":{"s3:ExistingObjectTag/public":"yes"}}}`))

	code, body := c.anon(t, "GET", "/pol/tagged", nil)
	wantStatus(t, "anonymous GET of the tagged object", code, 200, body)
	if body != "shared" {
		t.Errorf("anonymous GET body = %q", body)
	}
	code, _ = c.anon(t, "HEAD", "/pol/tagged", nil)
	wantStatus(t, "anonymous HEAD of the tagged object", code, 200, "")
	code, body = c.anon(t, "GET", "/pol/tagged?tagging", nil)
	wantStatus(t, "anonymous GetObjectTagging of the tagged object", code, 200, body)
	code, body = c.anon(t, "GET", "/pol/public/a.txt", nil)
	wantStatus(t, "anonymous GET of an untagged object", code, 403, body)
	code, body = c.anon(t, "GET", "/pol/missing", nil)
	wantStatus(t, "anonymous GET of a missing object", code, 403, body)

	// Tagging the object later makes it readable; untagging it hides it.
	_, err = c.s3.PutObjectTagging(ctx(t), &s3.PutObjectTaggingInput{Bucket: aws.String("pol"), Key: aws.String("public/a.txt"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("public"), Value: aws.String("yes")}}}})
	must(t, err, "PutObjectTagging")
	code, body = c.anon(t, "GET", "/pol/public/a.txt", nil)
	wantStatus(t, "anonymous GET once tagged", code, 200, body)
	_, err = c.s3.DeleteObjectTagging(ctx(t), &s3.DeleteObjectTaggingInput{Bucket: aws.String("pol"), Key: aws.String("tagged")})
	must(t, err, "DeleteObjectTagging")
	code, body = c.anon(t, "GET", "/pol/tagged", nil)
	wantStatus(t, "anonymous GET once untagged", code, 403, body)
}

// TestBucketPolicyGrantHeader: a Null condition on s3:x-amz-grant-full-control
// denies writes that carry the header, the owner's included.
func TestBucketPolicyGrantHeader(t *testing.T) {
	c := newTestServer(t, serverOptions{}).client(styles[0])
	policyBucket(t, c)
	// ACLs enabled, so that a grant header is more than refused.
	_, err := c.s3.PutBucketOwnershipControls(ctx(t), &s3.PutBucketOwnershipControlsInput{Bucket: aws.String("pol"),
		OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipObjectWriter}}}})
	must(t, err, "PutBucketOwnershipControls")
	c.putPolicy(t, policyDoc(`{"Sid":"NoGrants","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::pol/*",
		"Condition":{"Null":{"s3:x-amz-grant-full-control":"false"}}}`))

	_, err = c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("pol"), Key: aws.String("k"), Body: strings.NewReader("x"),
		GrantFullControl: aws.String(`id="79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"`)})
	wantAPIError(t, err, 403, "AccessDenied")
	_, err = c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("pol"), Key: aws.String("k"), Body: strings.NewReader("x"),
		GrantRead: aws.String(`uri="http://acs.amazonaws.com/groups/global/AllUsers"`)})
	must(t, err, "PutObject with another grant header")
	_, err = c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("pol"), Key: aws.String("k"), Body: strings.NewReader("x")})
	must(t, err, "PutObject without grant headers")
}

// TestBucketPolicyPutObjectTaggingBody: the tags PutObjectTagging sets are
// in its body, and its policy sees them as s3:RequestObjectTag/<key> and
// s3:RequestObjectTagKeys; reading the body first must not let through a
// caller no policy allows.
func TestBucketPolicyPutObjectTaggingBody(t *testing.T) {
	c := newTestServer(t, serverOptions{}).client(styles[0])
	policyBucket(t, c)
	c.putPolicy(t, policyDoc(`{"Sid":"BlueOnly","Effect":"Deny","Principal":"*","Action":"s3:PutObjectTagging","Resource":"arn:aws:s3:::pol/*",
		"Condition":{"StringNotEquals":{"s3:RequestObjectTag/project":"blue"}}}`,
		`{"Sid":"KnownKeys","Effect":"Deny","Principal":"*","Action":"s3:PutObjectTagging","Resource":"arn:aws:s3:::pol/*",
		"Condition":{"ForAnyValue:StringNotEquals":{"s3:RequestObjectTagKeys":["project","owner"]}}}`))

	tag := func(tags ...string) error {
		set := []types.Tag{}
		for i := 0; i+1 < len(tags); i += 2 {
			set = append(set, types.Tag{Key: aws.String(tags[i]), Value: aws.String(tags[i+1])})
		}
		_, err := c.s3.PutObjectTagging(ctx(t), &s3.PutObjectTaggingInput{Bucket: aws.String("pol"), Key: aws.String("public/a.txt"),
			Tagging: &types.Tagging{TagSet: set}})
		return err
	}
	must(t, tag("project", "blue"), "PutObjectTagging project=blue")
	must(t, tag("project", "blue", "owner", "ann"), "PutObjectTagging project=blue, owner=ann")
	wantAPIError(t, tag("project", "red"), 403, "AccessDenied")
	wantAPIError(t, tag("project", "blue", "secret", "x"), 403, "AccessDenied")
	wantAPIError(t, tag(), 403, "AccessDenied")

	body := `<Tagging><TagSet><Tag><Key>project</Key><Value>blue</Value></Tag></TagSet></Tagging>`
	req := newRequest(t, "PUT", c.url("pol", "public/a.txt", "tagging"), []byte(body))
	resp, got := c.do(t, req)
	wantRawError(t, resp, got, 403, "AccessDenied")
}
