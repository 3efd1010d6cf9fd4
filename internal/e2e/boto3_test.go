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
	runBoto3Checks(t, python, "boto3_e2e.py", srv, nil, "multipart", "paginate", "delete", "empty")
}

// runBoto3Checks runs each check of the boto3 script testdata/script
// against srv as a subtest, with args (further flags of the script) before
// the check's name.
func runBoto3Checks(t *testing.T, python, script string, srv *server, args []string, checks ...string) {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("testdata", script))
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	py := runner{path: python, env: awsEnv(t, home), dir: home}
	for _, check := range checks {
		t.Run(check, func(t *testing.T) {
			cmd := append(append([]string{path, "--endpoint", srv.Endpoint, "--workdir", t.TempDir()}, args...), check)
			stdout, stderr, err := py.Try(t, cmd...)
			if err != nil || !strings.Contains(stdout, "ok "+check) {
				t.Fatalf("boto3 check %s: %v\nstdout:\n%s\nstderr:\n%s", check, err, stdout, stderr)
			}
			t.Log(firstLine([]byte(stdout)))
		})
	}
}
