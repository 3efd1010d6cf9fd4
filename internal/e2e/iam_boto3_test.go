package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestIAMBoto3 runs iamBoto3Script with the system python3's boto3: the
// account's root sets IAM users and policies up with boto3's IAM client,
// then each user acts with its own keys through boto3's S3 client. Each
// check is a subtest:
//
//   - home_folders: one managed policy with ${aws:username} confines every
//     user to home/<name>/ of a shared bucket, listing (s3:prefix) included.
//   - cross_account: a user of another account (made with `coffer admin
//     account create`) needs both its identity policy and the bucket
//     policy of the bucket's account, even for an object anyone may read
//     unsigned.
func TestIAMBoto3(t *testing.T) {
	skipIfShort(t)
	python := need(t, "python3-boto3")
	srv := startServer(t)
	partner := createAccount(t, srv, "boto3-partner")

	script := filepath.Join(t.TempDir(), "iam_boto3_e2e.py")
	writeFile(t, script, []byte(iamBoto3Script))
	home := t.TempDir()
	env := append(awsEnv(t, home),
		"PARTNER_ACCOUNT_ID="+partner.AccountId,
		"PARTNER_ACCESS_KEY_ID="+partner.AccessKeyId,
		"PARTNER_SECRET_ACCESS_KEY="+partner.SecretAccessKey)
	runParallelChecks(t, runner{path: python, env: env, dir: home}, script, srv, "home_folders", "cross_account")
}

// runParallelChecks runs `script --endpoint URL CHECK` with py for each
// check, as parallel subtests; a check passes when it exits 0 having
// printed "ok CHECK".
func runParallelChecks(t *testing.T, py runner, script string, srv *server, checks ...string) {
	t.Helper()
	for _, check := range checks {
		t.Run(check, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, err := py.Try(t, script, "--endpoint", srv.Endpoint, check)
			if err != nil || !strings.Contains(stdout, "ok "+check) {
				t.Fatalf("boto3 check %s: %v\nstdout:\n%s\nstderr:\n%s", check, err, stdout, stderr)
			}
			t.Log(firstLine([]byte(stdout)))
		})
	}
}

// iamBoto3Script is run by TestIAMBoto3.
const iamBoto3Script = `#!/usr/bin/env python3
"""IAM checks against a coffer server, run by internal/e2e/iam_boto3_test.go.

Usage: iam_boto3_e2e.py --endpoint URL CHECK
The root user's credentials come from the environment (AWS_ACCESS_KEY_ID,
...), the other account's from PARTNER_ACCOUNT_ID, PARTNER_ACCESS_KEY_ID and
PARTNER_SECRET_ACCESS_KEY. The check asserts its results, prints "ok CHECK"
and exits non-zero on the first failure.
"""

import argparse
import json
import os
import sys

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

CONFIG = Config(
    s3={"addressing_style": "path"},
    # No retries: a server error must fail the check, not be papered over.
    retries={"total_max_attempts": 1, "mode": "standard"},
    read_timeout=20,
)


def client(service, endpoint, key=None):
    """A boto3 client signed with key (AccessKeyId, SecretAccessKey), or the environment's."""
    creds = {}
    if key is not None:
        creds = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", config=CONFIG, **creds)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def denied(what, call, **kwargs):
    """call(**kwargs) must fail with AccessDenied (403 for a HEAD)."""
    try:
        call(**kwargs)
    except ClientError as e:
        code = e.response["Error"]["Code"]
        check(code in ("AccessDenied", "403"), f"{what}: {code}, want AccessDenied")
        return
    raise AssertionError(f"{what} succeeded, want AccessDenied")


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def new_user(iam, endpoint, name):
    """Creates the IAM user name with an access key; returns its ARN and an S3 client acting as it."""
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    check(key["UserName"] == name and key["Status"] == "Active", f"create_access_key: {key}")
    return arn, client("s3", endpoint, key)


def read(s3, bucket, key):
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def keys(s3, bucket, prefix):
    out = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for o in out.get("Contents", []))


def home_folders(endpoint):
    """Every user of a managed policy is confined to home/${aws:username}/."""
    bucket = "boto3-iam-home"
    root_s3, iam = client("s3", endpoint), client("iam", endpoint)
    root_s3.create_bucket(Bucket=bucket)
    root_s3.put_object(Bucket=bucket, Key="shared/readme.txt", Body=b"for the admins")
    home = "home/${aws:username}/"
    arn = iam.create_policy(PolicyName="own-home", PolicyDocument=policy(
        {"Sid": "ListOwnHome", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": {"StringLike": {"s3:prefix": [home + "*", home]}}},
        {"Sid": "OwnHomeObjects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
         "Resource": f"arn:aws:s3:::{bucket}/{home}*"},
    ))["Policy"]["Arn"]
    users = {}
    for name in ("alice", "bob"):
        _, users[name] = new_user(iam, endpoint, name)
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    alice, bob = users["alice"], users["bob"]

    alice.put_object(Bucket=bucket, Key="home/alice/notes.txt", Body=b"alice's notes")
    alice.put_object(Bucket=bucket, Key="home/alice/sub/deep.txt", Body=b"deep")
    bob.put_object(Bucket=bucket, Key="home/bob/diary.txt", Body=b"bob's diary")
    check(read(alice, bucket, "home/alice/notes.txt") == b"alice's notes", "alice reads her notes")
    check(keys(alice, bucket, "home/alice/") == ["home/alice/notes.txt", "home/alice/sub/deep.txt"],
          f"alice lists home/alice/: {keys(alice, bucket, 'home/alice/')}")
    check(keys(alice, bucket, "home/alice/sub/") == ["home/alice/sub/deep.txt"], "alice lists home/alice/sub/")
    top = alice.list_objects_v2(Bucket=bucket, Prefix="home/alice/", Delimiter="/")
    check([p["Prefix"] for p in top.get("CommonPrefixes", [])] == ["home/alice/sub/"],
          f"alice lists home/alice/ with a delimiter: {top.get('CommonPrefixes')}")
    check(keys(bob, bucket, "home/bob/") == ["home/bob/diary.txt"], "bob lists home/bob/")

    denied("alice lists home/bob/", alice.list_objects_v2, Bucket=bucket, Prefix="home/bob/")
    denied("alice lists home/", alice.list_objects_v2, Bucket=bucket, Prefix="home/")
    denied("alice lists the whole bucket", alice.list_objects_v2, Bucket=bucket)
    denied("alice lists home/alice (no slash) and so home/alice2/", alice.list_objects_v2, Bucket=bucket, Prefix="home/alice")
    denied("alice reads home/bob/diary.txt", alice.get_object, Bucket=bucket, Key="home/bob/diary.txt")
    denied("alice heads home/bob/diary.txt", alice.head_object, Bucket=bucket, Key="home/bob/diary.txt")
    denied("alice writes home/bob/", alice.put_object, Bucket=bucket, Key="home/bob/planted.txt", Body=b"x")
    denied("alice deletes home/bob/diary.txt", alice.delete_object, Bucket=bucket, Key="home/bob/diary.txt")
    denied("alice writes home/alice2/", alice.put_object, Bucket=bucket, Key="home/alice2/x.txt", Body=b"x")
    denied("alice reads shared/", alice.get_object, Bucket=bucket, Key="shared/readme.txt")
    denied("bob reads home/alice/notes.txt", bob.get_object, Bucket=bucket, Key="home/alice/notes.txt")
    denied("bob lists home/alice/", bob.list_objects_v2, Bucket=bucket, Prefix="home/alice/")
    check(read(root_s3, bucket, "home/bob/diary.txt") == b"bob's diary", "bob's diary is intact")
    check(keys(root_s3, bucket, "home/bob/") == ["home/bob/diary.txt"], "nothing was planted in home/bob/")

    alice.delete_object(Bucket=bucket, Key="home/alice/sub/deep.txt")
    check(keys(alice, bucket, "home/alice/") == ["home/alice/notes.txt"], "alice deleted her own object")


def cross_account(endpoint):
    """A user of account B reads account A's bucket only with both policies."""
    bucket = "boto3-iam-cross"
    partner = os.environ["PARTNER_ACCOUNT_ID"]
    partner_key = {"AccessKeyId": os.environ["PARTNER_ACCESS_KEY_ID"],
                   "SecretAccessKey": os.environ["PARTNER_SECRET_ACCESS_KEY"]}
    a_s3 = client("s3", endpoint)
    a_s3.create_bucket(Bucket=bucket)
    a_s3.put_object(Bucket=bucket, Key="report.csv", Body=b"quarterly numbers")

    b_iam = client("iam", endpoint, partner_key)
    b_root = client("s3", endpoint, partner_key)
    reader_arn, reader = new_user(b_iam, endpoint, "reader")
    check(reader_arn == f"arn:aws:iam::{partner}:user/reader", f"reader's ARN {reader_arn}")
    b_iam.put_user_policy(UserName="reader", PolicyName="read-a", PolicyDocument=policy(
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::{bucket}/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"},
    ))
    bystander_arn, bystander = new_user(b_iam, endpoint, "bystander")

    # The identity side alone is not enough across accounts.
    denied("reader without A's bucket policy", reader.get_object, Bucket=bucket, Key="report.csv")
    denied("B's root without A's bucket policy", b_root.get_object, Bucket=bucket, Key="report.csv")

    # A grants account B (by its ID: the account's root and, through its
    # identity policies, its users).
    a_s3.put_bucket_policy(Bucket=bucket, Policy=policy(
        {"Sid": "AccountBReads", "Effect": "Allow", "Principal": {"AWS": partner},
         "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}))
    check(read(reader, bucket, "report.csv") == b"quarterly numbers", "reader reads with both policies")
    check(read(b_root, bucket, "report.csv") == b"quarterly numbers", "B's root reads with A's bucket policy")
    denied("bystander (no identity policy) under a grant to B's root", bystander.get_object, Bucket=bucket, Key="report.csv")
    # Neither side alone: reader's identity allows PutObject and ListBucket, A's policy does not.
    denied("reader writes, allowed by its identity policy only", reader.put_object, Bucket=bucket, Key="from-b.csv", Body=b"x")
    denied("reader lists, allowed by its identity policy only", reader.list_objects_v2, Bucket=bucket)

    # A grant naming the bystander itself does not replace B's own permission.
    a_s3.put_bucket_policy(Bucket=bucket, Policy=policy(
        {"Sid": "BystanderReads", "Effect": "Allow", "Principal": {"AWS": bystander_arn},
         "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}))
    denied("bystander named by A's bucket policy, without an identity policy", bystander.get_object, Bucket=bucket, Key="report.csv")
    denied("reader, no longer granted by A", reader.get_object, Bucket=bucket, Key="report.csv")

    # B's root grants its bystander, and the grant A made now works.
    b_iam.put_user_policy(UserName="bystander", PolicyName="read-a", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/report.csv"}))
    check(read(bystander, bucket, "report.csv") == b"quarterly numbers", "bystander reads with both policies")

    a_s3.delete_bucket_policy(Bucket=bucket)
    denied("bystander after A deleted its bucket policy", bystander.get_object, Bucket=bucket, Key="report.csv")

    # Even a public object needs the identity side of a signed request from
    # another account: B's user without a policy is denied what anyone reads
    # unsigned.
    a_s3.put_object(Bucket=bucket, Key="public/notice.txt", Body=b"open to all")
    # A public policy needs Block Public Access off (new buckets have it on).
    a_s3.delete_public_access_block(Bucket=bucket)
    a_s3.put_bucket_policy(Bucket=bucket, Policy=policy(
        {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
         "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/public/*"}))
    anonymous = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                             config=CONFIG.merge(Config(signature_version=UNSIGNED)))
    check(read(anonymous, bucket, "public/notice.txt") == b"open to all", "anonymous reads a public object")
    check(read(b_root, bucket, "public/notice.txt") == b"open to all", "B's root reads a public object")
    _, nobody = new_user(b_iam, endpoint, "nobody")
    denied("B's user without an identity policy reads a public object", nobody.get_object, Bucket=bucket, Key="public/notice.txt")


CHECKS = {"home_folders": home_folders, "cross_account": cross_account}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("check", choices=sorted(CHECKS))
    args = ap.parse_args()
    CHECKS[args.check](args.endpoint)
    print("ok " + args.check)


if __name__ == "__main__":
    sys.exit(main())
`
