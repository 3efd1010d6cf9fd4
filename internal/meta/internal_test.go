package meta

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrefixEnd(t *testing.T) {
	tests := []struct{ prefix, want string }{
		{"", ""},
		{"a", "b"},
		{"a/", "a0"},
		{"a\x7f", "a\u0080"},
		{"é", "ê"},
		{"\ud7ff", "\ue000"},
		{"a\U0010FFFF", "b"},
		{"\U0010FFFF", ""},
		{"a\xff", "b"},
		{"a\xfe", "a\xff"},
	}
	for _, tt := range tests {
		if got := prefixEnd(tt.prefix); got != tt.want {
			t.Errorf("prefixEnd(%q) = %q, want %q", tt.prefix, got, tt.want)
		}
	}
}

func TestRebindDollar(t *testing.T) {
	got := rebindDollar(`SELECT a FROM t WHERE b = ? AND c > ? LIMIT ?`)
	if want := `SELECT a FROM t WHERE b = $1 AND c > $2 LIMIT $3`; got != want {
		t.Fatalf("rebindDollar = %q, want %q", got, want)
	}
}

// TestListingPlans pins the design: every listing is an index range scan,
// never a table scan, grouping or sort; so is a blob reference lookup.
func TestListingPlans(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bd := pageBounds(ListPage{Prefix: "a/", After: "a/b", Limit: 10})
	tests := []struct {
		name, index string
		q           string
		args        []any
	}{
		{name: "ListLatest", index: "versions_listing"},
		{name: "ListVersions", index: "versions_key"},
		{name: "ListUploads", index: "uploads_key"},
		// Inline parts are not in the blob_id indexes; a blob lookup
		// must still use them.
		{name: "BlobRefInVersions", index: "version_parts_blob", q: partRefQuery, args: []any{"x", "x"}},
		{name: "BlobRefInUploads", index: "upload_parts_blob", q: partRefQuery, args: []any{"x", "x"}},
	}
	tests[0].q, tests[0].args = latestQuery("b", bd)
	tests[1].q, tests[1].args = versionsQuery("b", bd, 10)
	tests[2].q, tests[2].args = uploadsQuery("b", bd, 10)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var plan []string
			err = s.read(ctx, func(tx *txn) error {
				rows, err := tx.query(`EXPLAIN QUERY PLAN `+tt.q, tt.args...)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var id, parent, notused int
					var detail string
					if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
						return err
					}
					plan = append(plan, detail)
				}
				return rows.Err()
			})
			if err != nil {
				t.Fatal(err)
			}
			joined := strings.Join(plan, "; ")
			if !strings.Contains(joined, "INDEX "+tt.index+" ") || strings.Contains(joined, "TEMP B-TREE") {
				t.Fatalf("plan: %s", joined)
			}
		})
	}
}

// TestCommitFailureFailsTheGroup drives one group by hand: when COMMIT
// fails, every item that had succeeded gets the error and nothing is
// stored, while an item that failed on its own keeps its own error.
func TestCommitFailureFailsTheGroup(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateBucket(ctx, Bucket{Name: "b", Owner: "o"}); err != nil {
		t.Fatal(err)
	}
	// From here on this goroutine plays the committer.
	s.stopCommitter()
	setup := &txn{ctx: ctx, c: s.w, d: s.d}
	for _, q := range []string{
		`CREATE TABLE parent (id INTEGER PRIMARY KEY)`,
		// A deferred foreign key is checked only at COMMIT.
		`CREATE TABLE child (pid INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)`,
	} {
		if _, err := setup.exec(q); err != nil {
			t.Fatal(err)
		}
	}
	commit := func(key string, cond Precondition) func(*txn) error {
		return func(t *txn) error {
			_, err := commitVersion(t, Version{Bucket: "b", Key: key, VersionID: "v"}, cond)
			return err
		}
	}
	condErr := errors.New("precondition")
	op := func(fn func(*txn) error) *writeOp {
		return &writeOp{ctx: ctx, fn: fn, done: make(chan struct{})}
	}
	batch := []*writeOp{
		op(commit("a", nil)),
		op(func(t *txn) error { _, err := t.exec(`INSERT INTO child (pid) VALUES (42)`); return err }),
		op(commit("c", func(*Version) error { return condErr })),
		op(commit("d", nil)),
	}
	s.commitBatch(batch)
	for i, o := range batch {
		<-o.done
		want := "meta: commit:"
		if i == 2 {
			if !errors.Is(o.err, condErr) {
				t.Errorf("item %d: err = %v, want its own precondition error", i, o.err)
			}
			continue
		}
		if o.err == nil || !strings.HasPrefix(o.err.Error(), want) {
			t.Errorf("item %d: err = %v, want the COMMIT error", i, o.err)
		}
	}
	// Nothing of the group is stored and the writer still works.
	ok := op(commit("e", nil))
	s.commitBatch([]*writeOp{ok})
	if ok.err != nil {
		t.Fatalf("next group: %v", ok.err)
	}
	vs, err := s.ListLatest(ctx, "b", ListPage{})
	if err != nil || len(vs) != 1 || vs[0].Key != "e" {
		t.Fatalf("stored after failed group: %+v, %v", vs, err)
	}
}

// TestWithdrawnWriteIsNotApplied: a caller whose context ends while its
// write is still queued gets ctx.Err() and the write never happens.
func TestWithdrawnWriteIsNotApplied(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateBucket(ctx, Bucket{Name: "b", Owner: "o"}); err != nil {
		t.Fatal(err)
	}
	s.stopCommitter()
	cctx, cancel := context.WithCancel(ctx)
	o := &writeOp{ctx: cctx, fn: func(t *txn) error {
		_, err := commitVersion(t, Version{Bucket: "b", Key: "k", VersionID: "v"}, nil)
		return err
	}, done: make(chan struct{})}
	if !o.state.CompareAndSwap(opQueued, opWithdrawn) {
		t.Fatal("withdraw failed")
	}
	cancel()
	s.commitBatch([]*writeOp{o})
	vs, err := s.ListLatest(ctx, "b", ListPage{})
	if err != nil || len(vs) != 0 {
		t.Fatalf("withdrawn write applied: %+v, %v", vs, err)
	}
}

// TestMigrateFromVersion1 opens a database with the version 1 layout (no
// inline_data, full blob_id indexes): its data stays readable and inline
// parts can be stored.
func TestMigrateFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(ctx, Bucket{Name: "b", Owner: "o"}); err != nil {
		t.Fatal(err)
	}
	old := Version{Bucket: "b", Key: "old", VersionID: "v", Size: 3, Parts: []Part{{BlobID: "blob-1", Size: 3}}}
	if _, err := s.CommitVersion(ctx, old, nil); err != nil {
		t.Fatal(err)
	}
	// Turn the database back into version 1.
	s.stopCommitter()
	w := &txn{ctx: ctx, c: s.w, d: s.d}
	for _, q := range []string{
		`ALTER TABLE buckets DROP COLUMN intelligent_tiering`,
		`ALTER TABLE versions DROP COLUMN last_access`,
		`ALTER TABLE buckets DROP COLUMN lifecycle`,
		`ALTER TABLE versions DROP COLUMN restore`,
		`ALTER TABLE buckets DROP COLUMN access`,
		`ALTER TABLE versions DROP COLUMN acl`,
		`ALTER TABLE uploads DROP COLUMN acl`,
		`ALTER TABLE buckets DROP COLUMN policy`,
		`ALTER TABLE buckets DROP COLUMN encryption`,
		`ALTER TABLE versions DROP COLUMN sse`,
		`ALTER TABLE uploads DROP COLUMN sse`,
		`DROP INDEX version_parts_blob`,
		`DROP INDEX upload_parts_blob`,
		`ALTER TABLE version_parts DROP COLUMN inline_data`,
		`ALTER TABLE upload_parts DROP COLUMN inline_data`,
		`CREATE INDEX version_parts_blob ON version_parts (blob_id)`,
		`CREATE INDEX upload_parts_blob ON upload_parts (blob_id)`,
		`UPDATE schema_version SET version = 1`,
	} {
		if _, err := w.exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.GetVersion(ctx, "b", "old", "")
	if err != nil || len(got.Parts) != 1 || got.Parts[0].BlobID != "blob-1" || got.Parts[0].Inline != nil {
		t.Fatalf("version 1 data after migration: %+v, %v", got, err)
	}
	small := Version{Bucket: "b", Key: "new", VersionID: "v", Size: 2, Parts: []Part{{Inline: []byte("hi"), Size: 2}}}
	if _, err := s.CommitVersion(ctx, small, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetVersion(ctx, "b", "new", ""); err != nil || string(got.Parts[0].Inline) != "hi" {
		t.Fatalf("inline part after migration: %+v, %v", got, err)
	}
	var v int
	err = s.read(ctx, func(t *txn) error { return t.scanOne(`SELECT version FROM schema_version`, nil, &v) })
	if err != nil || v != schemaVersion {
		t.Fatalf("schema version = %d, %v; want %d", v, err, schemaVersion)
	}
	var def string
	err = s.read(ctx, func(t *txn) error {
		return t.scanOne(`SELECT sql FROM sqlite_master WHERE name = 'version_parts_blob'`, nil, &def)
	})
	if err != nil || !strings.Contains(def, "WHERE") {
		t.Fatalf("version_parts_blob after migration: %q, %v", def, err)
	}
}
