package meta

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
)

// schemaV2 is the layout of schema version 2, frozen as released: a
// database that an older coffer created. Never edit it to follow the
// current schema.
var schemaV2 = []string{
	`CREATE TABLE schema_version (version INTEGER NOT NULL)`,
	`CREATE TABLE buckets (
		name       TEXT NOT NULL PRIMARY KEY,
		owner      TEXT NOT NULL,
		region     TEXT NOT NULL,
		created    INTEGER NOT NULL,
		versioning TEXT NOT NULL,
		tags       TEXT
	)`,
	`CREATE INDEX buckets_owner ON buckets (owner, name)`,
	`CREATE TABLE versions (
		seq            INTEGER PRIMARY KEY AUTOINCREMENT,
		bucket         TEXT NOT NULL,
		obj_key        TEXT NOT NULL,
		version_id     TEXT NOT NULL,
		is_latest      INTEGER NOT NULL,
		delete_marker  INTEGER NOT NULL,
		owner          TEXT NOT NULL,
		last_modified  INTEGER NOT NULL,
		size           INTEGER NOT NULL,
		etag           TEXT NOT NULL,
		storage_class  TEXT NOT NULL,
		headers        TEXT,
		user_meta      TEXT,
		tags           TEXT,
		checksum_algo  TEXT NOT NULL,
		checksum_type  TEXT NOT NULL,
		checksum_value TEXT NOT NULL,
		UNIQUE (bucket, obj_key, version_id)
	)`,
	`CREATE INDEX versions_key ON versions (bucket, obj_key, seq DESC)`,
	`CREATE INDEX versions_listing ON versions (bucket, is_latest, delete_marker, obj_key)`,
	`CREATE TABLE version_parts (
		seq            INTEGER NOT NULL REFERENCES versions (seq) ON DELETE CASCADE,
		ord            INTEGER NOT NULL,
		number         INTEGER NOT NULL,
		blob_id        TEXT NOT NULL,
		size           INTEGER NOT NULL,
		etag           TEXT NOT NULL,
		checksum_algo  TEXT NOT NULL,
		checksum_type  TEXT NOT NULL,
		checksum_value TEXT NOT NULL,
		last_modified  INTEGER NOT NULL,
		inline_data    BLOB,
		PRIMARY KEY (seq, ord)
	) WITHOUT ROWID`,
	`CREATE INDEX version_parts_blob ON version_parts (blob_id) WHERE blob_id <> ''`,
	`CREATE TABLE uploads (
		upload_id     TEXT NOT NULL PRIMARY KEY,
		bucket        TEXT NOT NULL,
		obj_key       TEXT NOT NULL,
		initiated     INTEGER NOT NULL,
		owner         TEXT NOT NULL,
		storage_class TEXT NOT NULL,
		headers       TEXT,
		user_meta     TEXT,
		tags          TEXT,
		checksum_algo TEXT NOT NULL,
		checksum_type TEXT NOT NULL
	)`,
	`CREATE INDEX uploads_key ON uploads (bucket, obj_key, initiated, upload_id)`,
	`CREATE TABLE upload_parts (
		upload_id      TEXT NOT NULL REFERENCES uploads (upload_id) ON DELETE CASCADE,
		number         INTEGER NOT NULL,
		blob_id        TEXT NOT NULL,
		size           INTEGER NOT NULL,
		etag           TEXT NOT NULL,
		checksum_algo  TEXT NOT NULL,
		checksum_type  TEXT NOT NULL,
		checksum_value TEXT NOT NULL,
		last_modified  INTEGER NOT NULL,
		inline_data    BLOB,
		PRIMARY KEY (upload_id, number)
	) WITHOUT ROWID`,
	`CREATE INDEX upload_parts_blob ON upload_parts (blob_id) WHERE blob_id <> ''`,
	`CREATE TABLE tasks (
		id       INTEGER PRIMARY KEY AUTOINCREMENT,
		blob_id  TEXT NOT NULL,
		enqueued INTEGER NOT NULL
	)`,
	`CREATE INDEX tasks_blob ON tasks (blob_id)`,
}

// execSQLite runs statements on the SQLite file at path outside any Store.
func execSQLite(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// tableColumns returns the column names of table in the SQLite file at
// path, in order.
func tableColumns(t *testing.T, path, table string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return cols
}

// TestMigrateFromVersion2 opens a database an older coffer created with
// the version 2 layout (no encryption columns): its rows read back with no
// encryption, and encryption can then be stored for buckets, versions and
// uploads, including the upload that was in progress.
func TestMigrateFromVersion2(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	execSQLite(t, path, append(slices.Clone(schemaV2),
		`INSERT INTO schema_version (version) VALUES (2)`,
		`INSERT INTO buckets (name, owner, region, created, versioning, tags) VALUES ('b', 'o', '', 1, '', NULL)`,
		`INSERT INTO versions (bucket, obj_key, version_id, is_latest, delete_marker, owner, last_modified, size, etag, storage_class, headers, user_meta, tags, checksum_algo, checksum_type, checksum_value)
			VALUES ('b', 'old', 'v1', 1, 0, 'o', 2, 3, 'e', 'STANDARD', '{"ct":"text/plain"}', NULL, NULL, '', '', '')`,
		`INSERT INTO version_parts (seq, ord, number, blob_id, size, etag, checksum_algo, checksum_type, checksum_value, last_modified, inline_data)
			VALUES (1, 0, 0, 'blob-1', 3, 'e', '', '', '', 2, NULL)`,
		`INSERT INTO uploads (upload_id, bucket, obj_key, initiated, owner, storage_class, headers, user_meta, tags, checksum_algo, checksum_type)
			VALUES ('u1', 'b', 'mp', 3, 'o', 'STANDARD', NULL, NULL, NULL, '', '')`,
		`INSERT INTO upload_parts (upload_id, number, blob_id, size, etag, checksum_algo, checksum_type, checksum_value, last_modified, inline_data)
			VALUES ('u1', 1, '', 2, 'e', '', '', '', 3, X'6869')`,
	)...)

	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var v int
	err = s.read(ctx, func(t *txn) error { return t.scanOne(`SELECT version FROM schema_version`, nil, &v) })
	if err != nil || v != schemaVersion {
		t.Fatalf("schema version = %d, %v; want %d", v, err, schemaVersion)
	}

	// Old rows: no encryption anywhere.
	b, err := s.GetBucket(ctx, "b")
	if err != nil || b.Encryption != nil || b.Owner != "o" {
		t.Fatalf("old bucket = %+v, %v; want it without encryption", b, err)
	}
	if b.Policy != "" {
		t.Fatalf("old bucket policy = %q, want none", b.Policy)
	}
	old, err := s.GetVersion(ctx, "b", "old", "")
	if err != nil || !reflect.DeepEqual(old.Encryption, Encryption{}) || old.Headers.ContentType != "text/plain" ||
		len(old.Parts) != 1 || old.Parts[0].BlobID != "blob-1" {
		t.Fatalf("old version = %+v, %v; want it without encryption", old, err)
	}
	listed, err := s.ListVersions(ctx, "b", ListPage{}, "")
	if err != nil || len(listed) != 1 || !reflect.DeepEqual(listed[0].Encryption, Encryption{}) {
		t.Fatalf("ListVersions = %+v, %v", listed, err)
	}
	u, err := s.GetUpload(ctx, "b", "mp", "u1")
	if err != nil || !reflect.DeepEqual(u.Encryption, Encryption{}) {
		t.Fatalf("old upload = %+v, %v; want it without encryption", u, err)
	}

	// New writes store encryption.
	rule := &BucketEncryption{Algorithm: SSEKMS, KMSMasterKeyID: "arn:aws:kms:us-east-1:111122223333:key/k", BucketKeyEnabled: true}
	if err := s.UpdateBucket(ctx, "b", func(b *Bucket) error { b.Encryption = rule; return nil }); err != nil {
		t.Fatal(err)
	}
	if b, err := s.GetBucket(ctx, "b"); err != nil || !reflect.DeepEqual(b.Encryption, rule) {
		t.Fatalf("bucket encryption after migration = %+v, %v; want %+v", b.Encryption, err, rule)
	}
	enc := Encryption{Mode: SSES3, KMSKeyARN: "arn:aws:kms:us-east-1:111122223333:key/s3", DataKey: []byte("dk"), SealedKey: []byte("sk")}
	nv := Version{Bucket: "b", Key: "new", VersionID: "v", Size: 2, Encryption: enc, Parts: []Part{{BlobID: "blob-2", Size: 2}}}
	if _, err := s.CommitVersion(ctx, nv, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetVersion(ctx, "b", "new", ""); err != nil || !reflect.DeepEqual(got.Encryption, enc) {
		t.Fatalf("version encryption after migration = %+v, %v; want %+v", got.Encryption, err, enc)
	}
	// The upload begun before the upgrade completes into an encrypted
	// version with its inline part intact.
	mp := Version{Bucket: "b", Key: "mp", VersionID: "v", Size: 2, Encryption: enc, Parts: []Part{{Number: 1, Size: 2}}}
	if _, err := s.CompleteUpload(ctx, "u1", mp, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetVersion(ctx, "b", "mp", "")
	if err != nil || !reflect.DeepEqual(got.Encryption, enc) || len(got.Parts) != 1 || string(got.Parts[0].Inline) != "hi" {
		t.Fatalf("completed upload after migration = %+v, %v", got, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// The migrated tables have the columns of new ones, in the same order.
	wantFreshLayout(t, path, "buckets", "versions", "version_parts", "uploads", "upload_parts", "tasks")
}

// wantFreshLayout checks that the tables of the migrated database at path
// have the columns, in order, of the same tables in a new database.
func wantFreshLayout(t *testing.T, path string, tables ...string) {
	t.Helper()
	fresh := filepath.Join(t.TempDir(), "fresh.db")
	fs, err := OpenSQLite(context.Background(), fresh)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		got, want := tableColumns(t, path, table), tableColumns(t, fresh, table)
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("%s columns after migration = %q, want %q", table, got, want)
		}
	}
}

// schemaV3 is the layout of schema version 3, frozen as released: version
// 2's tables with the encryption columns added last.
var schemaV3 = append(slices.Clone(schemaV2),
	`ALTER TABLE buckets ADD COLUMN encryption TEXT`,
	`ALTER TABLE versions ADD COLUMN sse TEXT`,
	`ALTER TABLE uploads ADD COLUMN sse TEXT`,
)

// TestMigrateFromVersion3 opens a database of the version 3 layout (no
// bucket policy column): its buckets read back with their encryption rule
// and no policy, a policy can then be stored, and the migrated table has
// the columns of a new one.
func TestMigrateFromVersion3(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	execSQLite(t, path, append(slices.Clone(schemaV3),
		`INSERT INTO schema_version (version) VALUES (3)`,
		`INSERT INTO buckets (name, owner, region, created, versioning, tags, encryption) VALUES ('b', 'o', '', 1, '', NULL, '{"alg":"AES256"}')`,
	)...)

	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var v int
	err = s.read(ctx, func(t *txn) error { return t.scanOne(`SELECT version FROM schema_version`, nil, &v) })
	if err != nil || v != schemaVersion {
		t.Fatalf("schema version = %d, %v; want %d", v, err, schemaVersion)
	}
	b, err := s.GetBucket(ctx, "b")
	if err != nil || b.Policy != "" || b.Encryption == nil || b.Encryption.Algorithm != SSES3 {
		t.Fatalf("old bucket = %+v, %v; want its SSE-S3 rule and no policy", b, err)
	}
	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	if err := s.UpdateBucket(ctx, "b", func(b *Bucket) error { b.Policy = doc; return nil }); err != nil {
		t.Fatal(err)
	}
	if b, err := s.GetBucket(ctx, "b"); err != nil || b.Policy != doc || b.Encryption == nil {
		t.Fatalf("bucket after migration = %+v, %v; want the policy stored", b, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	fresh := filepath.Join(t.TempDir(), "fresh.db")
	fs, err := OpenSQLite(ctx, fresh)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := tableColumns(t, path, "buckets"), tableColumns(t, fresh, "buckets"); !slices.Equal(got, want) {
		t.Errorf("buckets columns after migration = %q, want %q", got, want)
	}
}

// schemaV8 is the layout of schema version 8, frozen as released: version
// 4's tables, the account tables, and the columns versions 5 to 8 added
// last.
var schemaV8 = append(slices.Clone(schemaV4),
	`CREATE TABLE accounts (
		id           TEXT NOT NULL PRIMARY KEY,
		name         TEXT NOT NULL UNIQUE,
		canonical_id TEXT NOT NULL UNIQUE,
		created      INTEGER NOT NULL,
		revision     INTEGER NOT NULL,
		iam          TEXT NOT NULL
	)`,
	`CREATE TABLE access_keys (
		access_key_id     TEXT NOT NULL PRIMARY KEY,
		account_id        TEXT NOT NULL REFERENCES accounts (id),
		last_used         INTEGER NOT NULL,
		last_used_service TEXT NOT NULL,
		last_used_region  TEXT NOT NULL
	)`,
	`CREATE INDEX access_keys_account ON access_keys (account_id)`,
	`CREATE TABLE server_secrets (
		name  TEXT NOT NULL PRIMARY KEY,
		value BLOB NOT NULL
	)`,
	`ALTER TABLE buckets ADD COLUMN access TEXT`,
	`ALTER TABLE versions ADD COLUMN acl TEXT`,
	`ALTER TABLE uploads ADD COLUMN acl TEXT`,
	`ALTER TABLE versions ADD COLUMN restore TEXT`,
	`ALTER TABLE buckets ADD COLUMN lifecycle TEXT`,
)

// TestMigrateFromVersion8 opens a database of the version 8 layout (no
// Intelligent-Tiering configurations, no access times): its versions read
// back as not read since written and its buckets without configurations,
// both can then be stored, and the migrated tables have the columns of new
// ones.
func TestMigrateFromVersion8(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	execSQLite(t, path, append(slices.Clone(schemaV8),
		`INSERT INTO schema_version (version) VALUES (8)`,
		`INSERT INTO buckets (name, owner, region, created, versioning, lifecycle) VALUES ('b', 'o', '', 1, '', '{"rules":[]}')`,
		`INSERT INTO versions (bucket, obj_key, version_id, is_latest, delete_marker, owner, last_modified, size, etag, storage_class, checksum_algo, checksum_type, checksum_value, restore)
			VALUES ('b', 'old', 'v1', 1, 0, 'o', 2, 3, 'e', 'INTELLIGENT_TIERING', '', '', '', NULL)`,
		`INSERT INTO version_parts (seq, ord, number, blob_id, size, etag, checksum_algo, checksum_type, checksum_value, last_modified, inline_data)
			VALUES (1, 0, 0, 'blob-1', 3, 'e', '', '', '', 2, NULL)`,
	)...)

	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var v int
	err = s.read(ctx, func(t *txn) error { return t.scanOne(`SELECT version FROM schema_version`, nil, &v) })
	if err != nil || v != schemaVersion {
		t.Fatalf("schema version = %d, %v; want %d", v, err, schemaVersion)
	}
	b, err := s.GetBucket(ctx, "b")
	if err != nil || b.IntelligentTiering != "" || b.Lifecycle != `{"rules":[]}` {
		t.Fatalf("old bucket = %+v, %v; want its lifecycle and no Intelligent-Tiering", b, err)
	}
	old, err := s.GetVersion(ctx, "b", "old", "")
	if err != nil || !old.LastAccess.IsZero() || old.StorageClass != "INTELLIGENT_TIERING" {
		t.Fatalf("old version = %+v, %v; want it never read", old, err)
	}

	const doc = `[{"id":"a"}]`
	if err := s.UpdateBucket(ctx, "b", func(b *Bucket) error { b.IntelligentTiering = doc; return nil }); err != nil {
		t.Fatal(err)
	}
	at := time.Unix(100, 0).UTC()
	if err := s.TouchVersion(ctx, "b", "old", "v1", at); err != nil {
		t.Fatal(err)
	}
	if b, err := s.GetBucket(ctx, "b"); err != nil || b.IntelligentTiering != doc {
		t.Fatalf("bucket after migration = %+v, %v; want the configurations stored", b, err)
	}
	if got, err := s.GetVersion(ctx, "b", "old", ""); err != nil || !got.LastAccess.Equal(at) {
		t.Fatalf("version after migration = %+v, %v; want LastAccess %v", got, err, at)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	wantFreshLayout(t, path, "buckets", "versions")
}
