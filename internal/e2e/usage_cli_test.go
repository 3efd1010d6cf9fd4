package e2e

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// usageRow is one element of the JSON `coffer admin usage` prints.
type usageRow struct {
	Bucket, AccountId, StorageClass                   string
	Objects, Bytes, BillableBytes                     int64
	NoncurrentObjects, NoncurrentBytes, DeleteMarkers int64
}

// usageOf runs `coffer admin usage` signed with key, with extra flags such
// as --bucket, and decodes what it prints.
func usageOf(t *testing.T, srv *server, key iamKey, extra ...string) []usageRow {
	t.Helper()
	var rows []usageRow
	args := append([]string{"admin", "usage", "--endpoint", srv.Endpoint}, extra...)
	decodeJSON(t, adminCLI(t, srv, key).Run(t, args...), &rows)
	return rows
}

// TestUsageAdminCLI: objects uploaded with the AWS CLI in three storage
// classes (a small STANDARD_IA one billed as 128 KiB, a GLACIER one with
// its archive overhead), one overwritten and one deleted, then `coffer
// admin usage` as the operator (every bucket, then one with --bucket)
// and as another account's root user (only its own bucket; another
// account's bucket is refused).
func TestUsageAdminCLI(t *testing.T) {
	skipIfShort(t)
	srv := startServer(t)
	cli := awsCLI(t, srv)
	work := t.TempDir()
	const kib = 1 << 10

	cli.Run(t, "s3", "mb", "s3://usage-ops")
	big := filepath.Join(work, "big.bin")
	writeRandomFile(t, big, 1, 300*kib)
	cli.Run(t, "s3", "cp", "--no-progress", big, "s3://usage-ops/big.bin")
	putText(t, cli, "usage-ops", "note.txt", "first draft")
	putText(t, cli, "usage-ops", "note.txt", "the final text") // overwritten: unversioned, nothing kept
	putText(t, cli, "usage-ops", "ia.txt", "small and infrequent", "--storage-class", "STANDARD_IA")
	putText(t, cli, "usage-ops", "cold.txt", "archived", "--storage-class", "GLACIER")
	putText(t, cli, "usage-ops", "gone.txt", "deleted")
	cli.Run(t, "s3", "rm", "s3://usage-ops/gone.txt")

	tenant := createAccount(t, srv, "usage-tenant")
	tenantKey := iamKey{tenant.AccessKeyId, tenant.SecretAccessKey}
	tenantCLI := signedAs(cli, tenantKey)
	tenantCLI.Run(t, "s3", "mb", "s3://usage-tenant")
	putText(t, tenantCLI, "usage-tenant", "t.txt", "tenant data")

	owner := usageRootAccountID(t, srv)
	ops := []usageRow{
		{Bucket: "usage-ops", AccountId: owner, StorageClass: "GLACIER", Objects: 1, Bytes: 8, BillableBytes: 8 + 32*kib},
		{Bucket: "usage-ops", AccountId: owner, StorageClass: "STANDARD", Objects: 2, Bytes: 300*kib + 14,
			BillableBytes: 300*kib + 14 + 8*kib},
		{Bucket: "usage-ops", AccountId: owner, StorageClass: "STANDARD_IA", Objects: 1, Bytes: 20, BillableBytes: 128 * kib},
	}
	theirs := []usageRow{
		{Bucket: "usage-tenant", AccountId: tenant.AccountId, StorageClass: "STANDARD", Objects: 1, Bytes: 11, BillableBytes: 11},
	}

	if got, want := usageOf(t, srv, operator), append(append([]usageRow{}, ops...), theirs...); !reflect.DeepEqual(got, want) {
		t.Errorf("coffer admin usage:\n got  %+v\n want %+v", got, want)
	}
	if got := usageOf(t, srv, operator, "--bucket", "usage-ops"); !reflect.DeepEqual(got, ops) {
		t.Errorf("coffer admin usage --bucket usage-ops:\n got  %+v\n want %+v", got, ops)
	}
	if got := usageOf(t, srv, tenantKey); !reflect.DeepEqual(got, theirs) {
		t.Errorf("coffer admin usage as the tenant:\n got  %+v\n want %+v", got, theirs)
	}
	_, stderr, err := adminCLI(t, srv, tenantKey).Try(t, "admin", "usage", "--endpoint", srv.Endpoint, "--bucket", "usage-ops")
	if err == nil || !strings.Contains(stderr, "AccessDenied") {
		t.Errorf("coffer admin usage --bucket of another account's bucket: err %v, stderr %q, want AccessDenied", err, stderr)
	}
}

// usageRootAccountID is the first account's ID, as `coffer admin account
// list` shows it.
func usageRootAccountID(t *testing.T, srv *server) string {
	t.Helper()
	a, ok := listAccounts(t, srv)["default"]
	if !ok {
		t.Fatal("coffer admin account list shows no account named default")
	}
	return a.AccountId
}
