package e2e

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestRclone copies a tree up with rclone, syncs a changed tree (deletions
// included), and has rclone compare both sides by checksum.
func TestRclone(t *testing.T) {
	skipIfShort(t)
	path := need(t, "rclone")
	srv := startServer(t)
	sdk := srv.sdk()

	home := t.TempDir()
	config := filepath.Join(home, "rclone.conf")
	writeFile(t, config, fmt.Appendf(nil, `[coffer]
type = s3
provider = Other
env_auth = false
access_key_id = %s
secret_access_key = %s
region = %s
endpoint = %s
force_path_style = true
`, rootAccessKey, rootSecretKey, region, srv.Endpoint))
	// cleanEnv carries no AWS_CA_BUNDLE: with it set, rclone's S3 backend
	// fails to start.
	rclone := runner{
		path: path,
		// Multipart from 5 MiB so the 12 MiB file goes up in parts and its
		// MD5 travels in metadata; no retries so a server error fails.
		args: []string{"--config", config, "--retries", "1", "--low-level-retries", "1",
			"--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M"},
		env: cleanEnv(home),
		dir: home,
	}

	src := filepath.Join(t.TempDir(), "src")
	local := makeTree(t, src, 11, 60)
	local.put(t, src, "large/twelve-mib.bin", randomBytes(12, 12<<20))

	rclone.Run(t, "copy", src, "coffer:rclone-bucket/tree")
	assertTreesEqual(t, "server after rclone copy", local, downloadTree(t, sdk, "rclone-bucket", "tree/"))

	names := local.names()
	for _, n := range names[:8] {
		local.remove(t, src, n)
	}
	for i, n := range names[8:12] {
		local.put(t, src, n, randomBytes(uint64(700+i), int(local[n].Size)+33))
	}
	local.put(t, src, "added/one.txt", []byte("one"))
	rclone.Run(t, "sync", src, "coffer:rclone-bucket/tree")
	assertTreesEqual(t, "server after rclone sync", local, downloadTree(t, sdk, "rclone-bucket", "tree/"))

	_, stderr, err := rclone.Try(t, "check", "--checksum", src, "coffer:rclone-bucket/tree")
	if err != nil {
		t.Fatalf("rclone check --checksum: %v\n%s", err, stderr)
	}
	if strings.Contains(stderr, "no hashes in common") || strings.Contains(stderr, "No common hash") {
		t.Errorf("rclone check compared no checksums (the server's MD5s were not usable):\n%s", stderr)
	}
	if !strings.Contains(stderr, "0 differences found") || !strings.Contains(stderr, fmt.Sprintf("%d matching files", len(local))) {
		t.Errorf("rclone check --checksum: want 0 differences and %d matching files:\n%s", len(local), stderr)
	}

	// rclone's own view of the remote.
	listed := strings.Split(strings.TrimSpace(rclone.Run(t, "lsf", "-R", "--files-only", "coffer:rclone-bucket/tree")), "\n")
	sort.Strings(listed)
	if want := local.names(); strings.Join(listed, "\n") != strings.Join(want, "\n") {
		t.Errorf("rclone lsf -R: got %d files, want %d:\n%s", len(listed), len(want), strings.Join(listed, "\n"))
	}
}
