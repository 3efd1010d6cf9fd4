#!/usr/bin/env python3
"""boto3 checks against a coffer server, run by internal/e2e/boto3_test.go.

Usage: boto3_e2e.py --endpoint URL --workdir DIR CHECK...
Credentials and region come from the environment (AWS_ACCESS_KEY_ID, ...).
Each check creates its own bucket, asserts its results, prints "ok CHECK"
and exits non-zero on the first failure.
"""

import argparse
import concurrent.futures
import filecmp
import os
import sys

import boto3
import botocore
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

MiB = 1024 * 1024


def client(endpoint):
    cfg = Config(
        s3={"addressing_style": "path"},
        # No retries: a server error must fail the check, not be papered over.
        retries={"total_max_attempts": 1, "mode": "standard"},
        max_pool_connections=32,
        read_timeout=20,  # a stalled response fails in 20 s, not 60
    )
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", config=cfg)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def put_many(s3, bucket, keys, body=b"x"):
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        for f in [pool.submit(s3.put_object, Bucket=bucket, Key=k, Body=body) for k in keys]:
            f.result()


def multipart(s3, workdir):
    """upload_file/download_file of a 40 MiB file with threaded multipart."""
    bucket = "boto3-multipart"
    s3.create_bucket(Bucket=bucket)
    src = os.path.join(workdir, "big.bin")
    with open(src, "wb") as f:
        for _ in range(40):
            f.write(os.urandom(MiB))
    cfg = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB, max_concurrency=4, use_threads=True)
    s3.upload_file(src, bucket, "big/object.bin", Config=cfg)

    head = s3.head_object(Bucket=bucket, Key="big/object.bin")
    check(head["ContentLength"] == 40 * MiB, f"ContentLength {head['ContentLength']}, want {40 * MiB}")
    check(head["ETag"].strip('"').endswith("-5"), f"ETag {head['ETag']}, want a 5-part multipart ETag")

    dst = os.path.join(workdir, "big.down")
    s3.download_file(bucket, "big/object.bin", dst, Config=cfg)
    check(filecmp.cmp(src, dst, shallow=False), "downloaded file differs from the uploaded one")


def paginate(s3, workdir):
    """list_objects_v2 paginators with and without Delimiter over 2,500 keys."""
    bucket = "boto3-paginate"
    s3.create_bucket(Bucket=bucket)
    prefixes = [f"p{i:02d}/" for i in range(25)]
    keys = [f"{p}k{j:03d}" for p in prefixes for j in range(100)]
    put_many(s3, bucket, keys)
    paginator = s3.get_paginator("list_objects_v2")

    def collect(**kw):
        pages, contents, common = 0, [], []
        for page in paginator.paginate(Bucket=bucket, **kw):
            pages += 1
            contents += [o["Key"] for o in page.get("Contents", [])]
            common += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
            n = len(page.get("Contents", [])) + len(page.get("CommonPrefixes", []))
            check(page["KeyCount"] == n, f"page {pages}: KeyCount {page['KeyCount']}, but {n} entries")
        return pages, contents, common

    pages, contents, common = collect(Delimiter="/", PaginationConfig={"PageSize": 10})
    check(contents == [], f"Delimiter='/' at the root returned keys: {contents[:5]}")
    check(common == prefixes, f"CommonPrefixes {common}, want {prefixes}")
    check(pages == 3, f"25 prefixes at 10 a page took {pages} pages, want 3")

    pages, contents, common = collect(Prefix="p07/", Delimiter="/", PaginationConfig={"PageSize": 30})
    want = [k for k in keys if k.startswith("p07/")]
    check(common == [], f"Prefix='p07/' Delimiter='/' returned CommonPrefixes {common}")
    check(contents == want, f"Prefix='p07/': {len(contents)} keys {contents[:3]}…, want {len(want)} {want[:3]}…")
    check(pages == 4, f"100 keys at 30 a page took {pages} pages, want 4")

    # A multi-character delimiter: "/k05" rolls 10 keys of each prefix into
    # one CommonPrefix; the other 2,250 keys span pages around them.
    pages, contents, common = collect(Delimiter="/k05")
    want_common = sorted({k[: k.index("/k05") + 4] for k in keys if "/k05" in k})
    want_keys = [k for k in keys if "/k05" not in k]
    check(common == want_common, f"Delimiter='/k05': CommonPrefixes {common[:3]}… ({len(common)}), want {want_common[:3]}… (25)")
    check(contents == want_keys, f"Delimiter='/k05': {len(contents)} keys, want {len(want_keys)} in order")

    pages, contents, common = collect()
    check(contents == sorted(keys), f"full listing: {len(contents)} keys, want {len(keys)} in order")
    check(pages == 3, f"2,500 keys at the default 1,000 a page took {pages} pages, want 3")


def delete(s3, workdir):
    """delete_objects of 1,000 keys, verbose and quiet, then an empty listing."""
    bucket = "boto3-delete"
    s3.create_bucket(Bucket=bucket)
    for quiet in (False, True):
        keys = [f"del/{'quiet' if quiet else 'verbose'}/{i:04d}" for i in range(1000)]
        put_many(s3, bucket, keys)
        resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": quiet})
        check(resp.get("Errors", []) == [], f"delete_objects errors: {resp.get('Errors', [])[:5]}")
        deleted = sorted(d["Key"] for d in resp.get("Deleted", []))
        check(deleted == ([] if quiet else keys), f"quiet={quiet}: {len(deleted)} keys reported deleted")
        listed = s3.list_objects_v2(Bucket=bucket)
        check(listed["KeyCount"] == 0 and "Contents" not in listed, f"after delete_objects, {listed['KeyCount']} keys listed")
    s3.delete_bucket(Bucket=bucket)


def empty(s3, workdir):
    """upload_file of empty files between non-empty ones on one connection.

    boto3 sends every file upload with "Expect: 100-continue", empty ones
    included; the next request on the same keep-alive connection must still
    get its own response.
    """
    bucket = "boto3-empty"
    s3.create_bucket(Bucket=bucket)
    empty_path = os.path.join(workdir, "empty")
    small_path = os.path.join(workdir, "small")
    open(empty_path, "wb").close()
    with open(small_path, "wb") as f:
        f.write(b"not empty")
    cfg = TransferConfig(use_threads=False)
    for i in range(3):
        s3.upload_file(empty_path, bucket, f"empty-{i}", Config=cfg)
        s3.upload_file(small_path, bucket, f"small-{i}", Config=cfg)
    for i in range(3):
        e = s3.get_object(Bucket=bucket, Key=f"empty-{i}")["Body"].read()
        check(e == b"", f"empty-{i}: {len(e)} bytes, want 0")
        b = s3.get_object(Bucket=bucket, Key=f"small-{i}")["Body"].read()
        check(b == b"not empty", f"small-{i}: {b!r}")


CHECKS = {"multipart": multipart, "paginate": paginate, "delete": delete, "empty": empty}


def main(checks, options=()):
    """Runs the checks (name -> function) named on the command line.

    Each is called as check(s3, workdir, **opts), where opts holds the
    values of the further required flags named in options ("kms_key_id"
    is --kms-key-id). Returns the exit status.
    """
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--workdir", required=True)
    for opt in options:
        ap.add_argument("--" + opt.replace("_", "-"), required=True)
    ap.add_argument("checks", nargs="+", choices=sorted(checks))
    args = ap.parse_args()
    opts = {opt: getattr(args, opt) for opt in options}
    print(f"boto3 {boto3.__version__}, botocore {botocore.__version__}", flush=True)
    s3 = client(args.endpoint)
    for name in args.checks:
        try:
            checks[name](s3, args.workdir, **opts)
        except Exception as e:  # report which check failed and why
            print(f"FAIL {name}: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
        print(f"ok {name}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(CHECKS))
