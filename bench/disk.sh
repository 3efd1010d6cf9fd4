#!/usr/bin/env bash
# Measures the durable sequential write rate of the file system holding DIR
# (default: the current directory): 1 GiB of zeros, fdatasync'ed before dd
# reports. Usage: bench/disk.sh [DIR]
set -euo pipefail
dir="${1:-.}"
mkdir -p "$dir"
file="$(mktemp "$dir/coffer-dd.XXXXXX")"
trap 'rm -f "$file"' EXIT
# dd's last stderr line: "1073741824 bytes (1.1 GB, 1.0 GiB) copied, 2.1 s, 511 MB/s"
summary="$(LC_ALL=C dd if=/dev/zero of="$file" bs=1M count=1024 conv=fdatasync 2>&1 | tail -n 1)"
echo "dd: $summary"
echo "$summary" | awk -F', ' '{ print "disk durable write: " $NF }'
