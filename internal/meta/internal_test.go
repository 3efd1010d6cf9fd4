package meta

import (
	"context"
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

// TestListLatestPlan pins the design: listing is an index range scan, not
// a table scan with grouping or sorting.
func TestListLatestPlan(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bd := pageBounds(ListPage{Prefix: "a/", After: "a/b", Limit: 10})
	q, args := bd.where(`SELECT `+versionCols+` FROM versions WHERE bucket = ? AND is_latest = 1 AND delete_marker = 0`, []any{"b"}, "obj_key")
	q += ` ORDER BY obj_key LIMIT ?`
	args = append(args, bd.limit)
	var plan []string
	err = s.read(ctx, func(t *txn) error {
		rows, err := t.query(`EXPLAIN QUERY PLAN `+q, args...)
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
	if !strings.Contains(joined, "USING INDEX versions_listing") || strings.Contains(joined, "TEMP B-TREE") {
		t.Fatalf("ListLatest plan: %s", joined)
	}
}
