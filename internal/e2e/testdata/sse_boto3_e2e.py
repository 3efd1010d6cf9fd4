#!/usr/bin/env python3
"""boto3 server-side encryption checks, run by internal/e2e/sse_boto3_test.go.

Usage: sse_boto3_e2e.py --endpoint URL --workdir DIR --kms-key-id ID --kms-key-arn ARN CHECK...
The server must accept SSE-C over its endpoint (HTTPS, or HTTP with
--allow-ssec-over-http). --kms-key-id names the KMS key as the requests do
(an alias); --kms-key-arn is what S3 must report for it. Each check creates
its own bucket, asserts its results, prints "ok CHECK" and exits non-zero on
the first failure.
"""

import base64
import filecmp
import hashlib
import os
import sys

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from boto3_e2e import MiB, check, main

SIZE = 20 * MiB
# 5 MiB parts: four of them, uploaded by two threads.
MULTIPART = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=2, use_threads=True)


def random_file(workdir, name, size):
    path = os.path.join(workdir, name)
    with open(path, "wb") as f:
        for _ in range(size // MiB):
            f.write(os.urandom(MiB))
        f.write(os.urandom(size % MiB))
    return path


def key_md5(key):
    return base64.b64encode(hashlib.md5(key).digest()).decode()


def ssec_args(key):
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}


def expect_error(status, code, fn, **kw):
    """Calls fn(**kw), which must fail with HTTP status (and code, unless None)."""
    try:
        fn(**kw)
    except ClientError as e:
        got_status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        got_code = e.response["Error"].get("Code")
        check(got_status == status and (code is None or got_code == code),
              f"{fn.__name__}: HTTP {got_status} {got_code}, want {status} {code or ''}")
        return
    raise AssertionError(f"{fn.__name__} succeeded, want HTTP {status} {code or ''}")


def sse_fields(resp):
    return {k: resp.get(k) for k in ("ServerSideEncryption", "SSEKMSKeyId", "BucketKeyEnabled", "SSECustomerAlgorithm", "SSECustomerKeyMD5")}


def want_fields(what, resp, **want):
    got = sse_fields(resp)
    full = {k: None for k in got} | want
    check(got == full, f"{what}: {got}, want {full}")


def ssec_multipart(s3, workdir, **_):
    """SSE-C upload_file/download_file in 5 MiB parts; without the key, or with another, no read."""
    bucket = "boto3-sse-c"
    s3.create_bucket(Bucket=bucket)
    key, wrong = os.urandom(32), os.urandom(32)
    src = random_file(workdir, "ssec.bin", SIZE)
    s3.upload_file(src, bucket, "obj", ExtraArgs=ssec_args(key), Config=MULTIPART)

    head = s3.head_object(Bucket=bucket, Key="obj", **ssec_args(key))
    want_fields("head_object", head, SSECustomerAlgorithm="AES256", SSECustomerKeyMD5=key_md5(key))
    check(head["ContentLength"] == SIZE, f"ContentLength {head['ContentLength']}, want {SIZE}")
    check(head["ETag"].strip('"').endswith("-4"), f"ETag {head['ETag']}, want a 4-part multipart ETag")

    dst = os.path.join(workdir, "ssec.down")
    s3.download_file(bucket, "obj", dst, ExtraArgs=ssec_args(key), Config=MULTIPART)
    check(filecmp.cmp(src, dst, shallow=False), "downloaded file differs from the uploaded one")

    # A range across the first part boundary.
    got = s3.get_object(Bucket=bucket, Key="obj", Range=f"bytes={5 * MiB - 10}-{5 * MiB + 9}", **ssec_args(key))
    with open(src, "rb") as f:
        f.seek(5 * MiB - 10)
        want = f.read(20)
    check(got["Body"].read() == want, "get_object of a range across parts returned other bytes")
    want_fields("ranged get_object", got, SSECustomerAlgorithm="AES256", SSECustomerKeyMD5=key_md5(key))

    expect_error(400, "InvalidRequest", s3.get_object, Bucket=bucket, Key="obj")
    expect_error(403, "AccessDenied", s3.get_object, Bucket=bucket, Key="obj", **ssec_args(wrong))
    expect_error(400, None, s3.head_object, Bucket=bucket, Key="obj")
    expect_error(403, None, s3.head_object, Bucket=bucket, Key="obj", **ssec_args(wrong))

    # Every part of an SSE-C upload must carry the upload's key.
    up = s3.create_multipart_upload(Bucket=bucket, Key="parts", **ssec_args(key))
    want_fields("create_multipart_upload", up, SSECustomerAlgorithm="AES256", SSECustomerKeyMD5=key_md5(key))
    try:
        expect_error(400, "InvalidRequest", s3.upload_part, Bucket=bucket, Key="parts", UploadId=up["UploadId"], PartNumber=1, Body=b"x")
        expect_error(403, "AccessDenied", s3.upload_part, Bucket=bucket, Key="parts", UploadId=up["UploadId"], PartNumber=1, Body=b"x", **ssec_args(wrong))
    finally:
        s3.abort_multipart_upload(Bucket=bucket, Key="parts", UploadId=up["UploadId"])


def kms_multipart(s3, workdir, kms_key_id, kms_key_arn):
    """SSE-KMS upload_file/download_file in 5 MiB parts under a customer key."""
    bucket = "boto3-sse-kms"
    s3.create_bucket(Bucket=bucket)
    src = random_file(workdir, "kms.bin", SIZE)
    extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}
    s3.upload_file(src, bucket, "obj", ExtraArgs=extra, Config=MULTIPART)

    head = s3.head_object(Bucket=bucket, Key="obj")
    want_fields("head_object", head, ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key_arn)
    check(head["ContentLength"] == SIZE, f"ContentLength {head['ContentLength']}, want {SIZE}")
    check(head["ETag"].strip('"').endswith("-4"), f"ETag {head['ETag']}, want a 4-part multipart ETag")

    dst = os.path.join(workdir, "kms.down")
    s3.download_file(bucket, "obj", dst, Config=MULTIPART)
    check(filecmp.cmp(src, dst, shallow=False), "downloaded file differs from the uploaded one")

    got = s3.get_object(Bucket=bucket, Key="obj", Range=f"bytes={10 * MiB - 3}-{10 * MiB + 2}")
    with open(src, "rb") as f:
        f.seek(10 * MiB - 3)
        want = f.read(6)
    check(got["Body"].read() == want, "get_object of a range across parts returned other bytes")
    want_fields("ranged get_object", got, ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key_arn)

    # SSE-C headers on a read of an object not stored with SSE-C: 400.
    expect_error(400, "InvalidRequest", s3.get_object, Bucket=bucket, Key="obj", **ssec_args(os.urandom(32)))


def copy_ssec_to_kms(s3, workdir, kms_key_id, kms_key_arn):
    """copy_object from an SSE-C source to an SSE-KMS destination, then read back."""
    bucket = "boto3-sse-copy"
    s3.create_bucket(Bucket=bucket)
    key = os.urandom(32)
    body = os.urandom(MiB + 12345)
    s3.put_object(Bucket=bucket, Key="src", Body=body, **ssec_args(key))
    source = {"Bucket": bucket, "Key": "src"}

    # The source cannot be read without its key.
    expect_error(400, "InvalidRequest", s3.copy_object, Bucket=bucket, Key="dst", CopySource=source,
                 ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key_id)

    out = s3.copy_object(Bucket=bucket, Key="dst", CopySource=source,
                         CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=key,
                         ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key_id)
    want_fields("copy_object", out, ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key_arn)

    head = s3.head_object(Bucket=bucket, Key="dst")
    want_fields("head_object of the copy", head, ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key_arn)
    got = s3.get_object(Bucket=bucket, Key="dst")
    check(got["Body"].read() == body, "the SSE-KMS copy reads back other bytes than the SSE-C source")

    # And back: the SSE-KMS copy to SSE-C under another key.
    key2 = os.urandom(32)
    out = s3.copy_object(Bucket=bucket, Key="back", CopySource={"Bucket": bucket, "Key": "dst"}, **ssec_args(key2))
    want_fields("copy_object to SSE-C", out, SSECustomerAlgorithm="AES256", SSECustomerKeyMD5=key_md5(key2))
    got = s3.get_object(Bucket=bucket, Key="back", **ssec_args(key2))
    check(got["Body"].read() == body, "the SSE-C copy of the copy reads back other bytes")
    expect_error(403, "AccessDenied", s3.get_object, Bucket=bucket, Key="back", **ssec_args(key))


CHECKS = {"ssec_multipart": ssec_multipart, "kms_multipart": kms_multipart, "copy_ssec_to_kms": copy_ssec_to_kms}


if __name__ == "__main__":
    sys.exit(main(CHECKS, options=("kms_key_id", "kms_key_arn")))
