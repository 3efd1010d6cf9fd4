package meta

import (
	"strconv"
	"strings"
)

// dialect is what differs between the SQL databases coffer runs on: DDL
// and placeholder syntax. Queries themselves are shared and written with
// "?" placeholders in SQL that SQLite and PostgreSQL both accept.
type dialect struct {
	name string
	// schema creates the tables and indexes if they do not exist. Each
	// entry is one statement.
	schema []string
	// rebind turns a query written with "?" placeholders into the
	// dialect's syntax.
	rebind func(query string) string
	// beginRead starts a transaction that reads one snapshot;
	// beginWrite one that will write (and, where the database allows,
	// takes the write lock at once rather than failing to upgrade later).
	beginRead, beginWrite string
	// migrations[v] are the statements that turn a database of schema
	// version v into version v+1. schema always creates the newest
	// layout, so a new database needs none of them.
	migrations map[int][]string
}

// schemaVersion is the version of the layout below. Bump it (and add a
// migration) whenever a table changes.
//
//   - 1: initial layout.
//   - 2: inline_data on version_parts and upload_parts; the blob_id
//     indexes became partial (only parts that have a blob).
//   - 3: buckets.encryption, versions.sse and uploads.sse.
//   - 4: buckets.policy.
//   - 5: accounts, access_keys and server_secrets (IAM).
//   - 6: buckets.access (Object Ownership, ACL, Block Public Access),
//     versions.acl and uploads.acl.
//   - 7: versions.restore (RestoreObject of archived versions).
//   - 8: buckets.lifecycle (bucket lifecycle configuration).
//   - 9: buckets.intelligent_tiering (S3 Intelligent-Tiering
//     configurations) and versions.last_access (when the version was
//     last read, for its access tier).
const schemaVersion = 9

// sqliteDialect is the embedded database.
//
// Layout and why:
//
//   - versions holds every version and delete marker. seq is the
//     AUTOINCREMENT row ID, so it grows across the whole store and is never
//     reused even after deletes; it doubles as Version.Seq.
//   - is_latest is 1 on exactly one row per (bucket, obj_key): the one with
//     the largest seq. Every write that changes which row that is (commit,
//     delete) maintains it in the same transaction. ListLatest is then one
//     range scan of versions_listing, (bucket, is_latest=1,
//     delete_marker=0, obj_key > marker), with no grouping or max().
//   - versions_key (bucket, obj_key, seq DESC) serves "latest of a key"
//     (first row), ListVersions (key order, newest first) and
//     emptiness checks.
//   - Keys and names compare as bytes: SQLite's default BINARY collation
//     is memcmp over UTF-8, which is the order S3 lists in.
//   - Parts of versions and uploads are child rows deleted by cascade;
//     the blob_id indexes answer "is this blob still referenced?". They
//     are partial indexes over parts that have a blob (non-empty blob_id), so
//     inline parts cost no index entry; queries that want them repeat
//     that condition literally, which is how SQLite recognises that a
//     partial index applies.
//   - inline_data holds the bytes of a small part kept in the database
//     (Part.Inline; blob_id is empty then), NULL for a part in a blob. See
//     the package documentation for why. They are the stored form, kept
//     verbatim: for encrypted data longer than the size column, which is
//     the plaintext size.
//   - buckets.encryption is the bucket's default encryption rule
//     (Bucket.Encryption; NULL = none set, the SSE-S3 default).
//     versions.sse and uploads.sse say how the data is encrypted
//     (Encryption; NULL = plaintext): mode, KMS key and context, and the
//     object key only in sealed form: no usable secret.
//     They are read with every row, listings included: they are small.
//   - buckets.policy is the bucket policy document verbatim
//     (Bucket.Policy; NULL = none), at most 20 KiB, checked by package
//     object; the store never looks inside.
//   - buckets.lifecycle is the bucket's lifecycle configuration
//     (Bucket.Lifecycle; NULL = none): JSON that package object writes
//     and reads, opaque to the store like the policy.
//     buckets.intelligent_tiering is its S3 Intelligent-Tiering
//     configurations (Bucket.IntelligentTiering; NULL = none), likewise.
//   - versions.last_access is when the version was last read
//     (Version.LastAccess; 0 = not since it was written). Reads update it
//     coarsely (package object decides how often), so it costs one small
//     UPDATE per object per interval, not one per GET.
//   - Times are UTC Unix nanoseconds (0 = zero time); JSON columns hold
//     headers, user metadata, tags and encryption (NULL = none), under
//     the fixed field names of encode.go.
//
// PostgreSQL DDL differs only in types and collation: obj_key, name and
// upload_id need COLLATE "C" for byte order; seq and tasks.id are BIGINT
// GENERATED ALWAYS AS IDENTITY; INTEGER columns holding nanoseconds or
// sizes are BIGINT; inline_data is BYTEA; WITHOUT ROWID is dropped. The
// JSON columns (headers, user_meta, tags, encryption, sse) stay TEXT: no
// query looks inside them, so JSONB would only cost a parse per write, and
// TEXT keeps the stored bytes exactly as encode.go wrote them. The
// migrations to versions 3 and 4 are the same ALTER TABLE … ADD COLUMN …
// TEXT statements. beginRead is BEGIN ISOLATION LEVEL REPEATABLE READ READ
// ONLY, beginWrite plain BEGIN.
var sqliteDialect = dialect{
	name:       "sqlite",
	rebind:     func(q string) string { return q },
	beginRead:  "BEGIN",
	beginWrite: "BEGIN IMMEDIATE",
	schema: append([]string{
		`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS buckets (
			name       TEXT NOT NULL PRIMARY KEY,
			owner      TEXT NOT NULL,
			region     TEXT NOT NULL,
			created    INTEGER NOT NULL,
			versioning TEXT NOT NULL,
			tags       TEXT,
			encryption TEXT,
			policy     TEXT,
			access     TEXT,
			lifecycle  TEXT,
			intelligent_tiering TEXT
		)`,
		`CREATE INDEX IF NOT EXISTS buckets_owner ON buckets (owner, name)`,
		`CREATE TABLE IF NOT EXISTS versions (
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
			sse            TEXT,
			acl            TEXT,
			restore        TEXT,
			last_access    INTEGER NOT NULL DEFAULT 0,
			UNIQUE (bucket, obj_key, version_id)
		)`,
		`CREATE INDEX IF NOT EXISTS versions_key ON versions (bucket, obj_key, seq DESC)`,
		`CREATE INDEX IF NOT EXISTS versions_listing ON versions (bucket, is_latest, delete_marker, obj_key)`,
		`CREATE TABLE IF NOT EXISTS version_parts (
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
		versionPartsBlobIndex,
		`CREATE TABLE IF NOT EXISTS uploads (
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
			checksum_type TEXT NOT NULL,
			sse           TEXT,
			acl           TEXT
		)`,
		`CREATE INDEX IF NOT EXISTS uploads_key ON uploads (bucket, obj_key, initiated, upload_id)`,
		`CREATE TABLE IF NOT EXISTS upload_parts (
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
		uploadPartsBlobIndex,
		`CREATE TABLE IF NOT EXISTS tasks (
			id       INTEGER PRIMARY KEY AUTOINCREMENT,
			blob_id  TEXT NOT NULL,
			enqueued INTEGER NOT NULL
		)`,
		`CREATE INDEX IF NOT EXISTS tasks_blob ON tasks (blob_id)`,
	}, accountTables...),
	migrations: map[int][]string{
		1: {
			`ALTER TABLE version_parts ADD COLUMN inline_data BLOB`,
			`ALTER TABLE upload_parts ADD COLUMN inline_data BLOB`,
			`DROP INDEX IF EXISTS version_parts_blob`,
			versionPartsBlobIndex,
			`DROP INDEX IF EXISTS upload_parts_blob`,
			uploadPartsBlobIndex,
		},
		// New columns go last in the schema too, so a migrated table
		// and a new one have the same layout.
		2: {
			`ALTER TABLE buckets ADD COLUMN encryption TEXT`,
			`ALTER TABLE versions ADD COLUMN sse TEXT`,
			`ALTER TABLE uploads ADD COLUMN sse TEXT`,
		},
		3: {
			`ALTER TABLE buckets ADD COLUMN policy TEXT`,
		},
		4: accountTables,
		// Buckets from before Object Ownership never had ACLs: they
		// keep that as BucketOwnerEnforced (and no Block Public Access,
		// so that their policies keep working).
		5: {
			`ALTER TABLE buckets ADD COLUMN access TEXT`,
			`UPDATE buckets SET access = '{"ownership":"BucketOwnerEnforced"}'`,
			`ALTER TABLE versions ADD COLUMN acl TEXT`,
			`ALTER TABLE uploads ADD COLUMN acl TEXT`,
		},
		6: {
			`ALTER TABLE versions ADD COLUMN restore TEXT`,
		},
		7: {
			`ALTER TABLE buckets ADD COLUMN lifecycle TEXT`,
		},
		// Versions from before access tracking count as not read since
		// they were written.
		8: {
			`ALTER TABLE buckets ADD COLUMN intelligent_tiering TEXT`,
			`ALTER TABLE versions ADD COLUMN last_access INTEGER NOT NULL DEFAULT 0`,
		},
	},
}

// accountTables hold the accounts and their IAM state (schema version 5).
//
//   - accounts: one row per account. iam is the account's IAM state (users,
//     groups, policies, access keys with sealed secrets) as one document
//     that internal/iam encodes; revision grows with every change, so a
//     cached copy can be checked with one indexed read.
//   - access_keys: which account an access key ID belongs to (the keys
//     themselves are in the account's document), and when it was last used.
//   - server_secrets: small named values of the server itself, such as the
//     KMS-encrypted key that seals IAM secrets.
var accountTables = []string{
	`CREATE TABLE IF NOT EXISTS accounts (
		id           TEXT NOT NULL PRIMARY KEY,
		name         TEXT NOT NULL UNIQUE,
		canonical_id TEXT NOT NULL UNIQUE,
		created      INTEGER NOT NULL,
		revision     INTEGER NOT NULL,
		iam          TEXT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS access_keys (
		access_key_id     TEXT NOT NULL PRIMARY KEY,
		account_id        TEXT NOT NULL REFERENCES accounts (id),
		last_used         INTEGER NOT NULL,
		last_used_service TEXT NOT NULL,
		last_used_region  TEXT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS access_keys_account ON access_keys (account_id)`,
	`CREATE TABLE IF NOT EXISTS server_secrets (
		name  TEXT NOT NULL PRIMARY KEY,
		value BLOB NOT NULL
	)`,
}

// The blob_id indexes, shared by the schema and the migration to version 2.
// Partial index syntax is the same in SQLite and PostgreSQL.
const (
	versionPartsBlobIndex = `CREATE INDEX IF NOT EXISTS version_parts_blob ON version_parts (blob_id) WHERE blob_id <> ''`
	uploadPartsBlobIndex  = `CREATE INDEX IF NOT EXISTS upload_parts_blob ON upload_parts (blob_id) WHERE blob_id <> ''`
)

// rebindDollar rewrites "?" placeholders as $1, $2, … (PostgreSQL). The
// shared queries contain no string literals or comments with "?", so a
// plain scan is enough.
func rebindDollar(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
