#!/usr/bin/env bash
# Encryption at rest against no encryption, in one run on one machine
# (docs/benchmarks.md, issue 4): 64 MiB PUT/GET with SSE-KMS, 4 KiB PUT
# with SSE-KMS and an S3 Bucket Key, and the SSE-S3 default, each against
# the same workload on the same code built with -tags
# coffer_plaintext_bench, which stores objects unencrypted (a build for
# this baseline only). The encrypting server runs its embedded KMS, so the
# KMS's CPU is on the bill. Rounds alternate the two servers, so drifting
# machine load hits both.
#
#   bench/sse.sh
#   BENCH_DURATION=20s BENCH_ROUNDS=3 bench/sse.sh
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${BENCH_DURATION:-10s}"
rounds="${BENCH_ROUNDS:-2}"
base="$(mktemp -d "${BENCH_DIR:-/var/tmp}/coffer-sse-bench.XXXXXX")"
pid=""
stop_server() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait "$pid" || true
	fi
	pid=""
}
cleanup() {
	stop_server
	rm -rf "$base"
}
trap cleanup EXIT

echo "== machine"
date -u +"date: %Y-%m-%d %H:%M UTC"
echo "cpus: $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD)"

go build -o "$base/coffer" ./cmd/coffer
go build -tags coffer_plaintext_bench -o "$base/coffer-plaintext" ./cmd/coffer
go build -o "$base/bench" ./bench

export COFFER_ROOT_ACCESS_KEY=benchaccesskey COFFER_ROOT_SECRET_KEY=bench-secret-key-123456
addr="127.0.0.1:${BENCH_PORT:-9410}"

start_server() { # binary, data dir name, extra args…
	local bin="$1" data="$2"
	shift 2
	rm -rf "${base:?}/$data" "${base:?}/$data-kms"
	"$bin" server --data "$base/$data" --listen "$addr" "$@" >"$base/$data.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 200); do
		curl -fsS "http://$addr/health/ready" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "server did not become ready:"
	tail -n 30 "$base/$data.log"
	exit 1
}

bench() { "$base/bench" -endpoint "http://$addr" -access "$COFFER_ROOT_ACCESS_KEY" -secret "$COFFER_ROOT_SECRET_KEY" -duration "$duration" "$@"; echo; }

for round in $(seq 1 "$rounds"); do
	echo "== round $round: no encryption (-tags coffer_plaintext_bench)"
	start_server "$base/coffer-plaintext" plain
	bench -concurrency 4 -sizes 64MiB
	bench -concurrency 32 -sizes 4KiB
	stop_server

	echo "== round $round: SSE-KMS (alias/aws/s3), and 4 KiB with an S3 Bucket Key"
	start_server "$base/coffer" enc
	bench -concurrency 4 -sizes 64MiB -sse aws:kms
	bench -concurrency 32 -sizes 4KiB -sse aws:kms -bucket-key
	echo "-- SSE-S3 (the default: no header sent)"
	bench -concurrency 4 -sizes 64MiB
	bench -concurrency 32 -sizes 4KiB
	stop_server
done
