package e2e

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// benchRow is a row of bench's table: size, op, conc, ops, ops/s, MB/s,
// p50, p99, errors.
var benchRow = regexp.MustCompile(`^\s*(\S+)\s+(PUT|GET)\s+(\d+)\s+(\d+)\s+\S+\s+\S+\s+\S+\s+\S+\s+(\d+)\s*$`)

// TestBenchLoadGenerator runs `bench` for a second per phase against a
// server: it must complete PUTs and GETs of each size without errors.
func TestBenchLoadGenerator(t *testing.T) {
	skipIfShort(t)
	bin := goBuild(t, "./bench")
	srv := startServer(t)
	cmd := exec.CommandContext(t.Context(), bin, "-endpoint", srv.Endpoint, "-access", rootAccessKey, "-secret", rootSecretKey,
		"-concurrency", "4", "-sizes", "4KiB,1MiB", "-duration", "1s", "-bucket", "bench-e2e")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	t.Logf("bench output:\n%s", out)
	seen := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		m := benchRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		seen[m[1]+" "+m[2]] = true
		if m[4] == "0" || m[5] != "0" {
			t.Errorf("bench %s %s: %s operations, %s errors; want some and no errors", m[1], m[2], m[4], m[5])
		}
	}
	for _, want := range []string{"4KiB PUT", "4KiB GET", "1MiB PUT", "1MiB GET"} {
		if !seen[want] {
			t.Errorf("bench printed no %s row", want)
		}
	}
	// bench deletes what it wrote.
	if left := listObjects(t, srv.sdk(), "bench-e2e", ""); len(left) != 0 {
		t.Errorf("%d objects left in the bench bucket", len(left))
	}
}
