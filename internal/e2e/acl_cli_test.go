package e2e

import (
	"path/filepath"
	"testing"
)

// aclPolicy is an ACL as `aws s3api get-object-acl` prints it.
type aclPolicy struct {
	Owner  struct{ ID string }
	Grants []struct {
		Grantee    struct{ Type, ID, URI string }
		Permission string
	}
}

// aclAllUsers is the group of every caller, signed or not.
const aclAllUsers = "http://acs.amazonaws.com/groups/global/AllUsers"

// aclOfObject runs `aws s3api get-object-acl`.
func aclOfObject(t *testing.T, cli runner, bucket, key string) aclPolicy {
	t.Helper()
	var acl aclPolicy
	decodeJSON(t, cli.Run(t, "s3api", "get-object-acl", "--bucket", bucket, "--key", key), &acl)
	return acl
}

// grants reports whether the ACL grants permission to the grantee whose
// canonical ID or group URI is who.
func (a aclPolicy) grants(who, permission string) bool {
	for _, g := range a.Grants {
		if (g.Grantee.ID == who || g.Grantee.URI == who) && g.Permission == permission {
			return true
		}
	}
	return false
}

// aclPublicAccessBlock is the flag of `aws s3api put-public-access-block`
// setting its four settings.
func aclPublicAccessBlock(blockPublicAcls, ignorePublicAcls bool) string {
	on := map[bool]string{true: "true", false: "false"}
	return "BlockPublicAcls=" + on[blockPublicAcls] + ",IgnorePublicAcls=" + on[ignorePublicAcls] +
		",BlockPublicPolicy=true,RestrictPublicBuckets=true"
}

// TestACLAWSCLI drives ACLs, Object Ownership and Block Public Access
// with the AWS CLI and an anonymous curl on one server. Each subtest is a
// scenario of its own bucket:
//
//   - cross-account upload: another account may upload into a bucket
//     whose policy demands the bucket-owner-full-control canned ACL only
//     with it; the bucket's owner then owns and reads the object, and the
//     uploader can neither list the bucket nor read the object back.
//   - public-read object: `--acl public-read` is refused while Object
//     Ownership is BucketOwnerEnforced (AccessControlListNotSupported) and
//     then while Block Public Access blocks public ACLs (AccessDenied);
//     once accepted, the grant lets anonymous callers read the object only
//     while IgnorePublicAcls is off, and turning it back on makes the
//     object private without changing its ACL.
func TestACLAWSCLI(t *testing.T) {
	skipIfShort(t)
	srv := startServer(t)
	need(t, "aws")
	need(t, "curl")
	owner := listAccounts(t, srv)["default"]

	t.Run("cross-account upload needs bucket-owner-full-control", func(t *testing.T) {
		t.Parallel()
		root := awsCLI(t, srv)
		partner := createAccount(t, srv, "acl-uploader")
		uploader := signedAs(root, partner.iamKey)
		root.Run(t, "s3", "mb", "s3://acl-dropbox")
		root.Run(t, "s3api", "put-bucket-policy", "--bucket", "acl-dropbox", "--policy", iamPolicy(
			`{"Sid":"PartnerUploadsGivingUsFullControl","Effect":"Allow",`+
				`"Principal":{"AWS":"arn:aws:iam::`+partner.AccountId+`:root"},`+
				`"Action":"s3:PutObject","Resource":"arn:aws:s3:::acl-dropbox/*",`+
				`"Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}`))
		local := filepath.Join(t.TempDir(), "delivery.csv")
		writeRandomFile(t, local, 42, 16<<10)

		wantDenied(t, uploader, "s3", "cp", "--no-progress", local, "s3://acl-dropbox/delivery.csv")
		wantDenied(t, uploader, "s3", "cp", "--no-progress", "--acl", "bucket-owner-read", local, "s3://acl-dropbox/delivery.csv")
		uploader.Run(t, "s3", "cp", "--no-progress", "--acl", "bucket-owner-full-control", local, "s3://acl-dropbox/delivery.csv")

		down := filepath.Join(t.TempDir(), "delivery.down")
		root.Run(t, "s3api", "get-object", "--bucket", "acl-dropbox", "--key", "delivery.csv", down)
		assertSameFile(t, local, down)
		if acl := aclOfObject(t, root, "acl-dropbox", "delivery.csv"); acl.Owner.ID != owner.CanonicalUserId || !acl.grants(owner.CanonicalUserId, "FULL_CONTROL") {
			t.Errorf("get-object-acl of the partner's upload: %+v, want the bucket owner %s as its owner with FULL_CONTROL", acl, owner.CanonicalUserId)
		}
		wantDenied(t, uploader, "s3", "ls", "s3://acl-dropbox")
		wantDenied(t, uploader, "s3api", "get-object", "--bucket", "acl-dropbox", "--key", "delivery.csv", filepath.Join(t.TempDir(), "x"))
	})

	t.Run("public-read object", func(t *testing.T) {
		t.Parallel()
		root := awsCLI(t, srv)
		anon := anonymous(t)
		root.Run(t, "s3", "mb", "s3://acl-public")
		local := filepath.Join(t.TempDir(), "page.html")
		writeRandomFile(t, local, 43, 8<<10)
		putPublic := []string{"s3api", "put-object", "--bucket", "acl-public", "--key", "page.html", "--body", local, "--acl", "public-read"}
		obj := srv.Endpoint + "/acl-public/page.html"

		wantCLIError(t, root, "AccessControlListNotSupported", putPublic...)
		root.Run(t, "s3api", "put-bucket-ownership-controls", "--bucket", "acl-public", "--ownership-controls", "Rules=[{ObjectOwnership=ObjectWriter}]")
		wantDenied(t, root, putPublic...)
		root.Run(t, "s3api", "put-public-access-block", "--bucket", "acl-public", "--public-access-block-configuration", aclPublicAccessBlock(false, true))
		root.Run(t, putPublic...)
		if code := curlStatus(t, anon, obj); code != "403" {
			t.Errorf("anonymous GET of a public-read object under IgnorePublicAcls: HTTP %s, want 403", code)
		}

		root.Run(t, "s3api", "put-public-access-block", "--bucket", "acl-public", "--public-access-block-configuration", aclPublicAccessBlock(false, false))
		if code := curlStatus(t, anon, obj); code != "200" {
			t.Fatalf("anonymous GET of a public-read object without Block Public Access: HTTP %s, want 200", code)
		}
		assertSameFile(t, local, filepath.Join(anon.dir, "body"))
		acl := aclOfObject(t, root, "acl-public", "page.html")
		if acl.Owner.ID != owner.CanonicalUserId || !acl.grants(owner.CanonicalUserId, "FULL_CONTROL") || !acl.grants(aclAllUsers, "READ") || len(acl.Grants) != 2 {
			t.Errorf("get-object-acl of a public-read object: %+v, want the owner's FULL_CONTROL and AllUsers READ", acl)
		}
		if code := curlStatus(t, anon, "--upload-file", local, srv.Endpoint+"/acl-public/defaced.html"); code != "403" {
			t.Errorf("anonymous PUT beside a public-read object: HTTP %s, want 403", code)
		}

		root.Run(t, "s3api", "put-public-access-block", "--bucket", "acl-public", "--public-access-block-configuration", aclPublicAccessBlock(false, true))
		if code := curlStatus(t, anon, obj); code != "403" {
			t.Errorf("anonymous GET of a public-read object after IgnorePublicAcls is back on: HTTP %s, want 403", code)
		}
		if acl := aclOfObject(t, root, "acl-public", "page.html"); !acl.grants(aclAllUsers, "READ") {
			t.Errorf("get-object-acl after IgnorePublicAcls is back on: %+v, want the AllUsers READ grant kept", acl)
		}
	})
}

// TestACLBoto3 runs aclBoto3Script with the system python3's boto3 as
// the account's root user; each check is a subtest:
//
//   - ownership_controls: Object Ownership reads back as put
//     (BucketOwnerEnforced on a new bucket, or as CreateBucket's
//     ObjectOwnership set it), and once deleted is
//     OwnershipControlsNotFoundError.
//   - public_access_block: a new bucket's Block Public Access has all four
//     settings on, reads back as put, and once deleted is
//     NoSuchPublicAccessBlockConfiguration.
func TestACLBoto3(t *testing.T) {
	skipIfShort(t)
	python := need(t, "python3-boto3")
	srv := startServer(t)

	script := filepath.Join(t.TempDir(), "acl_boto3_e2e.py")
	writeFile(t, script, []byte(aclBoto3Script))
	home := t.TempDir()
	runParallelChecks(t, runner{path: python, env: awsEnv(t, home), dir: home}, script, srv, "ownership_controls", "public_access_block")
}

// aclBoto3Script is run by TestACLBoto3.
const aclBoto3Script = `#!/usr/bin/env python3
"""Object Ownership and Block Public Access checks against a coffer server,
run by internal/e2e/acl_cli_test.go.

Usage: acl_boto3_e2e.py --endpoint URL CHECK
The root user's credentials come from the environment. The check asserts
its results, prints "ok CHECK" and exits non-zero on the first failure.
"""

import argparse
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

CONFIG = Config(
    s3={"addressing_style": "path"},
    # No retries: a server error must fail the check, not be papered over.
    retries={"total_max_attempts": 1, "mode": "standard"},
    read_timeout=20,
)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def fails(what, code, call, **kwargs):
    """call(**kwargs) must fail with the S3 error code."""
    try:
        call(**kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        check(got == code, f"{what}: {got}, want {code}")
        return
    raise AssertionError(f"{what} succeeded, want {code}")


def ownership(s3, bucket):
    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    check(len(rules) == 1, f"get_bucket_ownership_controls({bucket}): rules {rules}, want one")
    return rules[0]["ObjectOwnership"]


def ownership_controls(s3):
    bucket = "boto3-acl-ownership"
    s3.create_bucket(Bucket=bucket)
    check(ownership(s3, bucket) == "BucketOwnerEnforced", f"a new bucket's Object Ownership: {ownership(s3, bucket)}")
    for setting in ("ObjectWriter", "BucketOwnerPreferred", "BucketOwnerEnforced"):
        s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": setting}]})
        got = ownership(s3, bucket)
        check(got == setting, f"Object Ownership put as {setting} reads back as {got}")
    s3.delete_bucket_ownership_controls(Bucket=bucket)
    fails("get_bucket_ownership_controls after the delete", "OwnershipControlsNotFoundError",
          s3.get_bucket_ownership_controls, Bucket=bucket)

    writer = "boto3-acl-writer"
    s3.create_bucket(Bucket=writer, ObjectOwnership="ObjectWriter")
    check(ownership(s3, writer) == "ObjectWriter", f"create_bucket with ObjectWriter: {ownership(s3, writer)}")


SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def public_access_block(s3):
    bucket = "boto3-acl-pab"
    s3.create_bucket(Bucket=bucket)
    got = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    check(got == {k: True for k in SETTINGS}, f"a new bucket's Block Public Access: {got}, want all four on")
    put = {"BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": True}
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=put)
    got = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    check(got == put, f"Block Public Access put as {put} reads back as {got}")
    s3.delete_public_access_block(Bucket=bucket)
    fails("get_public_access_block after the delete", "NoSuchPublicAccessBlockConfiguration",
          s3.get_public_access_block, Bucket=bucket)


CHECKS = {"ownership_controls": ownership_controls, "public_access_block": public_access_block}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("check", choices=sorted(CHECKS))
    args = ap.parse_args()
    s3 = boto3.client("s3", endpoint_url=args.endpoint, region_name="us-east-1", config=CONFIG)
    CHECKS[args.check](s3)
    print("ok " + args.check)


if __name__ == "__main__":
    sys.exit(main())
`
