package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestBoto3 runs testdata/boto3_e2e.py with the system python3's boto3:
// threaded multipart upload and ranged download of 40 MiB, list_objects_v2
// paginators with delimiters over 2,500 keys, delete_objects of 1,000
// keys, and empty-file uploads on a reused connection. The script asserts its own results; each check is a subtest.
func TestBoto3(t *testing.T) {
	skipIfShort(t)
	python := need(t, "python3-boto3")
	srv := startServer(t)
	script, err := filepath.Abs(filepath.Join("testdata", "boto3_e2e.py"))
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	py := runner{path: python, env: awsEnv(t, home), dir: home}
	for _, check := range []string{"multipart", "paginate", "delete", "empty"} {
		t.Run(check, func(t *testing.T) {
			stdout, stderr, err := py.Try(t, script, "--endpoint", srv.Endpoint, "--workdir", t.TempDir(), check)
			if err != nil || !strings.Contains(stdout, "ok "+check) {
				t.Fatalf("boto3 check %s: %v\nstdout:\n%s\nstderr:\n%s", check, err, stdout, stderr)
			}
			t.Log(firstLine([]byte(stdout)))
		})
	}
}
