package inproc

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// kmsTestIAM sends one IAM query request signed by the root (service iam)
// and fails the test unless it succeeds; it returns the XML answer.
func (c *client) kmsTestIAM(t testing.TB, params url.Values) []byte {
	t.Helper()
	params.Set("Version", "2010-05-08")
	body := []byte(params.Encode())
	req, err := http.NewRequest("POST", c.endpoint+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c.kmsTestSign(t, req, body, "iam")
	resp, out := c.do(t, req)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("IAM %s: HTTP %d: %s", params.Get("Action"), resp.StatusCode, out)
	}
	return out
}

// kmsTestSign signs req with the root credentials for service (us-east-1,
// the region of global services).
func (c *client) kmsTestSign(t testing.TB, req *http.Request, body []byte, service string) {
	t.Helper()
	creds := aws.Credentials{AccessKeyID: c.ts.access, SecretAccessKey: c.ts.secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hexSHA256(body), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
}

// kmsTestUser creates a user with an inline policy and an access key, and
// returns an S3 client acting as that user.
func (c *client) kmsTestUser(t testing.TB, name, policyDoc string) *s3.Client {
	t.Helper()
	c.kmsTestIAM(t, url.Values{"Action": {"CreateUser"}, "UserName": {name}})
	if policyDoc != "" {
		c.kmsTestIAM(t, url.Values{"Action": {"PutUserPolicy"}, "UserName": {name}, "PolicyName": {"p"}, "PolicyDocument": {policyDoc}})
	}
	var key struct {
		ID     string `xml:"CreateAccessKeyResult>AccessKey>AccessKeyId"`
		Secret string `xml:"CreateAccessKeyResult>AccessKey>SecretAccessKey"`
	}
	if err := xml.Unmarshal(c.kmsTestIAM(t, url.Values{"Action": {"CreateAccessKey"}, "UserName": {name}}), &key); err != nil || key.ID == "" || key.Secret == "" {
		t.Fatalf("CreateAccessKey: %+v, %v", key, err)
	}
	return c.newS3(key.ID, key.Secret)
}

// TestIAMUserKMSKeyUse: as on AWS, an IAM user writing or reading an
// object under a customer managed KMS key needs kms:GenerateDataKey and
// kms:Decrypt on that key in an identity policy, besides the S3
// permission; the AWS managed key aws/s3 and SSE-S3 need none. A refused
// write stores nothing.
func TestIAMUserKMSKeyUse(t *testing.T) {
	ts := newTestServer(t, serverOptions{})
	c := ts.client(styles[0])
	kc := kms.New(kms.Options{Region: ts.region, BaseEndpoint: aws.String(ts.srv.KMSEndpoint()),
		Credentials: credentials.NewStaticCredentialsProvider(ts.access, ts.secret, "")})
	key, err := kc.CreateKey(ctx(t), &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := aws.ToString(key.KeyMetadata.Arn)
	bucket := c.mkBucket(t, "kmsuse")
	s3Only := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::%s/*"}]}`, bucket)
	withKey := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::%s/*"},`+
		`{"Effect":"Allow","Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":"%s"}]}`, bucket, keyARN)
	plain := c.kmsTestUser(t, "s3only", s3Only)
	keyed := c.kmsTestUser(t, "keyed", withKey)

	put := func(cl *s3.Client, k string, sse types.ServerSideEncryption, keyID string) error {
		in := &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(k), Body: strings.NewReader("secret data"), ServerSideEncryption: sse}
		if keyID != "" {
			in.SSEKMSKeyId = aws.String(keyID)
		}
		_, err := cl.PutObject(ctx(t), in)
		return err
	}
	get := func(cl *s3.Client, k string) error {
		out, err := cl.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &bucket, Key: aws.String(k)})
		if err == nil {
			_, err = io.Copy(io.Discard, out.Body)
			out.Body.Close()
		}
		return err
	}
	wantDenied := func(what string, err error) {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
			t.Errorf("%s: %v, want AccessDenied", what, err)
		}
	}

	// Without a kms: permission: SSE-S3 and the aws/s3 key work, the
	// customer key does not (named by id or ARN).
	for _, k := range []struct {
		name string
		sse  types.ServerSideEncryption
	}{{"sse-s3", types.ServerSideEncryptionAes256}, {"aws-s3-key", types.ServerSideEncryptionAwsKms}} {
		if err := put(plain, k.name, k.sse, ""); err != nil {
			t.Fatalf("%s PUT by a user without kms permissions: %v", k.name, err)
		}
		if err := get(plain, k.name); err != nil {
			t.Fatalf("%s GET by a user without kms permissions: %v", k.name, err)
		}
	}
	wantDenied("PUT under the customer key by id, no kms:GenerateDataKey", put(plain, "refused", types.ServerSideEncryptionAwsKms, aws.ToString(key.KeyMetadata.KeyId)))
	wantDenied("PUT under the customer key by ARN, no kms:GenerateDataKey", put(plain, "refused", types.ServerSideEncryptionAwsKms, keyARN))
	if _, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("refused")}); err == nil {
		t.Error("a PUT refused for the KMS key left an object behind")
	}

	// With the permissions: write and read; the other user cannot read it.
	if err := put(keyed, "keyed", types.ServerSideEncryptionAwsKms, aws.ToString(key.KeyMetadata.KeyId)); err != nil {
		t.Fatalf("PUT with kms:GenerateDataKey: %v", err)
	}
	if err := get(keyed, "keyed"); err != nil {
		t.Fatalf("GET with kms:Decrypt: %v", err)
	}
	wantDenied("GET of a customer-key object without kms:Decrypt", get(plain, "keyed"))
	// The root holds every permission of its account.
	if err := get(c.s3, "keyed"); err != nil {
		t.Fatalf("root GET: %v", err)
	}
}

// TestIAMSourceIPBehindProxy: the IAM API takes aws:SourceIp as S3 does,
// believing X-Forwarded-For only from --trusted-proxies.
func TestIAMSourceIPBehindProxy(t *testing.T) {
	ts := newTestServer(t, serverOptions{trustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	c := ts.client(styles[0])
	c.kmsTestIAM(t, url.Values{"Action": {"CreateUser"}, "UserName": {"office"}})
	c.kmsTestIAM(t, url.Values{"Action": {"PutUserPolicy"}, "UserName": {"office"}, "PolicyName": {"p"}, "PolicyDocument": {
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.1.2.0/24"}}}]}`}})
	var key struct {
		ID     string `xml:"CreateAccessKeyResult>AccessKey>AccessKeyId"`
		Secret string `xml:"CreateAccessKeyResult>AccessKey>SecretAccessKey"`
	}
	if err := xml.Unmarshal(c.kmsTestIAM(t, url.Values{"Action": {"CreateAccessKey"}, "UserName": {"office"}}), &key); err != nil {
		t.Fatal(err)
	}
	listUsers := func(forwardedFor string) int {
		t.Helper()
		body := []byte("Action=ListUsers&Version=2010-05-08")
		req, err := http.NewRequest("POST", c.endpoint+"/", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if forwardedFor != "" {
			req.Header.Set("X-Forwarded-For", forwardedFor)
		}
		creds := aws.Credentials{AccessKeyID: key.ID, SecretAccessKey: key.Secret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hexSHA256(body), "iam", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		// A plain client: the harness's checker expects S3's error XML,
		// and IAM answers in its own.
		resp, err := (&http.Client{}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := listUsers("10.1.2.3"); code != http.StatusOK {
		t.Errorf("ListUsers from 10.1.2.3 through a trusted proxy: HTTP %d, want 200", code)
	}
	if code := listUsers(""); code != http.StatusForbidden {
		t.Errorf("ListUsers from the proxy itself: HTTP %d, want 403", code)
	}
}
