package inproc

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TestMFADelete: on a bucket whose versioning has MfaDelete enabled,
// deleting a version and changing versioning take the root user's MFA
// code in x-amz-mfa ("SERIAL CODE"); setting MfaDelete takes it too; a
// delete without a version ID (a delete marker) does not; a code is
// accepted once.
func TestMFADelete(t *testing.T) {
	ts := newTestServer(t, serverOptions{})
	c := ts.client(styles[0])

	// The root user's virtual MFA device.
	var dev struct {
		Serial string `xml:"CreateVirtualMFADeviceResult>VirtualMFADevice>SerialNumber"`
		Seed   string `xml:"CreateVirtualMFADeviceResult>VirtualMFADevice>Base32StringSeed"`
	}
	if err := xml.Unmarshal(c.kmsTestIAM(t, url.Values{"Action": {"CreateVirtualMFADevice"}, "VirtualMFADeviceName": {"root-mfa"}}), &dev); err != nil {
		t.Fatal(err)
	}
	seed, err := base64.StdEncoding.DecodeString(dev.Seed)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	code := func(steps int) string {
		t.Helper()
		s, err := totp.GenerateCodeCustom(string(seed), now.Add(time.Duration(steps)*30*time.Second),
			totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	c.kmsTestIAM(t, url.Values{"Action": {"EnableMFADevice"}, "SerialNumber": {dev.Serial},
		"AuthenticationCode1": {code(-2)}, "AuthenticationCode2": {code(-1)}})

	bucket := c.mkBucket(t, "mfadel")
	versioning := func(mfa string) error {
		_, err := c.s3.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: &bucket, MFA: mfaOptional(mfa),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled, MFADelete: types.MFADeleteEnabled}})
		return err
	}
	wantDenied := func(what string, err error) {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
			t.Errorf("%s: %v, want AccessDenied", what, err)
		}
	}
	wantDenied("MfaDelete without x-amz-mfa", versioning(""))
	wantDenied("MfaDelete with a wrong code", versioning(dev.Serial+" 000000"))
	if err := versioning(dev.Serial + " " + code(0)); err != nil {
		t.Fatalf("MfaDelete with the root's code: %v", err)
	}
	got, err := c.s3.GetBucketVersioning(ctx(t), &s3.GetBucketVersioningInput{Bucket: &bucket})
	if err != nil || got.MFADelete != types.MFADeleteStatusEnabled || got.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("GetBucketVersioning = %+v, %v; want Enabled with MfaDelete Enabled", got, err)
	}

	put, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("k"), Body: strings.NewReader("v1")})
	if err != nil {
		t.Fatal(err)
	}
	deleteVersion := func(mfa string) error {
		_, err := c.s3.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("k"), VersionId: put.VersionId, MFA: mfaOptional(mfa)})
		return err
	}
	wantDenied("version delete without x-amz-mfa", deleteVersion(""))
	wantDenied("version delete with the code already used", deleteVersion(dev.Serial+" "+code(0)))
	if _, err := c.s3.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("k")}); err != nil {
		t.Fatalf("a delete marker needs no MFA: %v", err)
	}
	if err := deleteVersion(dev.Serial + " " + code(1)); err != nil {
		t.Fatalf("version delete with a fresh code: %v", err)
	}
	if _, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("k"), VersionId: put.VersionId}); err == nil {
		t.Error("the version is still there after its MFA delete")
	}
}

func mfaOptional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
