package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// FS stores blobs as files under one directory:
//
//	dir/tmp/        files being written (removed by RemoveTemp after a crash)
//	dir/ab/cd/<id>  a blob whose hex ID starts with "abcd"
//
// IDs are 128 random bits in lower-case hex. A Put is durable when it
// returns: the file is fsynced, renamed into place, and its directory is
// fsynced (as is the parent of any fan-out directory it had to create).
//
// Directory fsyncs are not coalesced across Puts: with 65,536 fan-out
// directories concurrent Puts rarely share one, and funnelling them through
// one syncing goroutine measured slower than letting the file system batch
// concurrent fsyncs in its journal.
type FS struct {
	dir  string
	tmp  string
	rand io.Reader
	bufs sync.Pool // *[]byte of copyBufSize
}

var (
	_ Store     = (*FS)(nil)
	_ Lister    = (*FS)(nil)
	_ Recoverer = (*FS)(nil)
)

// copyBufSize is large so that a big Put makes few write system calls.
const copyBufSize = 1 << 20

// idLen is the length of a blob ID: 16 random bytes in hex.
const idLen = 32

// FSOption configures NewFS.
type FSOption func(*FS)

// WithRandom makes the store draw blob IDs from r instead of crypto/rand.
// r must be safe for concurrent use (tests use a locked deterministic
// source).
func WithRandom(r io.Reader) FSOption {
	return func(f *FS) { f.rand = r }
}

// NewFS opens (creating if needed) a blob store rooted at dir.
func NewFS(dir string, opts ...FSOption) (*FS, error) {
	f := &FS{
		dir:  dir,
		tmp:  filepath.Join(dir, "tmp"),
		rand: rand.Reader,
	}
	f.bufs.New = func() any {
		b := make([]byte, copyBufSize)
		return &b
	}
	for _, o := range opts {
		o(f)
	}
	if err := os.MkdirAll(f.tmp, 0o750); err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", dir, err)
	}
	return f, nil
}

// Dir returns the root directory of the store.
func (f *FS) Dir() string { return f.dir }

// Put implements Store.
func (f *FS) Put(ctx context.Context, r io.Reader) (id string, size int64, err error) {
	if err := ctx.Err(); err != nil {
		return "", 0, fmt.Errorf("blob: put: %w", err)
	}
	id, err = f.newID()
	if err != nil {
		return "", 0, fmt.Errorf("blob: put: new id: %w", err)
	}
	tf, err := os.CreateTemp(f.tmp, id+".*")
	if err != nil {
		return "", 0, fmt.Errorf("blob: put: %w", err)
	}
	tmpName := tf.Name()
	defer func() {
		if err != nil {
			// Close may already have happened; a second Close only
			// returns an error we do not need.
			_ = tf.Close()
			_ = os.Remove(tmpName)
		}
	}()

	size, err = f.copy(ctx, tf, r)
	if err != nil {
		return "", 0, fmt.Errorf("blob: put: %w", err)
	}
	if err = tf.Sync(); err != nil {
		return "", 0, fmt.Errorf("blob: put: sync: %w", err)
	}
	if err = tf.Close(); err != nil {
		return "", 0, fmt.Errorf("blob: put: close: %w", err)
	}
	// Last chance to honour a cancellation before the blob becomes
	// visible; after the rename the caller owns it.
	if err = ctx.Err(); err != nil {
		return "", 0, fmt.Errorf("blob: put: %w", err)
	}
	dir, err := f.makeFanout(id)
	if err != nil {
		return "", 0, fmt.Errorf("blob: put: %w", err)
	}
	final := filepath.Join(dir, id)
	if err = os.Rename(tmpName, final); err != nil {
		return "", 0, fmt.Errorf("blob: put: %w", err)
	}
	if err = syncDir(dir); err != nil {
		// The rename may or may not survive a crash; do not leave a
		// blob nobody will record.
		_ = os.Remove(final)
		return "", 0, fmt.Errorf("blob: put: %w", err)
	}
	return id, size, nil
}

// writebackChunk is how much Put writes before it starts the kernel's
// writeback of what it wrote.
const writebackChunk = 8 << 20

// copy streams r into w through a pooled buffer, checking ctx between
// writes. It does not use io.Copy, whose ReaderFrom fast path would skip
// both the buffer and the cancellation checks. The buffer is filled as far
// as the reader allows, so that small reads from a network body still make
// large writes.
func (f *FS) copy(ctx context.Context, w *os.File, r io.Reader) (int64, error) {
	bp := f.bufs.Get().(*[]byte)
	defer f.bufs.Put(bp)
	buf := *bp
	var n, flushed int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		m := 0
		var rerr error
		for m < len(buf) && rerr == nil {
			var k int
			k, rerr = r.Read(buf[m:])
			m += k
		}
		if m > 0 {
			if _, err := w.Write(buf[:m]); err != nil {
				return n, err
			}
			n += int64(m)
			if n-flushed >= writebackChunk {
				startWriteback(w, flushed, n-flushed)
				flushed = n
			}
		}
		if rerr == io.EOF {
			return n, ctx.Err()
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

func (f *FS) newID() (string, error) {
	var b [idLen / 2]byte
	if _, err := io.ReadFull(f.rand, b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// makeFanout creates dir/ab/cd for id if needed, fsyncing the parent of
// each directory it creates so the new entry survives a crash.
func (f *FS) makeFanout(id string) (string, error) {
	d1 := filepath.Join(f.dir, id[0:2])
	d2 := filepath.Join(d1, id[2:4])
	if _, err := os.Stat(d2); err == nil {
		return d2, nil
	}
	for _, d := range []struct{ dir, parent string }{{d1, f.dir}, {d2, d1}} {
		err := os.Mkdir(d.dir, 0o750)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if err := syncDir(d.parent); err != nil {
			return "", err
		}
	}
	return d2, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// path returns the file name of id, or false if id is not a well-formed
// blob ID (which also keeps any path syntax out of the file system).
func (f *FS) path(id string) (string, bool) {
	if !validID(id) {
		return "", false
	}
	return filepath.Join(f.dir, id[0:2], id[2:4], id), true
}

func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Open implements Store. A range reaching past the end of the blob reads
// what exists and then fails with io.ErrUnexpectedEOF, since callers
// compute ranges from the size they recorded and a shorter file means
// damage.
func (f *FS) Open(ctx context.Context, id string, offset, length int64) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", id, err)
	}
	p, ok := f.path(id)
	if !ok {
		return nil, fmt.Errorf("blob: open %q: malformed id: %w", id, ErrNotExist)
	}
	if offset < 0 {
		return nil, fmt.Errorf("blob: open %s: negative offset %d", id, offset)
	}
	file, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob: open %s: %w", id, ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", id, err)
	}
	fi, err := file.Stat()
	if err != nil {
		_ = file.Close()
		return nil, fmt.Errorf("blob: open %s: %w", id, err)
	}
	size := fi.Size()
	want := length
	if length < 0 {
		want = max(size-offset, 0)
	}
	avail := min(want, max(size-offset, 0))
	return &section{
		SectionReader: io.NewSectionReader(file, offset, avail),
		file:          file,
		short:         avail < want,
	}, nil
}

// section reads a byte range of an open file.
type section struct {
	*io.SectionReader
	file  *os.File
	short bool // the file ends before the requested range does
}

func (s *section) Read(p []byte) (int, error) {
	n, err := s.SectionReader.Read(p)
	if err == io.EOF && s.short {
		err = fmt.Errorf("blob: %s shorter than requested range: %w", filepath.Base(s.file.Name()), io.ErrUnexpectedEOF)
	}
	return n, err
}

func (s *section) Close() error { return s.file.Close() }

// Delete implements Store.
func (f *FS) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob: delete %s: %w", id, err)
	}
	p, ok := f.path(id)
	if !ok {
		return fmt.Errorf("blob: delete %q: malformed id", id)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: delete %s: %w", id, err)
	}
	return nil
}

// Walk implements Lister. It visits blobs in ID order and ignores the
// temporary directory and any file that is not a blob.
func (f *FS) Walk(ctx context.Context, fn func(id string) error) error {
	l1, err := readDirNames(f.dir)
	if err != nil {
		return fmt.Errorf("blob: walk: %w", err)
	}
	for _, a := range l1 {
		if !isHexPair(a) {
			continue
		}
		l2, err := readDirNames(filepath.Join(f.dir, a))
		if err != nil {
			return fmt.Errorf("blob: walk: %w", err)
		}
		for _, b := range l2 {
			if !isHexPair(b) {
				continue
			}
			names, err := readDirNames(filepath.Join(f.dir, a, b))
			if err != nil {
				return fmt.Errorf("blob: walk: %w", err)
			}
			for _, id := range names {
				if !validID(id) || id[0:2] != a || id[2:4] != b {
					continue
				}
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("blob: walk: %w", err)
				}
				if err := fn(id); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func isHexPair(s string) bool {
	return len(s) == 2 && validID(s+"000000000000000000000000000000")
}

// readDirNames returns the sorted names in dir; a directory removed in the
// meantime reads as empty.
func readDirNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names, nil
}

// RemoveTemp implements Recoverer. It must not run concurrently with Put:
// it removes every file in the temporary directory, including those of
// Puts in progress.
func (f *FS) RemoveTemp(ctx context.Context) (int, error) {
	names, err := readDirNames(f.tmp)
	if err != nil {
		return 0, fmt.Errorf("blob: remove temp: %w", err)
	}
	removed := 0
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return removed, fmt.Errorf("blob: remove temp: %w", err)
		}
		if err := os.RemoveAll(filepath.Join(f.tmp, n)); err != nil {
			return removed, fmt.Errorf("blob: remove temp: %w", err)
		}
		removed++
	}
	return removed, nil
}
