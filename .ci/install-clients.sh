#!/usr/bin/env bash
# Installs the real S3 clients the end-to-end tests drive (AWS CLI, boto3,
# rclone, s3cmd, curl), SoftHSM2 for the PKCS#11 root-key tests and a C
# compiler for their cgo build, from Debian packages when they are missing. As a
# non-root user it only reports what is missing: those tests then skip
# (or fail, with COFFER_E2E_REQUIRE_CLIENTS=1).
set -euo pipefail

works() { "$@" >/dev/null 2>&1; }

# The Debian builds are the ones CI tests against (a machine may also have
# other builds earlier in PATH, such as a pyenv shim; the tests prefer
# /usr/bin).
have_aws()    { works /usr/bin/aws --version; }
have_boto3()  { works /usr/bin/python3 -c 'import boto3'; }
have_rclone() { works rclone version; }
have_s3cmd()  { works s3cmd --version; }
have_curl()   { works curl --version; }
have_softhsm() { command -v softhsm2-util >/dev/null 2>&1; }
have_cc()     { works cc --version; }

missing=()
have_aws    || missing+=(awscli)
have_boto3  || missing+=(python3-boto3)
have_rclone || missing+=(rclone)
have_s3cmd  || missing+=(s3cmd)
have_curl   || missing+=(curl)
have_softhsm || missing+=(softhsm2)
have_cc     || missing+=(gcc libc6-dev)

if [ ${#missing[@]} -eq 0 ]; then
	echo "clients: aws, boto3, rclone, s3cmd, curl, softhsm2 and a C compiler are installed"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "clients: missing ${missing[*]}; not root, so the tests that need them will be skipped" >&2
	exit 0
fi

echo "clients: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; }; then
	echo "clients: apt-get failed; the tests that need ${missing[*]} will skip (or fail in CI)" >&2
fi
