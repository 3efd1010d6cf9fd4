package meta_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/meta"
)

func openSQLite(t testing.TB, path string) *meta.SQL {
	t.Helper()
	s, err := meta.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t, filepath.Join(t.TempDir(), "meta.db"))
	if err := s.CreateBucket(ctx, meta.Bucket{Name: "b", Owner: "o", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	v, err := s.CommitVersion(ctx, meta.Version{Bucket: "b", Key: "k", VersionID: "null", Size: 3, LastModified: time.Now(),
		Parts: []meta.Part{{BlobID: "x", Size: 3}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.GetVersion(ctx, "b", "k", "")
	if err != nil || g.Seq != v.Seq || len(g.Parts) != 1 || !g.IsLatest {
		t.Fatalf("%+v %v", g, err)
	}
	if _, err := s.CommitVersion(ctx, meta.Version{Bucket: "b", Key: "k", VersionID: "null", Size: 3, LastModified: time.Now(),
		Parts: []meta.Part{{BlobID: "y", Size: 3}}}, nil); err != nil {
		t.Fatal(err)
	}
	tasks, err := s.PendingTasks(ctx, 10)
	if err != nil || len(tasks) != 1 || tasks[0].BlobID != "x" {
		t.Fatalf("%v %v", tasks, err)
	}
	l, err := s.ListLatest(ctx, "b", meta.ListPage{})
	if err != nil || len(l) != 1 {
		t.Fatalf("%v %v", l, err)
	}
}
