package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// awsCLI runs the AWS CLI against srv in a clean environment.
func awsCLI(t *testing.T, srv *server) runner {
	t.Helper()
	path := need(t, "aws")
	home := t.TempDir()
	// A stalled response fails within 30 s (the default is 60 s).
	args := []string{"--endpoint-url", srv.Endpoint, "--cli-read-timeout", "30"}
	return runner{path: path, args: args, env: awsEnv(t, home), dir: home}
}

// TestAWSCLI drives a coffer server with the AWS CLI's high-level s3
// commands and a few s3api calls, checking every result through the Go SDK
// or byte for byte on disk.
func TestAWSCLI(t *testing.T) {
	skipIfShort(t)
	srv := startServer(t)
	cli := awsCLI(t, srv)
	sdk := srv.sdk()

	t.Run("cp", func(t *testing.T) {
		work := t.TempDir()
		cli.Run(t, "s3", "mb", "s3://cli-cp")
		if out := cli.Run(t, "s3", "ls"); !strings.Contains(out, " cli-cp\n") {
			t.Errorf("aws s3 ls does not list bucket cli-cp:\n%s", out)
		}
		files := []struct {
			name, key string
			size      int64
		}{
			{"small.bin", "small.bin", 1 << 20},
			{"big.bin", "dir/big.bin", 100 << 20},
		}
		for i, f := range files {
			local := filepath.Join(work, f.name)
			writeRandomFile(t, local, uint64(100+i), f.size)
			cli.Run(t, "s3", "cp", "--no-progress", local, "s3://cli-cp/"+f.key)
			down := filepath.Join(work, f.name+".down")
			cli.Run(t, "s3", "cp", "--no-progress", "s3://cli-cp/"+f.key, down)
			assertSameFile(t, local, down)
		}

		got := parseS3Ls(t, cli.Run(t, "s3", "ls", "--recursive", "s3://cli-cp"))
		want := map[string]int64{"small.bin": 1 << 20, "dir/big.bin": 100 << 20}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("aws s3 ls --recursive: got %v, want %v", got, want)
		}
		top := cli.Run(t, "s3", "ls", "s3://cli-cp")
		if !strings.Contains(top, "PRE dir/") || !strings.Contains(top, " 1048576 small.bin") {
			t.Errorf("aws s3 ls s3://cli-cp: want PRE dir/ and small.bin (1048576 bytes), got:\n%s", top)
		}
	})

	t.Run("sync", func(t *testing.T) {
		src := filepath.Join(t.TempDir(), "src")
		local := makeTree(t, src, 7, 200)
		cli.Run(t, "s3", "mb", "s3://cli-sync")

		cli.Run(t, "s3", "sync", "--no-progress", src, "s3://cli-sync/tree/")
		assertTreesEqual(t, "server after sync up", local, downloadTree(t, sdk, "cli-sync", "tree/"))

		// Change the local tree: sizes change so that sync does not depend
		// on timestamp resolution.
		names := local.names()
		for i, n := range names[:10] {
			local.put(t, src, n, randomBytes(uint64(5000+i), int(local[n].Size)+100+i))
		}
		for _, n := range names[10:20] {
			local.remove(t, src, n)
		}
		for i := range 5 {
			local.put(t, src, fmt.Sprintf("new/dir%d/file%d.txt", i%2, i), randomBytes(uint64(6000+i), 1000*i))
		}
		cli.Run(t, "s3", "sync", "--no-progress", "--delete", src, "s3://cli-sync/tree/")
		assertTreesEqual(t, "server after sync --delete", local, downloadTree(t, sdk, "cli-sync", "tree/"))

		// Down into a directory holding files the bucket does not have and
		// one stale copy of a file it does.
		dst := filepath.Join(t.TempDir(), "dst")
		writeFile(t, filepath.Join(dst, "extra.txt"), []byte("not in the bucket"))
		writeFile(t, filepath.Join(dst, "d3", "extra", "deep.txt"), []byte("nor this"))
		writeFile(t, filepath.Join(dst, filepath.FromSlash(names[30])), []byte("stale and of another size"))
		cli.Run(t, "s3", "sync", "--no-progress", "--delete", "s3://cli-sync/tree/", dst)
		assertTreesEqual(t, "local tree after sync down --delete", local, readTree(t, dst))

		cli.Run(t, "s3", "rm", "--recursive", "--only-show-errors", "s3://cli-sync")
		if left := listObjects(t, sdk, "cli-sync", ""); len(left) != 0 {
			t.Fatalf("after aws s3 rm --recursive, %d objects remain: %v", len(left), left.names())
		}
		if out := cli.Run(t, "s3", "ls", "--recursive", "s3://cli-sync"); strings.TrimSpace(out) != "" {
			t.Errorf("aws s3 ls of the emptied bucket printed:\n%s", out)
		}
		cli.Run(t, "s3", "rb", "s3://cli-sync")
	})

	t.Run("presign", func(t *testing.T) {
		curl := need(t, "curl")
		work := t.TempDir()
		cli.Run(t, "s3", "mb", "s3://cli-presign")
		local := filepath.Join(work, "obj.bin")
		writeRandomFile(t, local, 200, 300<<10)
		cli.Run(t, "s3", "cp", "--no-progress", local, "s3://cli-presign/some dir/obj+1.bin")
		url := strings.TrimSpace(cli.Run(t, "s3", "presign", "s3://cli-presign/some dir/obj+1.bin", "--expires-in", "300"))
		if !strings.HasPrefix(url, srv.Endpoint+"/cli-presign/") || !strings.Contains(url, "X-Amz-Signature=") {
			t.Fatalf("aws s3 presign printed %q, want a SigV4 path-style URL on %s", url, srv.Endpoint)
		}
		get := runner{path: curl, env: cleanEnv(work), dir: work}
		down := filepath.Join(work, "obj.down")
		get.Run(t, "--silent", "--show-error", "--fail", "--output", down, url)
		assertSameFile(t, local, down)

		// The signature covers the path: another key with it is refused.
		forged := strings.Replace(url, "1.bin", "2.bin", 1)
		code := get.Run(t, "--silent", "--output", filepath.Join(work, "forged.xml"), "--write-out", "%{http_code}", forged)
		if code != "403" {
			t.Errorf("presigned URL for another key: HTTP %s, want 403", code)
		}
	})

	t.Run("versioning", func(t *testing.T) {
		work := t.TempDir()
		cli.Run(t, "s3", "mb", "s3://cli-versions")
		cli.Run(t, "s3api", "put-bucket-versioning", "--bucket", "cli-versions", "--versioning-configuration", "Status=Enabled")
		var status struct{ Status string }
		decodeJSON(t, cli.Run(t, "s3api", "get-bucket-versioning", "--bucket", "cli-versions", "--output", "json"), &status)
		if status.Status != "Enabled" {
			t.Fatalf("get-bucket-versioning: Status %q, want Enabled", status.Status)
		}

		var ids []string
		var bodies [][]byte
		for i := range 3 {
			body := randomBytes(uint64(300+i), 1000+i)
			path := filepath.Join(work, fmt.Sprintf("v%d", i))
			writeFile(t, path, body)
			var put struct{ VersionId string }
			decodeJSON(t, cli.Run(t, "s3api", "put-object", "--bucket", "cli-versions", "--key", "doc.txt", "--body", path, "--output", "json"), &put)
			if put.VersionId == "" || put.VersionId == "null" {
				t.Fatalf("put-object %d into a versioned bucket returned VersionId %q", i, put.VersionId)
			}
			ids = append(ids, put.VersionId)
			bodies = append(bodies, body)
		}

		var list struct {
			Versions []struct {
				Key       string
				VersionId string
				IsLatest  bool
				Size      int64
			}
		}
		decodeJSON(t, cli.Run(t, "s3api", "list-object-versions", "--bucket", "cli-versions", "--output", "json"), &list)
		if len(list.Versions) != 3 {
			t.Fatalf("list-object-versions: %d versions, want 3: %+v", len(list.Versions), list.Versions)
		}
		// Versions of a key are listed newest first.
		for i, v := range list.Versions {
			want := len(ids) - 1 - i
			if v.Key != "doc.txt" || v.VersionId != ids[want] || v.IsLatest != (i == 0) || v.Size != int64(len(bodies[want])) {
				t.Errorf("version %d: %+v, want key doc.txt, VersionId %s, IsLatest %v, Size %d", i, v, ids[want], i == 0, len(bodies[want]))
			}
		}

		oldest := filepath.Join(work, "oldest")
		cli.Run(t, "s3api", "get-object", "--bucket", "cli-versions", "--key", "doc.txt", "--version-id", ids[0], oldest, "--output", "json")
		if err := equalBytes(bodies[0], readFile(t, oldest)); err != nil {
			t.Errorf("get-object --version-id of the first version: %v", err)
		}
	})

	t.Run("range", func(t *testing.T) {
		work := t.TempDir()
		cli.Run(t, "s3", "mb", "s3://cli-range")
		body := randomBytes(400, 1000)
		writeFile(t, filepath.Join(work, "obj"), body)
		cli.Run(t, "s3", "cp", "--no-progress", filepath.Join(work, "obj"), "s3://cli-range/obj")

		part := filepath.Join(work, "part")
		var out struct {
			ContentLength int64
			ContentRange  string
		}
		decodeJSON(t, cli.Run(t, "s3api", "get-object", "--bucket", "cli-range", "--key", "obj", "--range", "bytes=10-19", part, "--output", "json"), &out)
		if err := equalBytes(body[10:20], readFile(t, part)); err != nil {
			t.Errorf("get-object --range bytes=10-19: %v", err)
		}
		if out.ContentLength != 10 || out.ContentRange != "bytes 10-19/1000" {
			t.Errorf("get-object --range bytes=10-19: ContentLength %d, ContentRange %q; want 10, \"bytes 10-19/1000\"", out.ContentLength, out.ContentRange)
		}
	})

	// What the CLI created, seen by another client.
	buckets, err := sdk.ListBuckets(t.Context(), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	var names []string
	for _, b := range buckets.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	t.Logf("buckets after the AWS CLI test: %v", names)
}

// s3LsLine is a line of `aws s3 ls --recursive`: date, time, size, key.
var s3LsLine = regexp.MustCompile(`^\S+ \S+ +(\d+) (.*)$`)

// parseS3Ls parses `aws s3 ls --recursive` output into key → size.
func parseS3Ls(t *testing.T, out string) map[string]int64 {
	t.Helper()
	got := map[string]int64{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		m := s3LsLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("unexpected aws s3 ls line %q", line)
		}
		size, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			t.Fatalf("unexpected aws s3 ls line %q: %v", line, err)
		}
		got[m[2]] = size
	}
	return got
}

func decodeJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
}
