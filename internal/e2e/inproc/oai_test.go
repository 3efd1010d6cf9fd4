package inproc

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Origin access for coffer edge: origin access identities (OAI) and
// origin access controls (OAC) made with the CloudFront-named actions
// `coffer admin oai|oac` sends, and what bucket policies, ACLs and KMS key
// policies grant them.

// oaiCredential is a created OAI or OAC as the Create actions answer it.
type oaiCredential struct {
	ID                string `xml:"Id"`
	S3CanonicalUserID string `xml:"S3CanonicalUserId"`
	DistributionArn   string `xml:"DistributionArn"`
	AccessKeyID       string `xml:"AccessKeyId"`
	SecretAccessKey   string `xml:"SecretAccessKey"`
}

// oaiARN is the principal ARN of an origin access identity.
func oaiARN(id string) string {
	return "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity " + id
}

// oaiCreate creates an OAI (comment) as the operator.
func (e *iamEnv) oaiCreate(t *testing.T, comment string) oaiCredential {
	t.Helper()
	status, body := e.iamQuery(t, e.ts.access, e.ts.secret, url.Values{"Action": {"CreateCloudFrontOriginAccessIdentity"}, "Comment": {comment}})
	var out struct {
		C oaiCredential `xml:"CreateCloudFrontOriginAccessIdentityResult>CloudFrontOriginAccessIdentity"`
	}
	if status != http.StatusOK || xml.Unmarshal(body, &out) != nil || out.C.ID == "" || out.C.SecretAccessKey == "" || out.C.S3CanonicalUserID == "" {
		t.Fatalf("CreateCloudFrontOriginAccessIdentity: %d %s", status, body)
	}
	return out.C
}

// oaiCreateOAC creates an OAC for distribution ID dist of the operator's
// account.
func (e *iamEnv) oaiCreateOAC(t *testing.T, dist string) oaiCredential {
	t.Helper()
	arn := e.oaiDistribution(dist)
	status, body := e.iamQuery(t, e.ts.access, e.ts.secret, url.Values{"Action": {"CreateOriginAccessControl"}, "DistributionArn": {arn}})
	var out struct {
		C oaiCredential `xml:"CreateOriginAccessControlResult>OriginAccessControl"`
	}
	if status != http.StatusOK || xml.Unmarshal(body, &out) != nil || out.C.ID == "" || out.C.SecretAccessKey == "" || out.C.DistributionArn != arn {
		t.Fatalf("CreateOriginAccessControl: %d %s", status, body)
	}
	return out.C
}

// oaiDistribution is the ARN of distribution ID dist of the operator's
// account.
func (e *iamEnv) oaiDistribution(dist string) string {
	return "arn:aws:cloudfront::" + e.account + ":distribution/" + dist
}

// oaiBucket makes a bucket of the operator's with one object, "index.html",
// and policy (a JSON document with %s for the bucket name) unless "".
func (e *iamEnv) oaiBucket(t *testing.T, prefix, policy string) string {
	t.Helper()
	bucket := e.mkBucket(t, prefix)
	must(t, tryPut(t, e.s3, bucket, "index.html"), "PutObject index.html")
	if policy != "" {
		_, err := e.s3.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(fmt.Sprintf(policy, bucket))})
		must(t, err, "PutBucketPolicy")
	}
	return bucket
}

// oaiGetPolicy is a bucket policy letting principal (a JSON object) read
// the bucket's objects, under an optional condition (JSON, or "").
func oaiGetPolicy(principal, condition string) string {
	if condition != "" {
		condition = `,"Condition":` + condition
	}
	return `{"Version":"2012-10-17","Statement":[{"Sid":"Edge","Effect":"Allow","Principal":` + principal +
		`,"Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"` + condition + `}]}`
}

// oaiWantBody asserts a GET by c of bucket/key succeeds with the bytes
// tryPut wrote.
func oaiWantBody(t *testing.T, who string, c *s3.Client, bucket, key string) {
	t.Helper()
	out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GET %s by %s: %v", key, who, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	must(t, err, "reading "+key)
	if string(b) != "data of "+key {
		t.Errorf("GET %s by %s = %q", key, who, b)
	}
}

// TestOAIBucketPolicy: a bucket policy naming only the OAI (by principal
// ARN, or by its canonical user ID) lets its key read a private bucket;
// anonymous callers and other accounts stay refused, and the key grants
// nothing else: no listing, no write, no bucket of its own, no IAM.
func TestOAIBucketPolicy(t *testing.T) {
	e := newIAMEnv(t)
	oai := e.oaiCreate(t, "media")
	edge := e.newS3(oai.AccessKeyID, oai.SecretAccessKey)
	anon := e.newS3("", "", func(o *s3.Options) { o.Credentials = aws.AnonymousCredentials{} })
	b := e.createAccount(t, "other")
	other := e.newS3(b.AccessKeyID, b.SecretAccessKey)

	for _, tt := range []struct{ name, principal string }{
		{"principal ARN", `{"AWS":"` + oaiARN(oai.ID) + `"}`},
		{"canonical user", `{"CanonicalUser":"` + oai.S3CanonicalUserID + `"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bucket := e.oaiBucket(t, "oai", oaiGetPolicy(tt.principal, ""))
			oaiWantBody(t, "the OAI", edge, bucket, "index.html")
			wantAPIError(t, tryGet(t, anon, bucket, "index.html"), 403, "AccessDenied")
			wantAPIError(t, tryGet(t, other, bucket, "index.html"), 403, "AccessDenied")
			// Only what the policy names.
			wantAPIError(t, tryGet(t, edge, bucket, "missing"), 403, "AccessDenied")
			wantAPIError(t, tryPut(t, edge, bucket, "written-by-edge"), 403, "AccessDenied")
			_, err := edge.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
			wantAPIError(t, err, 403, "AccessDenied")
		})
	}

	t.Run("not its account's root", func(t *testing.T) {
		bucket := e.oaiBucket(t, "oai-root", "")
		wantAPIError(t, tryGet(t, edge, bucket, "index.html"), 403, "AccessDenied")
		_, err := edge.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(uniqueBucket(t, "by-edge"))})
		wantAPIError(t, err, 403, "AccessDenied")
		_, err = edge.ListBuckets(ctx(t), &s3.ListBucketsInput{})
		wantAPIError(t, err, 403, "AccessDenied")
		status, body := e.iamQuery(t, oai.AccessKeyID, oai.SecretAccessKey, url.Values{"Action": {"ListUsers"}})
		wantIAMQueryError(t, "ListUsers with the OAI's key", status, body, http.StatusForbidden, "AccessDenied")
		status, body = e.iamQuery(t, oai.AccessKeyID, oai.SecretAccessKey, url.Values{"Action": {"CreateCloudFrontOriginAccessIdentity"}})
		wantIAMQueryError(t, "CreateCloudFrontOriginAccessIdentity with the OAI's key", status, body, http.StatusForbidden, "AccessDenied")
	})

	t.Run("ACL grant by canonical ID", func(t *testing.T) {
		bucket := uniqueBucket(t, "oai-acl")
		_, err := e.s3.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(bucket), ObjectOwnership: types.ObjectOwnershipObjectWriter})
		must(t, err, "CreateBucket ObjectWriter")
		for _, k := range []string{"granted", "private"} {
			in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader("data of " + k)}
			if k == "granted" {
				in.GrantRead = aws.String(`id="` + oai.S3CanonicalUserID + `"`)
			}
			_, err := e.s3.PutObject(ctx(t), in)
			must(t, err, "PutObject "+k)
		}
		oaiWantBody(t, "the OAI", edge, bucket, "granted")
		wantAPIError(t, tryGet(t, edge, bucket, "private"), 403, "AccessDenied")
		wantAPIError(t, tryGet(t, other, bucket, "granted"), 403, "AccessDenied")
	})

	t.Run("deleted", func(t *testing.T) {
		gone := e.oaiCreate(t, "short-lived")
		bucket := e.oaiBucket(t, "oai-gone", oaiGetPolicy(`{"AWS":"`+oaiARN(gone.ID)+`"}`, ""))
		goneEdge := e.newS3(gone.AccessKeyID, gone.SecretAccessKey)
		oaiWantBody(t, "the OAI before its delete", goneEdge, bucket, "index.html")
		status, body := e.iamQuery(t, e.ts.access, e.ts.secret, url.Values{"Action": {"DeleteCloudFrontOriginAccessIdentity"}, "Id": {gone.ID}})
		if status != http.StatusOK {
			t.Fatalf("DeleteCloudFrontOriginAccessIdentity: %d %s", status, body)
		}
		wantAPIError(t, tryGet(t, goneEdge, bucket, "index.html"), 403, "InvalidAccessKeyId")
		// The other OAI is untouched, and listed alone.
		oaiWantBody(t, "the remaining OAI", edge, e.oaiBucket(t, "oai-left", oaiGetPolicy(`{"AWS":"`+oaiARN(oai.ID)+`"}`, "")), "index.html")
		status, body = e.iamQuery(t, e.ts.access, e.ts.secret, url.Values{"Action": {"ListCloudFrontOriginAccessIdentities"}})
		var list struct {
			IDs []string `xml:"ListCloudFrontOriginAccessIdentitiesResult>Items>member>Id"`
		}
		if status != http.StatusOK || xml.Unmarshal(body, &list) != nil || len(list.IDs) != 1 || list.IDs[0] != oai.ID {
			t.Errorf("ListCloudFrontOriginAccessIdentities: %d %s, want only %s", status, body, oai.ID)
		}
		if strings.Contains(string(body), oai.SecretAccessKey) {
			t.Error("the listing shows a secret")
		}
	})
}

// TestOAIOriginAccessControl: a bucket policy for the service principal
// cloudfront.amazonaws.com with a StringEquals AWS:SourceArn condition
// lets the OAC bound to that distribution read, and no OAC bound to
// another; the binding cannot name another account's distribution.
func TestOAIOriginAccessControl(t *testing.T) {
	e := newIAMEnv(t)
	mine, elsewhere := e.oaiCreateOAC(t, "EDGE1"), e.oaiCreateOAC(t, "EDGE2")
	edge1 := e.newS3(mine.AccessKeyID, mine.SecretAccessKey)
	edge2 := e.newS3(elsewhere.AccessKeyID, elsewhere.SecretAccessKey)
	anon := e.newS3("", "", func(o *s3.Options) { o.Credentials = aws.AnonymousCredentials{} })
	condition := `{"StringEquals":{"AWS:SourceArn":"` + e.oaiDistribution("EDGE1") + `","aws:SourceAccount":"` + e.account + `"}}`
	bucket := e.oaiBucket(t, "oac", oaiGetPolicy(`{"Service":"cloudfront.amazonaws.com"}`, condition))
	oaiWantBody(t, "the OAC of EDGE1", edge1, bucket, "index.html")
	wantAPIError(t, tryGet(t, edge2, bucket, "index.html"), 403, "AccessDenied")
	wantAPIError(t, tryGet(t, anon, bucket, "index.html"), 403, "AccessDenied")

	// The policy is not public (a narrowing condition): GetBucketPolicyStatus.
	st, err := e.s3.GetBucketPolicyStatus(ctx(t), &s3.GetBucketPolicyStatusInput{Bucket: aws.String(bucket)})
	must(t, err, "GetBucketPolicyStatus")
	if aws.ToBool(st.PolicyStatus.IsPublic) {
		t.Error("the OAC policy counts as public")
	}

	// Another account's distribution cannot be bound.
	b := e.createAccount(t, "other")
	status, body := e.iamQuery(t, b.AccessKeyID, b.SecretAccessKey, url.Values{"Action": {"CreateOriginAccessControl"}, "DistributionArn": {e.oaiDistribution("EDGE1")}})
	wantIAMQueryError(t, "CreateOriginAccessControl for another account's distribution", status, body, http.StatusBadRequest, "InvalidInput")
}

// TestOAIKMSKeyPolicy: as on AWS, an OAC reads an SSE-KMS object under a
// customer managed key only when the key policy allows the service
// principal (for its distribution); SSE-S3 and the aws/s3 key need nothing.
func TestOAIKMSKeyPolicy(t *testing.T) {
	e := newIAMEnv(t)
	oac := e.oaiCreateOAC(t, "EDGE1")
	edge := e.newS3(oac.AccessKeyID, oac.SecretAccessKey)
	kc := kms.New(kms.Options{Region: e.ts.region, BaseEndpoint: aws.String(e.ts.srv.KMSEndpoint()),
		Credentials: credentials.NewStaticCredentialsProvider(e.ts.access, e.ts.secret, "")})
	condition := `{"StringEquals":{"AWS:SourceArn":"` + e.oaiDistribution("EDGE1") + `"}}`
	bucket := e.oaiBucket(t, "oac-kms", oaiGetPolicy(`{"Service":"cloudfront.amazonaws.com"}`, condition))

	// A key under the default key policy (the KMS account's root only);
	// the KMS, a separate service, has an account of its own.
	plain, err := kc.CreateKey(ctx(t), &kms.CreateKeyInput{})
	must(t, err, "CreateKey")
	kmsAccount := strings.Split(aws.ToString(plain.KeyMetadata.Arn), ":")[4]
	keyFor := func(serviceStatement string) string {
		t.Helper()
		// The KMS account's root keeps every permission (so the lockout
		// check passes); serviceStatement adds the edge.
		k, err := kc.CreateKey(ctx(t), &kms.CreateKeyInput{Policy: aws.String(`{"Version":"2012-10-17","Statement":[` +
			`{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + kmsAccount + `:root"},"Action":"kms:*","Resource":"*"},` +
			serviceStatement + `]}`)})
		must(t, err, "CreateKey")
		return aws.ToString(k.KeyMetadata.Arn)
	}
	service := func(dist string) string {
		return `{"Sid":"Edge","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"kms:Decrypt","Resource":"*",` +
			`"Condition":{"StringEquals":{"AWS:SourceArn":"` + e.oaiDistribution(dist) + `"}}}`
	}
	objects := []struct {
		key    string
		sse    types.ServerSideEncryption
		keyARN string
		want   int // 200 or the refusal's status
	}{
		{"sse-s3", types.ServerSideEncryptionAes256, "", 200},
		{"aws-s3-key", types.ServerSideEncryptionAwsKms, "", 200},
		{"key-allows-edge", types.ServerSideEncryptionAwsKms, keyFor(service("EDGE1")), 200},
		{"key-allows-other-distribution", types.ServerSideEncryptionAwsKms, keyFor(service("EDGE9")), 403},
		{"default-key-policy", types.ServerSideEncryptionAwsKms, aws.ToString(plain.KeyMetadata.Arn), 403},
	}
	for _, o := range objects {
		in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.key), Body: strings.NewReader("data of " + o.key), ServerSideEncryption: o.sse}
		if o.keyARN != "" {
			in.SSEKMSKeyId = aws.String(o.keyARN)
		}
		_, err := e.s3.PutObject(ctx(t), in)
		must(t, err, "PutObject "+o.key)
	}
	for _, o := range objects {
		t.Run(o.key, func(t *testing.T) {
			if o.want == 200 {
				oaiWantBody(t, "the OAC", edge, bucket, o.key)
				return
			}
			wantAPIError(t, tryGet(t, edge, bucket, o.key), o.want, "AccessDenied")
			// The owner still reads it.
			oaiWantBody(t, "the owner", e.s3, bucket, o.key)
		})
	}
}
