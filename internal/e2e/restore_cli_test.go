package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGlacierRestoreAWSCLI: an object stored as GLACIER (and one as
// STANDARD_IA) shows its class in head-object; GET of the archived object
// is InvalidObjectState; restore-object starts a restore that head-object
// shows ongoing, a second one is RestoreAlreadyInProgress, and once the
// configured duration (--restore-duration Standard=20s, long enough for two AWS CLI
// calls on a loaded machine) has passed the
// object reads back byte for byte and head-object shows the expiry.
// Restoring a STANDARD_IA object is InvalidObjectState.
func TestGlacierRestoreAWSCLI(t *testing.T) {
	skipIfShort(t)
	srv := startServer(t, withFlags("--restore-duration", "Standard=20s"))
	cli := awsCLI(t, srv)
	work := t.TempDir()
	local := filepath.Join(work, "archive.bin")
	writeRandomFile(t, local, 77, 200<<10)

	cli.Run(t, "s3", "mb", "s3://cold")
	cli.Run(t, "s3", "cp", "--no-progress", "--storage-class", "GLACIER", local, "s3://cold/archive.bin")
	cli.Run(t, "s3", "cp", "--no-progress", "--storage-class", "STANDARD_IA", local, "s3://cold/ia.bin")

	head := func(key string) (class, restore string) {
		t.Helper()
		var out struct{ StorageClass, Restore string }
		if err := json.Unmarshal([]byte(cli.Run(t, "s3api", "head-object", "--bucket", "cold", "--key", key)), &out); err != nil {
			t.Fatal(err)
		}
		return out.StorageClass, out.Restore
	}
	if class, _ := head("ia.bin"); class != "STANDARD_IA" {
		t.Errorf("head-object StorageClass of ia.bin = %q, want STANDARD_IA", class)
	}
	if class, restore := head("archive.bin"); class != "GLACIER" || restore != "" {
		t.Errorf("head-object of archive.bin: StorageClass %q Restore %q, want GLACIER and no restore", class, restore)
	}
	down := filepath.Join(work, "down.bin")
	wantCLIError(t, cli, "InvalidObjectState", "s3api", "get-object", "--bucket", "cold", "--key", "archive.bin", down)
	wantCLIError(t, cli, "InvalidObjectState", "s3api", "restore-object", "--bucket", "cold", "--key", "ia.bin", "--restore-request", `{"Days":1}`)

	req := `{"Days":2,"GlacierJobParameters":{"Tier":"Standard"}}`
	cli.Run(t, "s3api", "restore-object", "--bucket", "cold", "--key", "archive.bin", "--restore-request", req)
	if _, restore := head("archive.bin"); restore != `ongoing-request="true"` {
		t.Errorf("head-object Restore while restoring = %q", restore)
	}
	wantCLIError(t, cli, "RestoreAlreadyInProgress", "s3api", "restore-object", "--bucket", "cold", "--key", "archive.bin", "--restore-request", req)

	deadline := time.Now().Add(90 * time.Second)
	for {
		_, restore := head("archive.bin")
		if strings.HasPrefix(restore, `ongoing-request="false", expiry-date=`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("head-object Restore = %q 90 s after a 20 s restore", restore)
		}
		time.Sleep(500 * time.Millisecond)
	}
	cli.Run(t, "s3api", "get-object", "--bucket", "cold", "--key", "archive.bin", down)
	assertSameFile(t, local, down)
}
