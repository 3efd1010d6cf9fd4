package e2e

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tierBlobs maps each blob file under a blob directory (not its temporary
// files) to its size.
func tierBlobs(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(filepath.Dir(p)) == "tmp" {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out[filepath.Base(p)] = info.Size()
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

// tierEventually polls cond every 250 ms for up to 90 s.
func tierEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 90 s: %s", what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestTiersAndLifecycleAWSCLI is issue 7's acceptance run on a real
// process: GLACIER has a tier of its own (--tier), the scanner runs every
// second and (COFFER_LIFECYCLE_CLOCK_OFFSET) decides as if a day had
// passed, since a Days: 0 transition is due at the next midnight UTC, as
// on S3. A Days: 0 transition to GLACIER on a prefix moves the object's
// blob from the default directory into the GLACIER tier's; GET is then
// InvalidObjectState; restore-object runs for the configured 20 s (a
// second one meanwhile is RestoreAlreadyInProgress) and the object then
// reads back byte for byte. An Expiration with a past Date deletes the
// matching objects; a STANDARD_IA transition at 1 day is refused.
func TestTiersAndLifecycleAWSCLI(t *testing.T) {
	skipIfShort(t)
	glacierDir := filepath.Join(t.TempDir(), "glacier")
	srv := startServer(t,
		withFlags("--tier", "GLACIER="+glacierDir, "--lifecycle-interval", "1s", "--restore-duration", "Standard=20s"),
		withEnv("COFFER_LIFECYCLE_CLOCK_OFFSET=24h"))
	cli := awsCLI(t, srv)
	work := t.TempDir()
	defaultDir := filepath.Join(srv.DataDir, "blobs")

	cli.Run(t, "s3", "mb", "s3://tiers")
	archive, other := filepath.Join(work, "a.bin"), filepath.Join(work, "b.bin")
	writeRandomFile(t, archive, 7, 200<<10+123)
	writeRandomFile(t, other, 8, 300<<10)
	cli.Run(t, "s3", "cp", "--no-progress", archive, "s3://tiers/archive/a.bin")
	cli.Run(t, "s3", "cp", "--no-progress", other, "s3://tiers/keep/b.bin")
	cli.Run(t, "s3", "cp", "--no-progress", "--storage-class", "STANDARD_IA", other, "s3://tiers/keep/ia.bin")
	for _, k := range []string{"old/x.txt", "old/y.txt"} {
		cli.Run(t, "s3api", "put-object", "--bucket", "tiers", "--key", k, "--body", other)
	}

	head := func(key string) (class, restore string) {
		t.Helper()
		var out struct{ StorageClass, Restore string }
		if err := json.Unmarshal([]byte(cli.Run(t, "s3api", "head-object", "--bucket", "tiers", "--key", key)), &out); err != nil {
			t.Fatal(err)
		}
		return out.StorageClass, out.Restore
	}
	if class, _ := head("keep/ia.bin"); class != "STANDARD_IA" {
		t.Errorf("head-object StorageClass of keep/ia.bin = %q, want STANDARD_IA", class)
	}
	before := tierBlobs(t, defaultDir)
	if n := len(tierBlobs(t, glacierDir)); n != 0 {
		t.Fatalf("the GLACIER tier holds %d blobs before any transition", n)
	}

	tooSoon := `{"Rules":[{"ID":"ia","Status":"Enabled","Filter":{},"Transitions":[{"Days":1,"StorageClass":"STANDARD_IA"}]}]}`
	wantCLIError(t, cli, "InvalidArgument", "s3api", "put-bucket-lifecycle-configuration", "--bucket", "tiers", "--lifecycle-configuration", tooSoon)
	rules := `{"Rules":[` +
		`{"ID":"to-glacier","Status":"Enabled","Filter":{"Prefix":"archive/"},"Transitions":[{"Days":0,"StorageClass":"GLACIER"}]},` +
		`{"ID":"gone","Status":"Enabled","Filter":{"Prefix":"old/"},"Expiration":{"Date":"2020-01-01T00:00:00Z"}}]}`
	cli.Run(t, "s3api", "put-bucket-lifecycle-configuration", "--bucket", "tiers", "--lifecycle-configuration", rules)

	tierEventually(t, "archive/a.bin is not GLACIER", func() bool { c, _ := head("archive/a.bin"); return c == "GLACIER" })
	glacier := tierBlobs(t, glacierDir)
	if len(glacier) != 1 {
		t.Fatalf("the GLACIER tier holds %d blobs, want 1", len(glacier))
	}
	var moved string
	for _, size := range glacier {
		for name, s := range before {
			if s == size {
				moved = name
			}
		}
	}
	if moved == "" {
		t.Fatalf("no blob of the default directory has the size of the GLACIER blob (%v, %v)", glacier, before)
	}
	tierEventually(t, "the moved blob is still in the default directory", func() bool {
		_, still := tierBlobs(t, defaultDir)[moved]
		return !still
	})
	if c, _ := head("keep/b.bin"); c != "" { // S3 omits x-amz-storage-class for STANDARD
		t.Errorf("keep/b.bin (not matched) is %q, want STANDARD", c)
	}

	down := filepath.Join(work, "down.bin")
	wantCLIError(t, cli, "InvalidObjectState", "s3api", "get-object", "--bucket", "tiers", "--key", "archive/a.bin", down)
	req := `{"Days":1,"GlacierJobParameters":{"Tier":"Standard"}}`
	cli.Run(t, "s3api", "restore-object", "--bucket", "tiers", "--key", "archive/a.bin", "--restore-request", req)
	if _, restore := head("archive/a.bin"); restore != `ongoing-request="true"` {
		t.Errorf("head-object Restore while restoring = %q", restore)
	}
	wantCLIError(t, cli, "RestoreAlreadyInProgress", "s3api", "restore-object", "--bucket", "tiers", "--key", "archive/a.bin", "--restore-request", req)
	tierEventually(t, "the restore did not finish", func() bool {
		_, r := head("archive/a.bin")
		return strings.HasPrefix(r, `ongoing-request="false"`)
	})
	cli.Run(t, "s3api", "get-object", "--bucket", "tiers", "--key", "archive/a.bin", down)
	assertSameFile(t, archive, down)

	tierEventually(t, "old/ objects were not expired", func() bool {
		return !strings.Contains(cli.Run(t, "s3", "ls", "--recursive", "s3://tiers/"), "old/")
	})
	if out := cli.Run(t, "s3", "ls", "--recursive", "s3://tiers/"); !strings.Contains(out, "keep/b.bin") || !strings.Contains(out, "archive/a.bin") {
		t.Errorf("objects outside the expired prefix are gone:\n%s", out)
	}
}
