#!/usr/bin/env bash
# Reproduces docs/benchmarks.md: the machine's limits (AES-256-GCM, MD5,
# SHA-256, durable disk writes) and coffer's PUT/GET figures, in one run.
#
#   bench/run.sh                       # or: make bench
#   BENCH_DIR=/mnt/disk BENCH_DURATION=30s bench/run.sh
#
# BENCH_DIR (default /var/tmp) must be on the disk under test: the server's
# data dir and the dd file go there.
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${BENCH_DURATION:-10s}"
base="$(mktemp -d "${BENCH_DIR:-/var/tmp}/coffer-bench.XXXXXX")"
pid=""
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait "$pid" || true
	fi
	rm -rf "$base"
}
trap cleanup EXIT

echo "== machine"
date -u +"date: %Y-%m-%d %H:%M UTC"
echo "cpus: $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
df -hT "$base" | tail -n 1 | awk '{ print "filesystem: " $1 " (" $2 "), " $3 " (" $5 " free), mounted on " $7 }'
go version
bench/disk.sh "$base"
go test -run '^$' -bench . -benchtime 2s ./bench | grep -E '^Benchmark'

echo
echo "== coffer"
go build -o "$base/coffer" ./cmd/coffer
go build -o "$base/bench" ./bench
addr="127.0.0.1:${BENCH_PORT:-9400}"
export COFFER_ROOT_ACCESS_KEY=benchaccesskey COFFER_ROOT_SECRET_KEY=bench-secret-key-123456
"$base/coffer" server --data "$base/data" --listen "$addr" >"$base/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do
	curl -fsS "http://$addr/health/ready" >/dev/null 2>&1 && break
	sleep 0.1
done
curl -fsS "http://$addr/health/ready" >/dev/null || { echo "coffer did not become ready:"; tail -n 30 "$base/server.log"; exit 1; }

bench() { "$base/bench" -endpoint "http://$addr" -access "$COFFER_ROOT_ACCESS_KEY" -secret "$COFFER_ROOT_SECRET_KEY" -duration "$duration" "$@"; echo; }
bench -concurrency 32 -sizes 4KiB
bench -concurrency 8 -sizes 1MiB
bench -concurrency 4 -sizes 64MiB
bench -concurrency 2 -sizes 64MiB
# One 5 GiB streamed PUT: the server's extra RSS while it streams.
"$base/bench" -endpoint "http://$addr" -access "$COFFER_ROOT_ACCESS_KEY" -secret "$COFFER_ROOT_SECRET_KEY" -stream 5GiB -server-pid "$pid"
