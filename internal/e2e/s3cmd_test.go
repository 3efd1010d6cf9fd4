package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestS3cmd puts, gets, lists and deletes objects with s3cmd (SigV4,
// path-style, plain HTTP), multipart included.
func TestS3cmd(t *testing.T) {
	skipIfShort(t)
	path := need(t, "s3cmd")
	srv := startServer(t)
	sdk := srv.sdk()

	home := t.TempDir()
	config := filepath.Join(home, "s3cfg")
	// host_bucket without %(bucket)s: path-style requests.
	writeFile(t, config, fmt.Appendf(nil, `[default]
access_key = %s
secret_key = %s
host_base = %s
host_bucket = %s
bucket_location = %s
use_https = False
signature_v2 = False
check_ssl_certificate = False
multipart_chunk_size_mb = 5
`, rootAccessKey, rootSecretKey, srv.Addr, srv.Addr, region))
	s3cmd := runner{path: path, args: []string{"--config", config, "--no-progress"}, env: cleanEnv(home), dir: home}

	work := t.TempDir()
	files := []struct {
		name string
		size int64
	}{
		{"small.bin", 100 << 10},
		{"multi.bin", 12 << 20}, // three 5 MiB parts
	}
	s3cmd.Run(t, "mb", "s3://s3cmd-bucket")
	if out := s3cmd.Run(t, "ls"); !strings.Contains(out, "s3://s3cmd-bucket") {
		t.Errorf("s3cmd ls does not list the bucket:\n%s", out)
	}
	for i, f := range files {
		local := filepath.Join(work, f.name)
		writeRandomFile(t, local, uint64(900+i), f.size)
		s3cmd.Run(t, "put", local, "s3://s3cmd-bucket/dir/"+f.name)
		down := filepath.Join(work, f.name+".down")
		s3cmd.Run(t, "get", "--force", "s3://s3cmd-bucket/dir/"+f.name, down)
		assertSameFile(t, local, down)
	}

	out := s3cmd.Run(t, "ls", "s3://s3cmd-bucket/dir/")
	for _, f := range files {
		if !strings.Contains(out, fmt.Sprintf("%d  s3://s3cmd-bucket/dir/%s", f.size, f.name)) {
			t.Errorf("s3cmd ls: no line for %s with %d bytes:\n%s", f.name, f.size, out)
		}
	}
	if out := s3cmd.Run(t, "ls", "s3://s3cmd-bucket"); !strings.Contains(out, "DIR  s3://s3cmd-bucket/dir/") {
		t.Errorf("s3cmd ls of the bucket root: want the dir/ prefix:\n%s", out)
	}

	s3cmd.Run(t, "del", "s3://s3cmd-bucket/dir/small.bin")
	if got := listObjects(t, sdk, "s3cmd-bucket", ""); len(got) != 1 || got["dir/multi.bin"].Size != 12<<20 {
		t.Errorf("after s3cmd del: objects %v, want only dir/multi.bin", got)
	}
	s3cmd.Run(t, "del", "s3://s3cmd-bucket/dir/multi.bin")
	if out := s3cmd.Run(t, "ls", "--recursive", "s3://s3cmd-bucket"); strings.TrimSpace(out) != "" {
		t.Errorf("s3cmd ls after deleting everything:\n%s", out)
	}
	s3cmd.Run(t, "rb", "s3://s3cmd-bucket")
}
