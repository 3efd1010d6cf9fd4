package cache

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
)

// lruItem is one unit of the memory tier: either an object's metadata (obj
// set) or one body slice (data set). Slice data is immutable once stored, so
// readers may keep using a slice after it was evicted.
type lruItem struct {
	id   string
	size int64
	data []byte
	obj  *object
	elem *list.Element
}

// memTier is the memory LRU. It is guarded by Cache.mu. Metadata and
// slices share one byte budget in two lists: slices are evicted (demoted to
// disk) first, metadata only once it holds more than a quarter of the
// budget, so the disk tier keeps serving objects whose bodies left memory.
type memTier struct {
	limit, used, metaUsed int64
	metas, data           list.List // front: most recently used
	slices                map[string]*lruItem
}

func (m *memTier) list(it *lruItem) *list.List {
	if it.obj != nil {
		return &m.metas
	}
	return &m.data
}

func (m *memTier) add(it *lruItem) {
	if old := m.slices[it.id]; it.obj == nil && old != nil {
		m.remove(old)
	}
	it.elem = m.list(it).PushFront(it)
	m.used += it.size
	if it.obj == nil {
		m.slices[it.id] = it
	} else {
		m.metaUsed += it.size
	}
}

func (m *memTier) remove(it *lruItem) {
	if it == nil || it.elem == nil {
		return
	}
	m.list(it).Remove(it.elem)
	it.elem = nil
	m.used -= it.size
	if it.obj != nil {
		m.metaUsed -= it.size
	} else if m.slices[it.id] == it {
		delete(m.slices, it.id)
	}
}

func (m *memTier) touch(it *lruItem) {
	if it != nil && it.elem != nil {
		m.list(it).MoveToFront(it.elem)
	}
}

// victim is the next item to evict.
func (m *memTier) victim() *lruItem {
	if m.data.Len() == 0 || (m.metaUsed > m.limit/4 && m.metas.Len() > 0) {
		if m.metas.Len() == 0 {
			return nil
		}
		return m.metas.Back().Value.(*lruItem)
	}
	return m.data.Back().Value.(*lruItem)
}

// diskTier is the disk LRU: one file per slice under dir, written to a
// temporary file and renamed, so a reader never sees a half-written slice.
// The index lives in memory only; New clears the directory, so nothing from
// a previous process is served.
type diskTier struct {
	dir   string
	limit int64
	seq   atomic.Uint64

	mu    sync.Mutex
	used  int64
	lru   list.List
	items map[string]*diskItem
}

type diskItem struct {
	id, path string
	size     int64
	elem     *list.Element
}

// diskSubdir is the only directory the cache creates and wipes inside the
// configured cache dir, so a mistyped dir cannot cost the operator files.
const diskSubdir = "coffer-edge-cache-v1"

func openDisk(dir string, limit int64) (*diskTier, error) {
	root := filepath.Join(dir, diskSubdir)
	if err := os.RemoveAll(root); err != nil {
		return nil, fmt.Errorf("edge cache: clear %s: %w", root, err)
	}
	for i := 0; i < 256; i++ {
		if err := os.MkdirAll(filepath.Join(root, fmt.Sprintf("%02x", i)), 0o700); err != nil {
			return nil, fmt.Errorf("edge cache: %w", err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("edge cache: %w", err)
	}
	return &diskTier{dir: root, limit: limit, items: map[string]*diskItem{}}, nil
}

func (d *diskTier) pathOf(id string) string {
	sum := sha256.Sum256([]byte(id))
	name := hex.EncodeToString(sum[:])
	return filepath.Join(d.dir, name[:2], name)
}

// put writes data as slice id and evicts least recently used slices until
// the tier fits its limit. A slice larger than the whole tier is dropped.
func (d *diskTier) put(id string, data []byte) error {
	size := int64(len(data))
	if size > d.limit {
		return nil
	}
	final := d.pathOf(id)
	tmp := filepath.Join(d.dir, "tmp", strconv.FormatUint(d.seq.Add(1), 10))
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("edge cache: write slice: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("edge cache: write slice: %w", err)
	}
	var victims []string
	d.mu.Lock()
	if old := d.items[id]; old != nil {
		d.lru.Remove(old.elem)
		d.used -= old.size
	}
	it := &diskItem{id: id, path: final, size: size}
	it.elem = d.lru.PushFront(it)
	d.items[id] = it
	d.used += size
	for d.used > d.limit {
		v := d.lru.Back().Value.(*diskItem)
		d.lru.Remove(v.elem)
		delete(d.items, v.id)
		d.used -= v.size
		victims = append(victims, v.path)
	}
	d.mu.Unlock()
	for _, p := range victims {
		_ = os.Remove(p)
	}
	return nil
}

// open returns the slice's file, or ok=false when the tier does not hold it.
func (d *diskTier) open(id string) (f *os.File, size int64, ok bool) {
	d.mu.Lock()
	it := d.items[id]
	if it != nil {
		d.lru.MoveToFront(it.elem)
	}
	d.mu.Unlock()
	if it == nil {
		return nil, 0, false
	}
	f, err := os.Open(it.path)
	if err != nil {
		// Evicted between the lookup and the open: a miss, not an error.
		return nil, 0, false
	}
	return f, it.size, true
}

func (d *diskTier) remove(ids []string) {
	var paths []string
	d.mu.Lock()
	for _, id := range ids {
		if it := d.items[id]; it != nil {
			d.lru.Remove(it.elem)
			delete(d.items, id)
			d.used -= it.size
			paths = append(paths, it.path)
		}
	}
	d.mu.Unlock()
	for _, p := range paths {
		_ = os.Remove(p)
	}
}

func (d *diskTier) usage() (bytes int64, slices int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.used, len(d.items)
}
