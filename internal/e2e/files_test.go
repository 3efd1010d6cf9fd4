package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// randomBytes returns n pseudo-random bytes determined by seed.
func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	fillRandom(seed, b)
	return b
}

func fillRandom(seed uint64, b []byte) {
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	_, _ = rand.NewChaCha8(key).Read(b)
}

// writeRandomFile writes size pseudo-random bytes to path, streaming, and
// returns their SHA-256.
func writeRandomFile(t *testing.T, path string, seed uint64, size int64) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.NewChaCha8(key), size); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fileDigest returns the size and SHA-256 of the file at path.
func fileDigest(t *testing.T, path string) (int64, string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		t.Fatal(err)
	}
	return n, hex.EncodeToString(h.Sum(nil))
}

// assertSameFile fails unless the two files hold the same bytes.
func assertSameFile(t *testing.T, want, got string) {
	t.Helper()
	wn, wh := fileDigest(t, want)
	gn, gh := fileDigest(t, got)
	if wn != gn || wh != gh {
		t.Fatalf("%s differs from %s: %d bytes sha256 %s, want %d bytes sha256 %s", got, want, gn, gh, wn, wh)
	}
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// tree maps slash-separated relative paths of regular files to their
// contents' SHA-256 and size.
type tree map[string]entry

type entry struct {
	Size   int64
	SHA256 string
}

// makeTree writes n files of 0–16 KiB in nested directories under root,
// a few with names that need URL escaping, and returns the tree.
func makeTree(t *testing.T, root string, seed uint64, n int) tree {
	t.Helper()
	special := []string{"with space.txt", "plus+sign.txt", "ünïcödé.txt", "semi;colon&amp=.txt", "tilde~(paren).txt"}
	rng := rand.New(rand.NewPCG(seed, 1))
	tr := tree{}
	for i := range n {
		var name string
		if i < len(special) {
			name = fmt.Sprintf("d%d/%s", i, special[i])
		} else {
			name = fmt.Sprintf("d%d/s%d/f%03d.bin", i%10, (i/10)%4, i)
		}
		size := rng.IntN(16 << 10)
		if i%50 == 7 {
			size = 0
		}
		tr.put(t, root, name, randomBytes(seed*1000+uint64(i), size))
	}
	return tr
}

// put writes data at root/name and records it.
func (tr tree) put(t *testing.T, root, name string, data []byte) {
	t.Helper()
	writeFile(t, filepath.Join(root, filepath.FromSlash(name)), data)
	tr[name] = entry{Size: int64(len(data)), SHA256: sha256Hex(data)}
}

// remove deletes root/name and forgets it.
func (tr tree) remove(t *testing.T, root, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(root, filepath.FromSlash(name))); err != nil {
		t.Fatal(err)
	}
	delete(tr, name)
}

// names returns the tree's paths in sorted order.
func (tr tree) names() []string {
	var out []string
	for n := range tr {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// readTree reads every regular file under root.
func readTree(t *testing.T, root string) tree {
	t.Helper()
	tr := tree{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		tr[filepath.ToSlash(rel)] = entry{Size: int64(len(b)), SHA256: sha256Hex(b)}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// assertTreesEqual fails with every difference between want and got.
func assertTreesEqual(t *testing.T, what string, want, got tree) {
	t.Helper()
	var diffs []string
	for _, n := range want.names() {
		g, ok := got[n]
		switch {
		case !ok:
			diffs = append(diffs, "missing "+n)
		case g != want[n]:
			diffs = append(diffs, fmt.Sprintf("%s: got %d bytes %.12s…, want %d bytes %.12s…", n, g.Size, g.SHA256, want[n].Size, want[n].SHA256))
		}
	}
	for _, n := range got.names() {
		if _, ok := want[n]; !ok {
			diffs = append(diffs, "unexpected "+n)
		}
	}
	if len(diffs) > 0 {
		if len(diffs) > 30 {
			diffs = append(diffs[:30], fmt.Sprintf("… and %d more", len(diffs)-30))
		}
		t.Fatalf("%s: %d files, want %d; differences:\n  %s", what, len(got), len(want), strings.Join(diffs, "\n  "))
	}
}

// equalBytes reports a short description of how got differs from want.
func equalBytes(want, got []byte) error {
	if bytes.Equal(want, got) {
		return nil
	}
	return fmt.Errorf("got %d bytes (sha256 %.12s…), want %d bytes (sha256 %.12s…)", len(got), sha256Hex(got), len(want), sha256Hex(want))
}
