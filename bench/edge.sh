#!/usr/bin/env bash
# coffer edge against nginx proxy_cache, cache hits only, in one run on one
# machine (docs/benchmarks.md, issue 8): requests/s, MB/s and p50/p99
# latency for a 1 KiB and a 1 MiB object at concurrency 64, both caches in
# front of the same `coffer server`, runs alternating edge/nginx so drifting
# machine load hits both.
#
#   bench/edge.sh                      # or: make bench-edge
#   BENCH_DURATION=20s BENCH_ROUNDS=5 BENCH_CONCURRENCY=64 bench/edge.sh
#   BENCH_FLOOR=1 bench/edge.sh        # also Go's bare net/http serving the objects from memory
#   BENCH_PERF=DIR bench/edge.sh       # then one edge run per size under `perf record`, reports in DIR
#   BENCH_EDGE_GOGC=400 bench/edge.sh  # GOGC for the coffer edge processes only
#   BENCH_WAF=1 bench/edge.sh          # also a second edge whose distribution has a 10-rule web ACL
#                                      # (bench/testdata/edge-web-acl.json), compared with the first (issue 9)
#
# Setup: one bucket with the two objects and a policy that lets the edge's
# origin access identity (the edge signs its origin requests as the OAI,
# as deployed) and anonymous viewers (nginx cannot sign SigV4) GET them.
# Origin authentication does not enter the figures: every measured
# request is a cache hit (checked on each response: X-Cache: Hit from the
# edge, X-Cache-Status: HIT from nginx). nginx is the distribution's
# package, run in the foreground with its own configuration in a temp dir
# (installed with apt-get if missing). The load generator is
# bench/edgeload (raw keep-alive HTTP/1.1 connections, one request in
# flight on each), on the same cores as the cache under test.
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${BENCH_DURATION:-10s}"
rounds="${BENCH_ROUNDS:-3}"
concurrency="${BENCH_CONCURRENCY:-64}"
port="${BENCH_PORT:-9430}"
origin="127.0.0.1:$port" edge="127.0.0.1:$((port + 1))" edge_admin="127.0.0.1:$((port + 2))" nginx_addr="127.0.0.1:$((port + 3))" floor_addr="127.0.0.1:$((port + 4))"
waf_addr="127.0.0.1:$((port + 5))" waf_admin="127.0.0.1:$((port + 6))"
sizes=(1024 1048576)
bucket=edge-bench

base="$(mktemp -d "${BENCH_DIR:-/var/tmp}/coffer-edge-bench.XXXXXX")"
started=() # process IDs, stopped in reverse order
cleanup() {
	for ((i = ${#started[@]} - 1; i >= 0; i--)); do
		if kill -0 "${started[i]}" 2>/dev/null; then
			kill -TERM "${started[i]}"
			wait "${started[i]}" || true
		fi
	done
	rm -rf "$base"
}
trap cleanup EXIT

# wait_for URL LOG: until URL answers (any HTTP status), or fail with LOG.
wait_for() {
	for _ in $(seq 1 200); do
		curl -sS -o /dev/null "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "$1 did not come up:"
	tail -n 30 "$2"
	exit 1
}

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
	echo "== installing nginx (apt-get install -y nginx)"
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get install -y nginx >/dev/null
fi
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

echo "== machine"
date -u +"date: %Y-%m-%d %H:%M UTC"
echo "cpus: $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -z "${BENCH_EDGE_GOGC:-}" ] || echo "coffer edge: GOGC=$BENCH_EDGE_GOGC"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- cmd internal go.mod go.sum || echo ' (with uncommitted changes)')"
go version
"$nginx_bin" -v 2>&1

go build -o "$base/coffer" ./cmd/coffer
go build -o "$base/edgeload" ./bench/edgeload

echo
echo "== origin: coffer server on $origin"
export COFFER_ROOT_ACCESS_KEY=benchaccesskey COFFER_ROOT_SECRET_KEY=bench-secret-key-123456
"$base/coffer" server --data "$base/data" --listen "$origin" >"$base/server.log" 2>&1 &
started+=($!)
wait_for "http://$origin/health/ready" "$base/server.log"
oai="$(AWS_ACCESS_KEY_ID=$COFFER_ROOT_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$COFFER_ROOT_SECRET_KEY \
	"$base/coffer" admin oai create --endpoint "http://$origin" --comment edge-bench)"
json_field() { grep -o "\"$1\": *\"[^\"]*\"" | head -n 1 | sed 's/.*: *"\(.*\)"/\1/'; }
oai_id="$(json_field Id <<<"$oai")" oai_key="$(json_field AccessKeyId <<<"$oai")" oai_secret="$(json_field SecretAccessKey <<<"$oai")"
"$base/edgeload" setup -endpoint "http://$origin" -access "$COFFER_ROOT_ACCESS_KEY" -secret "$COFFER_ROOT_SECRET_KEY" \
	-bucket "$bucket" -oai "$oai_id" -sizes "$(IFS=,; echo "${sizes[*]}")"

echo "== coffer edge on $edge (memory tier 256 MiB, origin signed as OAI $oai_id)"
cat >"$base/edge.yaml" <<EOF
listen: $edge
admin:
  listen: $edge_admin
  access_key_id: AKEDGEBENCH
  secret_access_key: edge-bench-admin-secret
cache:
  memory_bytes: 268435456
distributions:
  - id: E1BENCH
    origin:
      endpoint: http://$origin
      bucket: $bucket
      access: oai
      access_key_id: $oai_key
      secret_access_key: $oai_secret
    behaviors:
      - path_pattern: "*"
EOF
edge_env=()
[ -z "${BENCH_EDGE_GOGC:-}" ] || edge_env=("GOGC=$BENCH_EDGE_GOGC")
env ${edge_env[@]+"${edge_env[@]}"} "$base/coffer" edge --config "$base/edge.yaml" >"$base/edge.log" 2>&1 &
edge_pid=$!
started+=("$edge_pid")
wait_for "http://$edge_admin/metrics" "$base/edge.log"

if [ -n "${BENCH_WAF:-}" ]; then
	# The same configuration but for the listeners and the web ACL: every
	# rule of bench/testdata/edge-web-acl.json is evaluated for each (clean)
	# request, the rate rule counting the client address.
	echo "== coffer edge with a 10-rule web ACL on $waf_addr (bench/testdata/edge-web-acl.json)"
	sed -e "s|^listen: .*|listen: $waf_addr|" -e "s|^  listen: .*|  listen: $waf_admin|" "$base/edge.yaml" >"$base/edge-waf.yaml"
	cat >>"$base/edge-waf.yaml" <<EOF
    web_acl: bench-acl
ip_sets:
  - name: bad
    addresses: ["203.0.113.0/24", "198.51.100.0/24", "2001:db8::/32"]
regex_pattern_sets:
  - name: scanners
    patterns: ["(?i)sqlmap", "(?i)nikto", "(?i)masscan", "(?i)zgrab"]
web_acls:
  - name: bench-acl
    file: $PWD/bench/testdata/edge-web-acl.json
EOF
	env ${edge_env[@]+"${edge_env[@]}"} "$base/coffer" edge --config "$base/edge-waf.yaml" >"$base/edge-waf.log" 2>&1 &
	waf_pid=$!
	started+=("$waf_pid")
	wait_for "http://$waf_admin/metrics" "$base/edge-waf.log"
fi

workers="$(nproc)"
echo "== nginx proxy_cache on $nginx_addr ($workers workers, cache in $base/nginx/cache)"
ngx="$base/nginx"
mkdir -p "$ngx/cache" "$ngx/tmp"
user_line=""
if [ "$(id -u)" = 0 ]; then
	# The master stays root; its workers must be able to write the cache.
	chmod 711 "$base"
	chown -R nobody:"$(id -gn nobody)" "$ngx"
	user_line="user nobody $(id -gn nobody);"
fi
cat >"$ngx/nginx.conf" <<EOF
$user_line
worker_processes $workers;
pid $ngx/nginx.pid;
error_log $ngx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 120s;
    keepalive_requests 1000000;   # like Go's server: no cap on requests per connection
    client_body_temp_path $ngx/tmp/body;
    proxy_temp_path $ngx/tmp/proxy;
    fastcgi_temp_path $ngx/tmp/fastcgi;
    uwsgi_temp_path $ngx/tmp/uwsgi;
    scgi_temp_path $ngx/tmp/scgi;
    proxy_cache_path $ngx/cache levels=1:2 keys_zone=coffer:10m max_size=1g inactive=1h use_temp_path=off;
    upstream origin {
        server $origin;
        keepalive 16;
    }
    server {
        listen $nginx_addr;
        location / {
            proxy_pass http://origin/$bucket/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $origin;
            proxy_cache coffer;
            proxy_cache_valid 200 1h;
            proxy_cache_lock on;
            proxy_ignore_headers Cache-Control Expires Set-Cookie Vary X-Accel-Expires;
            add_header X-Cache-Status \$upstream_cache_status always;
        }
    }
}
EOF
"$nginx_bin" -e "$ngx/error.log" -p "$ngx" -c "$ngx/nginx.conf" -g 'daemon off;' >"$ngx/stdout.log" 2>&1 &
nginx_pid=$!
started+=("$nginx_pid")
wait_for "http://$nginx_addr/" "$ngx/error.log"

targets=(edge nginx)
[ -z "${BENCH_WAF:-}" ] || targets+=(edge-waf)
if [ -n "${BENCH_FLOOR:-}" ]; then
	echo "== floor: bench/edgeload floor on $floor_addr (net/http, the objects in memory, the edge's hit headers)"
	"$base/edgeload" floor -listen "$floor_addr" -sizes "$(IFS=,; echo "${sizes[*]}")" >"$base/floor.log" 2>&1 &
	floor_pid=$!
	started+=("$floor_pid")
	wait_for "http://$floor_addr/" "$base/floor.log"
	targets+=(floor)
fi

echo
echo "== warming both caches"
for size in "${sizes[@]}"; do
	for url in "http://$edge/obj-$size" "http://$nginx_addr/obj-$size" ${BENCH_WAF:+"http://$waf_addr/obj-$size"}; do
		curl -fsS -o /dev/null "$url"
		curl -fsS -o /dev/null -D - "$url" | grep -iE '^x-cache' | tr -d '\r' | sed "s|^|  $url: |"
	done
done
echo "  response headers of a 1 KiB hit:"
for url in "http://$edge/obj-${sizes[0]}" "http://$nginx_addr/obj-${sizes[0]}"; do
	curl -fsS -o /dev/null -D - "$url" | tr -d '\r' | sed '/^$/d; s/^/    /'
done
results="$base/results.jsonl"
measure() { # label size duration [out]
	local url hit_header hit_prefix pids
	case "$1" in
	edge) url="http://$edge/obj-$2" hit_header=X-Cache hit_prefix=Hit pids="$edge_pid" ;;
	nginx) # the master and its current children (workers, cache manager, cache loader while it runs)
		url="http://$nginx_addr/obj-$2" hit_header=X-Cache-Status hit_prefix=HIT pids="$nginx_pid,$(pgrep -P "$nginx_pid" | paste -sd, -)" ;;
	floor) url="http://$floor_addr/obj-$2" hit_header=X-Cache hit_prefix=Hit pids="$floor_pid" ;;
	edge-waf) url="http://$waf_addr/obj-$2" hit_header=X-Cache hit_prefix=Hit pids="$waf_pid" ;;
	esac
	"$base/edgeload" run -label "$1" -url "$url" -size "$2" -concurrency "$concurrency" -duration "$3" \
		-hit-header "$hit_header" -hit-prefix "$hit_prefix" -pids "$pids" ${4:+-out "$4"}
}
for size in "${sizes[@]}"; do
	for target in "${targets[@]}"; do
		measure "$target" "$size" 2s >/dev/null
	done
done

for round in $(seq 1 "$rounds"); do
	echo
	echo "== round $round of $rounds: $duration per run, concurrency $concurrency"
	order=("${targets[@]}")
	[ $((round % 2)) = 1 ] || order=($(printf '%s\n' "${targets[@]}" | tac))
	for size in "${sizes[@]}"; do
		for target in "${order[@]}"; do
			measure "$target" "$size" "$duration" "$results"
		done
	done
done

if [ -s "$results" ]; then
	echo
	echo "== cache hits at concurrency $concurrency, $rounds rounds of $duration (load now: $(cut -d' ' -f1-3 /proc/loadavg))"
	"$base/edgeload" report "$results"
	if [ -n "${BENCH_WAF:-}" ]; then
		echo
		echo "== with the web ACL against without (issue 9: at least 80 %)"
		"$base/edgeload" report -baseline edge "$results" | grep 'edge-waf/edge'
	fi
fi

# BENCH_PERF=DIR: one more edge run per size under `perf record`, reports in DIR.
edge_mallocs() { curl -fsS "http://$edge_admin/metrics" | awk '$1 == "go_memstats_mallocs_total" { printf "%d", $2 }'; }
if [ -n "${BENCH_PERF:-}" ]; then
	command -v perf >/dev/null || { echo "BENCH_PERF needs perf (Debian: linux-perf)"; exit 1; }
	mkdir -p "$BENCH_PERF"
	for size in "${sizes[@]}"; do
		echo
		echo "== perf record of the edge, $size-byte hits -> $BENCH_PERF/edge-$size.txt"
		perf record -q -F 999 -g -o "$BENCH_PERF/edge-$size.data" -p "$edge_pid" 2>/dev/null &
		perf_pid=$!
		started+=("$perf_pid")
		mallocs="$(edge_mallocs)"
		measure edge "$size" "$duration" | tee "$base/perf-run.txt"
		kill -INT "$perf_pid"
		wait "$perf_pid" || true
		requests="$(sed -n 's/^edge [^:]*: \([0-9]*\) requests.*/\1/p' "$base/perf-run.txt")"
		echo "  edge heap allocations per request (go_memstats_mallocs_total): $(( ($(edge_mallocs) - mallocs) / requests ))"
		perf report -i "$BENCH_PERF/edge-$size.data" --stdio --no-children --sort symbol --percent-limit 0.7 -g none \
			>"$BENCH_PERF/edge-$size.txt" 2>/dev/null
		perf report -i "$BENCH_PERF/edge-$size.data" --stdio --children --sort symbol --percent-limit 3 -g none \
			>"$BENCH_PERF/edge-$size-children.txt" 2>/dev/null
		grep -E '^ +[0-9]' "$BENCH_PERF/edge-$size.txt" | head -n 25
	done
fi
