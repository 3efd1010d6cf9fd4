package blob

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func newTestTiered(t *testing.T) (*Tiered, string) {
	t.Helper()
	root := t.TempDir()
	def, err := NewFS(filepath.Join(root, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	cold, err := NewFS(filepath.Join(root, "glacier"))
	if err != nil {
		t.Fatal(err)
	}
	tt, err := NewTiered(def, map[string]Store{"GLACIER": cold})
	if err != nil {
		t.Fatal(err)
	}
	return tt, root
}

// blobFile reports whether a blob file named inner exists under dir.
func blobFile(t *testing.T, dir, inner string) bool {
	t.Helper()
	_, err := os.Stat(filepath.Join(dir, inner[0:2], inner[2:4], inner))
	return err == nil
}

func TestTieredRoutesByClass(t *testing.T) {
	ctx := context.Background()
	tt, root := newTestTiered(t)

	hot, _, err := tt.PutClass(ctx, "STANDARD", strings.NewReader("hot"))
	if err != nil {
		t.Fatal(err)
	}
	cold, _, err := tt.PutClass(ctx, "GLACIER", strings.NewReader("cold"))
	if err != nil {
		t.Fatal(err)
	}
	plain, _, err := tt.Put(ctx, strings.NewReader("plain"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(hot, ".") || strings.Contains(plain, ".") {
		t.Errorf("default-store IDs %q, %q should be plain", hot, plain)
	}
	inner, ok := strings.CutPrefix(cold, "GLACIER.")
	if !ok {
		t.Fatalf("GLACIER blob ID %q does not name its tier", cold)
	}
	if !blobFile(t, filepath.Join(root, "glacier"), inner) || blobFile(t, filepath.Join(root, "blobs"), inner) {
		t.Errorf("GLACIER blob is not (only) in the glacier directory")
	}
	if !blobFile(t, filepath.Join(root, "blobs"), hot) {
		t.Errorf("STANDARD blob is not in the default directory")
	}
	for id, want := range map[string]string{hot: "hot", cold: "cold", plain: "plain"} {
		r, err := tt.Open(ctx, id, 0, -1)
		if err != nil {
			t.Fatalf("open %s: %v", id, err)
		}
		got, _ := io.ReadAll(r)
		r.Close()
		if string(got) != want {
			t.Errorf("blob %s = %q, want %q", id, got, want)
		}
	}
	// A class without a tier shares the default store.
	if !tt.InTier(hot, "STANDARD_IA") || tt.InTier(hot, "GLACIER") || !tt.InTier(cold, "GLACIER") || tt.InTier(cold, "STANDARD") {
		t.Error("InTier disagrees with where the blobs are")
	}

	var walked []string
	if err := tt.Walk(ctx, func(id string) error { walked = append(walked, id); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(walked)
	want := []string{hot, cold, plain}
	slices.Sort(want)
	if !slices.Equal(walked, want) {
		t.Errorf("Walk = %v, want %v", walked, want)
	}

	if err := tt.Delete(ctx, cold); err != nil {
		t.Fatal(err)
	}
	if blobFile(t, filepath.Join(root, "glacier"), inner) {
		t.Error("deleted GLACIER blob is still on disk")
	}
	if _, err := tt.Open(ctx, cold, 0, -1); !errors.Is(err, ErrNotExist) {
		t.Errorf("open deleted blob: %v, want ErrNotExist", err)
	}
}

func TestTieredUnknownTier(t *testing.T) {
	ctx := context.Background()
	tt, _ := newTestTiered(t)
	id := "DEEP_ARCHIVE.0123456789abcdef0123456789abcdef"
	if _, err := tt.Open(ctx, id, 0, -1); !errors.Is(err, ErrNoTier) || errors.Is(err, ErrNotExist) {
		t.Errorf("open in a missing tier: %v, want ErrNoTier", err)
	}
	if err := tt.Delete(ctx, id); !errors.Is(err, ErrNoTier) {
		t.Errorf("delete in a missing tier: %v, want ErrNoTier", err)
	}
	if _, err := NewTiered(tt.def, map[string]Store{"BAD.NAME": tt.def}); err == nil {
		t.Error("a tier name with a dot was accepted")
	}
}

func TestTieredRemoveTemp(t *testing.T) {
	ctx := context.Background()
	tt, root := newTestTiered(t)
	for _, d := range []string{"blobs", "glacier"} {
		if err := os.WriteFile(filepath.Join(root, d, "tmp", "left-by-crash"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	n, err := tt.RemoveTemp(ctx)
	if err != nil || n != 2 {
		t.Errorf("RemoveTemp = %d, %v; want 2 files removed", n, err)
	}
}
